// `npm start` (docs/api.md): the whole service on one machine, no AWS account. DynamoDB Local with
// the production table, the IAM emulator seeded with what each AWS data plane already has, and the
// HTTP API on 127.0.0.1:${PORT:-8080} running the very Lambda handlers. Background loops (the
// applier fed from the table's stream, the drift/expiry schedule) plug in through
// `backgroundLoops`. Ctrl-C (SIGINT/SIGTERM) stops every child.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDocumentClient } from '../adapters/dynamodb/client.js';
import { makeDynamoTargetStore } from '../adapters/dynamodb/target-store.js';
import { ensureTable } from '../adapters/dynamodb/table.js';
import type { GrantplaneConfig } from '../domain/config.js';
import { ConcurrentUpdateError, type TargetStore } from '../domain/ports.js';
import { readConfigFile } from './config-file.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { useLiveCloudSource } from '../wiring/cloud.js';
import { startCloudStandIns } from './cloud/index.js';
import { startIamEmulator } from './iam-emulator/index.js';
import { localJwtSecret, mintLocalToken } from './jwt.js';
import { launchers, watchProcesses } from './launcher-watch.js';
import { loadLambdaHandlers, startLocalServer } from './server.js';
import { driftLoop } from './schedule.js';
import { applierLoop, notifierLoop } from './stream-poller.js';
import type { BackgroundLoop, LocalStackContext } from './loops.js';

export type { BackgroundLoop, LocalStackContext } from './loops.js';

/**
 * Loops started with the stack, in order, and stopped in reverse. Owners of the applier and the
 * schedule add theirs here (or pass `loops` to startLocalStack).
 */
export const backgroundLoops: BackgroundLoop[] = [applierLoop, notifierLoop, driftLoop];

export interface LocalStackOptions {
  /** Keep nothing on disk (DynamoDB Local -inMemory); else the data lives in `dataDir`. */
  ephemeral?: boolean;
  /** Default `.grantplane` under cwd. */
  dataDir?: string;
  /** HTTP port; default PORT or 8080 (0: a free port). */
  port?: number;
  /** IAM emulator port; default GRANTPLANE_IAM_PORT or a free port. */
  iamPort?: number;
  /** GCP and Azure stand-in ports; default GRANTPLANE_GCS_PORT / GRANTPLANE_ARM_PORT or free ports. */
  gcsPort?: number;
  armPort?: number;
  /** Configuration file; default GRANTPLANE_CONFIG or grantplane.config.yaml. */
  configPath?: string;
  tableName?: string;
  loops?: readonly BackgroundLoop[];
  cwd?: string;
}

export interface LocalStack {
  /** Targets a kept table had applied, marked for the applier to re-create in the fresh IAM emulator. */
  reapplied: number;
  url: string;
  iamEndpoint: string;
  /** The Cloud Storage and Azure Resource Manager stand-ins, when a GCP or Azure plane is configured. */
  cloudEndpoints?: { gcs: string; gcpIam: string; arm: string };
  dynamoEndpoint: string;
  tableName: string;
  configPath: string;
  config: GrantplaneConfig;
  stop(): Promise<void>;
}

