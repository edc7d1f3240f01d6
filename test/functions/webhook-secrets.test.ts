// Webhook secrets from Secrets Manager (docs/webhooks.md: "The secret per source comes from configuration
// (Secrets Manager in AWS; docs/api.md locally)"): envSecrets and the webhook handler read the secret with the
// real SDK client from a loopback endpoint speaking Secrets Manager's JSON protocol
// (test/helpers/secrets-manager-server.ts); the reader itself is tested in test/adapters/secrets-manager.test.ts.
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/webhook.js';
import { envSecrets } from '../../lib/wiring/webhook.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { makeSecretsManagerReader } from '../../lib/adapters/secrets/secrets-manager.js';
import { parseConfig } from '../../lib/domain/config.js';
import { signGeneric } from '../../lib/domain/webhooks/index.js';
import { buildDeps } from '../../lib/wiring/http.js';
import { counterIds, freshTable, TestClock, TEST_CONFIG } from '../helpers/dynamo.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../helpers/secrets-manager-server.js';
import { apiEvent, lambdaContext } from './events.js';

const SECRET_NAME = 'grantplane/webhook/generic';
let server: SecretsManagerServer;
let client: SecretsManagerClient;
let ARN = '';
const reader = () => makeSecretsManagerReader(client);
const getCalls = () => server.calls.filter((call) => call.target === 'secretsmanager.GetSecretValue').length;

beforeAll(async () => {
  server = await startSecretsManagerServer();
  client = new SecretsManagerClient({
    region: 'us-west-2',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
  ARN = server.put(SECRET_NAME, 'sm-old,sm-new');
});

afterAll(async () => {
  client.destroy();
  await server.close();
});

describe('webhook secrets from the environment', () => {
  const env = () => ({
    GRANTPLANE_WEBHOOK_SECRET_ARN_GENERIC: ARN,
    GRANTPLANE_WEBHOOK_SECRET_JIRA: ' jira-a , jira-b ',
  });
  it('plain values are split on commas; an ARN is read (rotation list) and cached 5 minutes, then re-read', async () => {
    let now = 0;
    const before = getCalls();
    const secrets = envSecrets(env(), reader, () => now);
    expect(await secrets('jira')).toEqual(['jira-a', 'jira-b']);
    expect(await secrets('servicenow')).toEqual([]);
    expect(await secrets('generic')).toEqual(['sm-old', 'sm-new']);
    expect(await secrets('generic')).toEqual(['sm-old', 'sm-new']);
    expect(getCalls() - before).toBe(1);
    // Rotation finished in Secrets Manager: picked up after the cache time, without a deploy.
    server.put(SECRET_NAME, 'sm-new');
    now += 5 * 60_000 - 1;
    expect(await secrets('generic')).toEqual(['sm-old', 'sm-new']);
    now += 2;
    expect(await secrets('generic')).toEqual(['sm-new']);
    expect(getCalls() - before).toBe(2);
    server.put(SECRET_NAME, 'sm-old,sm-new');
  });

  it('an ARN in GRANTPLANE_WEBHOOK_SECRET_<SOURCE> is read too, beside plain values', async () => {
    const secrets = envSecrets({ GRANTPLANE_WEBHOOK_SECRET_GENERIC: `plain-1, ${ARN}` }, reader);
    expect(await secrets('generic')).toEqual(['plain-1', 'sm-old', 'sm-new']);
  });

  const delivery = async (secretsEnv: Record<string, string>, ticket: string) => {
    const table = await freshTable();
    const clock = new TestClock(new Date('2026-11-23T04:00:00Z'));
    const deps = buildDeps({
      client: table.client,
      tableName: table.tableName,
      config: parseConfig(TEST_CONFIG),
      clock,
      ids: counterIds('01SECR'),
    });
    const handler = makeHandler(deps, {
      auth: parseAuthEnv({}),
      logger: new Logger({ logLevel: 'SILENT' }),
      secrets: envSecrets(secretsEnv, reader),
    });
    const text = JSON.stringify({
      event: 'ticket.created',
      ticket: { system: 'servicedesk', key: ticket },
      actor: { id: 'alice' },
      grant: {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
        resource: { type: 's3', bucket: 'acme-sm', access: 'read' },
      },
    });
    const t = Math.floor(clock.now().getTime() / 1000);
    return (secret: string) =>
      handler(
        apiEvent({
          method: 'POST',
          path: '/v1/webhooks/generic',
          headers: { 'Content-Type': 'application/json', 'X-Grantplane-Signature': signGeneric(text, secret, t) },
          body: text,
        }),
        lambdaContext(),
      );
  };

  it('the webhook handler verifies deliveries with the secret read from Secrets Manager', async () => {
    const send = await delivery(env(), 'SM-1');
    expect((await send('not-it')).statusCode).toBe(401);
    const accepted = await send('sm-new');
    expect(accepted.statusCode).toBe(200);
    expect(JSON.parse(accepted.body ?? '{}')).toMatchObject({ status: 'pending-approval', source: 'generic' });
  });

  it('a secret that cannot be read answers 500 (the sender retries), not 401, and shows no value', async () => {
    const missing = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/webhook/gone-AbCdEf';
    const send = await delivery({ GRANTPLANE_WEBHOOK_SECRET_ARN_GENERIC: missing }, 'SM-2');
    const answer = await send('sm-new');
    expect(answer.statusCode).toBe(500);
    expect(answer.body ?? '').not.toContain('sm-new');
  });
});
