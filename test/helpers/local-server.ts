// The local server (lib/local/server.ts) as the process tests drive it: the Lambda handlers on a
// fresh DynamoDB Local table with the example configuration, signed tokens checked with the dev secret.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '../../lib/local/config-file.js';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import type { LocalServer } from '../../lib/local/server.js';
import { freshTable } from './dynamo.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Starts the local server on a fresh table with examples/grantplane.config.yaml. The handlers wire
 * themselves from the environment, exactly as in Lambda, so it is set first (`env` adds to it, e.g. a
 * webhook secret) and the server imported after, so the handlers' logger starts silent.
 */
export async function startExampleServer(env: Record<string, string> = {}): Promise<LocalServer> {
  const table = await freshTable();
  process.env.GRANTPLANE_TABLE = table.tableName;
  // The handlers read JSON only, as the deployment bundles it and npm start hands it to them.
  process.env.GRANTPLANE_CONFIG_JSON = JSON.stringify(
    readConfigFile(resolve(ROOT, 'examples/grantplane.config.yaml')).document,
  );
  process.env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  Object.assign(process.env, env);
  const { loadLambdaHandlers, startLocalServer } = await import('../../lib/local/server.js');
  return startLocalServer({ handlers: await loadLambdaHandlers(), jwtSecret: DEV_JWT_SECRET, port: 0 });
}