const portFrom = (text: string | undefined, variable: string): number | undefined => {
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${variable} must be a port number (0-65535), got "${text}"`);
  return port;
};

/**
 * Marks every applied target of a kept table `pending`: the emulator starts with only what a data
 * plane already has, so the applier's first sweep re-creates grantplane's roles and policies (A4)
 * instead of grants reading `active` with nothing behind them in IAM.
 */
async function markForReapply(store: TargetStore): Promise<number> {
  let marked = 0;
  for (const target of await store.listTargets()) {
    if (target.state !== 'applied' || target.desired === null) continue;
    try {
      await store.putTarget({ ...target, state: 'pending' }, target.desiredVersion);
      marked += 1;
    } catch (error: unknown) {
      // Only this process writes the table before the loops start; a conflict means it moved on anyway.
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
  return marked;
}

/** Starts the local stack; process.env is pointed at it so the Lambda handlers wire themselves to it. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const cwd = options.cwd ?? process.cwd();
  const env = process.env;
  // CloudWatch metrics (EMF lines) mean nothing on one machine: off unless asked for.
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const configPath = resolve(cwd, options.configPath ?? (env.GRANTPLANE_CONFIG || 'grantplane.config.yaml'));
  const { document, config } = readConfigFile(configPath); // fails fast, naming the key
  const tableName = options.tableName ?? (env.GRANTPLANE_TABLE || 'grantplane');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error: unknown) {
        console.error('grantplane: error while stopping:', error instanceof Error ? error.message : error);
      }
    }
  };
  try {
    let dbPath: string | undefined;
    if (options.ephemeral !== true) {
      dbPath = resolve(cwd, options.dataDir ?? '.grantplane');
      mkdirSync(dbPath, { recursive: true });
    }
    const dynamo = await startDynamoDbLocal({ port: 0, ...(dbPath === undefined ? {} : { dbPath }) });
    stops.push(() => dynamo.stop());

    // The SDK's standard variables, so every client the handlers build finds the local endpoints.
    env.AWS_REGION ||= 'us-east-1';
    env.AWS_ACCESS_KEY_ID ||= 'local';
    env.AWS_SECRET_ACCESS_KEY ||= 'local';
    env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint });
    stops.push(async () => dynamoClient.destroy());
    await ensureTable(dynamoClient, tableName);
    // The table outlives a restart, the IAM emulator does not (it lives in this process).
    const reapplied =
      options.ephemeral === true
        ? 0
        : await markForReapply(makeDynamoTargetStore(makeDocumentClient(dynamoClient), tableName));

    const iamPort = options.iamPort ?? portFrom(env.GRANTPLANE_IAM_PORT, 'GRANTPLANE_IAM_PORT') ?? 0;
    // Any credentials reach the first AWS plane's account (an access key id that is an account id
    // picks another), so the banner's `aws iam list-roles` shows what grantplane changed.
    const firstAws = config.dataPlanes.find((plane) => plane.cloud === 'aws');
    const iam = await startIamEmulator({
      port: iamPort,
      ...(firstAws?.cloud === 'aws' ? { accountId: firstAws.accountId } : {}),
    });
    stops.push(() => iam.stop());
    for (const plane of config.dataPlanes) {
      if (plane.cloud !== 'aws') continue;
      iam.seedDataPlane(plane);
    }
    env.AWS_ENDPOINT_URL_IAM = iam.endpoint;
    // GCP and Azure planes are applied through their SDKs on local stand-ins (docs/gcp-azure.md).
    const cloud = config.dataPlanes.some((plane) => plane.cloud !== 'aws')
      ? await startCloudStandIns({
          gcs: {
            anyBucket: true,
            port: options.gcsPort ?? portFrom(env.GRANTPLANE_GCS_PORT, 'GRANTPLANE_GCS_PORT') ?? 0,
          },
          armPort: options.armPort ?? portFrom(env.GRANTPLANE_ARM_PORT, 'GRANTPLANE_ARM_PORT') ?? 0,
          gcpIamPort: portFrom(env.GRANTPLANE_GCP_IAM_PORT, 'GRANTPLANE_GCP_IAM_PORT') ?? 0,
        })
      : undefined;
    if (cloud !== undefined) {
      stops.push(() => cloud.close());
      useLiveCloudSource(cloud.source);
    }
    env.GRANTPLANE_TABLE = tableName;
    env.GRANTPLANE_CONFIG = configPath;
    // The handlers read JSON only, as the deployment bundles it (lib/local/config-file.ts).
    env.GRANTPLANE_CONFIG_JSON = JSON.stringify(document);

    const handlers = await loadLambdaHandlers();
    const port = options.port ?? portFrom(env.PORT, 'PORT') ?? 8080;
    const server = await startLocalServer({ handlers, jwtSecret: localJwtSecret(env), port });
    stops.push(() => server.close());

    const context: LocalStackContext = {
      config,
      tableName,
      dynamoClient,
      dynamoEndpoint: dynamo.endpoint,
      iam,
      ...(cloud === undefined ? {} : { cloud: cloud.source }),
      env,
    };
    for (const loop of options.loops ?? backgroundLoops) {
      const running = await loop.start(context);
      stops.push(() => running.stop());
    }
    return {
      reapplied,
      url: server.url,
      iamEndpoint: iam.endpoint,
      ...(cloud === undefined
        ? {}
        : { cloudEndpoints: { gcs: cloud.gcs.endpoint, gcpIam: cloud.gcpIam.endpoint, arm: cloud.arm.endpoint } }),
      dynamoEndpoint: dynamo.endpoint,
      tableName,
      configPath,
      config,
      stop: stopAll,
    };
  } catch (error: unknown) {
    await stopAll();
    throw error;
  }
}

/** Which plane the emulator shows for which credentials, when there is more than one AWS plane. */
function awsAccounts(config: GrantplaneConfig): string[] {
  const planes = config.dataPlanes.flatMap((plane) => (plane.cloud === 'aws' ? [plane] : []));
  if (planes.length < 2) return [];
  return [
    `                 accounts: ${planes.map((plane, i) => `${plane.name} ${plane.accountId}${i === 0 ? ' (default)' : ''}`).join(', ')};`,
    '                 pick one with AWS_ACCESS_KEY_ID=<account id>',
  ];
}

/** The banner `npm start` prints: where everything is, a token, and a request to try. */
export function banner(stack: LocalStack, ephemeral: boolean): string {
  const secret = localJwtSecret(process.env);
  const token = mintLocalToken({ sub: 'alice', roles: ['requester', 'approver', 'admin'] }, secret);
  const plane = stack.config.dataPlanes.find((p) => p.cloud === 'aws') ?? stack.config.dataPlanes[0];
  // A domain that needs an approver, so the sample shows the approval step too.
  const domain =
    plane?.domains.find((d) => !('autoApproveDomains' in plane && plane.autoApproveDomains.includes(d))) ??
    plane?.domains[0] ??
    'development';
  const sample = JSON.stringify({
    dataPlane: plane?.name ?? 'prod',
    scope: { type: 'project-domain', project: 'flytesnacks', domain },
    resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
    justification: 'training jobs read features',
  });
  return [
    `grantplane local stack is up${ephemeral ? ' (ephemeral: nothing kept on disk)' : ''}`,
    `  API            ${stack.url}`,
    `  Console        ${stack.url}/console   (sign in with a token below)`,
    `  IAM emulator   ${stack.iamEndpoint}   (aws iam list-roles --endpoint-url ${stack.iamEndpoint}, any credentials)`,
    ...awsAccounts(stack.config),
    ...(stack.cloudEndpoints === undefined
      ? []
      : [
          `  GCS IAM        ${stack.cloudEndpoints.gcs}   (curl ${stack.cloudEndpoints.gcs}/storage/v1/b/<bucket>/iam)`,
          `  GCP IAM        ${stack.cloudEndpoints.gcpIam}   (secrets, repositories: curl ${stack.cloudEndpoints.gcpIam}/v1/<resource>:getIamPolicy)`,
          `  Azure ARM      ${stack.cloudEndpoints.arm}   (role assignments; self-signed, see lib/local/cloud/tls)`,
        ]),
    `  DynamoDB Local ${stack.dynamoEndpoint}   table ${stack.tableName}`,
    ...(stack.reapplied > 0
      ? [
          `                 kept from the last run: ${stack.reapplied} applied target(s) re-applied to the fresh IAM emulator`,
        ]
      : []),
    `  config         ${stack.configPath}`,
    '',
    'A local token for alice (requester, approver, admin; valid 12 h):',
    `  export TOKEN=${token}`,
    'More: npx grantplane token --sub bob --roles approver',
    '',
    'Try:',
    `  curl -s -X POST ${stack.url}/v1/grants -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `    -d '${sample}'`,
    `  curl -s ${stack.url}/v1/grants -H "Authorization: Bearer $TOKEN"`,
    `  curl -s -X POST ${stack.url}/v1/grants/<id>/approve -H "Authorization: Bearer $(npx grantplane token --sub bob --roles approver)"`,
    '',
    'Ctrl-C stops everything.',
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((arg) => arg !== '--ephemeral');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (npm start [-- --ephemeral])`);
  const ephemeral = argv.includes('--ephemeral');
  // Handlers go in before anything starts: a signal while DynamoDB Local boots would otherwise kill
  // this process without its exit hooks and leave the java child running. tsx relays a Ctrl-C the
  // child already got, so a repeat within a second is the same Ctrl-C; a later one forces the exit
  // (process.exit still runs the hooks that kill the children).
  let stack: LocalStack | undefined;
  let signalledAt: number | undefined;
  const stop = (running: LocalStack) =>
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  const shutdown = (signal: string) => {
    if (signalledAt !== undefined) {
      if (Date.now() - signalledAt < 1000) return;
      console.log(`${signal} again: exiting now`);
      process.exit(130);
    }
    signalledAt = Date.now();
    console.log(`\n${signal}: stopping…`);
    if (stack !== undefined) void stop(stack); // else main stops it as soon as it is up
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  watchProcesses(launchers(), (gone) => shutdown(`launcher (pid ${gone.pid}) exited`));
  try {
    stack = await startLocalStack({ ephemeral });
  } catch (error: unknown) {
    // Stopped while starting: the children went with the signal, so their failure is no news.
    if (signalledAt !== undefined) process.exit(130);
    throw error;
  }
  if (signalledAt !== undefined) {
    await stop(stack);
    return;
  }
  console.log(banner(stack, ephemeral));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`grantplane: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
