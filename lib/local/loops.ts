// The local stack's background loops (the applier's stream poller, the drift schedule): what one
// gets from the running stack, apart from start.ts so the loops need not import the stack itself.
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { ApplierDeps, ApplierLog } from '../app/applier.js';
import type { CloudSource } from '../app/cloud-apply.js';
import type { GrantplaneConfig } from '../domain/config.js';
import { makeIamClient } from '../adapters/iam/client.js';
import { makeIamGateway } from '../adapters/iam/gateway.js';
import type { IamGateway } from '../domain/ports.js';
import { buildApplierDeps, type PlaneIamSource } from '../wiring/applier.js';
import type { IamEmulator } from './iam-emulator/index.js';

/** What a background loop gets: the running stack's endpoints and configuration. */
export interface LocalStackContext {
  config: GrantplaneConfig;
  tableName: string;
  dynamoClient: DynamoDBClient;
  dynamoEndpoint: string;
  iam: IamEmulator;
  /** GCP and Azure planes: the SDK clients on the local stand-ins (absent when none is configured). */
  cloud?: CloudSource;
  env: Record<string, string | undefined>;
}

/** A long-running part of the local stack (the applier's stream poller, the drift schedule). */
export interface BackgroundLoop {
  name: string;
  start(context: LocalStackContext): Promise<{ stop(): Promise<void> }>;
}

/**
 * IAM per plane on the local stack: the emulator picks the account from the access key id, so each
 * plane's client signs with its account id (docs/api.md: one emulator, one account per plane).
 */
export function emulatorIamSource(endpoint: string): PlaneIamSource {
  const gateways = new Map<string, IamGateway>();
  return async (plane) => {
    let gateway = gateways.get(plane.accountId);
    if (gateway === undefined) {
      gateway = makeIamGateway(
        makeIamClient({
          endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: plane.accountId, secretAccessKey: 'local' },
        }),
      );
      gateways.set(plane.accountId, gateway);
    }
    return gateway;
  };
}

/** The applier's deps on the running stack: its table, and per plane the emulator's account. */
export const localApplierDeps = (context: LocalStackContext, log: ApplierLog): ApplierDeps =>
  buildApplierDeps({
    client: context.dynamoClient,
    tableName: context.tableName,
    config: context.config,
    iamFor: emulatorIamSource(context.iam.endpoint),
    ...(context.cloud === undefined ? {} : { cloudFor: context.cloud }),
    log,
  });

/** A Lambda context for a local invocation (the logger reads its names) with `timeoutMs` to run. */
export function localContext(functionName: string, options: { requestId?: string; timeoutMs?: number } = {}): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
