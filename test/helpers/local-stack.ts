// The whole local stack (docs/api.md) for end-to-end tests: HTTP API, DynamoDB Local, IAM emulator and
// the applier fed from the table stream, plus an IAM client on the emulator and an HTTP caller.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IAMClient } from '@aws-sdk/client-iam';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import type { LocalStack } from '../../lib/local/start.js';

export { eventually } from './eventually.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface E2eStack {
  stack: LocalStack;
  /** IAM client on the emulator, in the example config's prod account. */
  iam: IAMClient;
  /** One HTTP call with a bearer token; answers the status and the parsed JSON body. */
  call(
    method: string,
    path: string,
    bearer: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/**
 * Starts an ephemeral stack on free ports with the example config (or `configPath`) and the
 * applier loop (and the notifier's, with `withNotifier`; the drift schedule's, with `withDrift`, as
 * `npm start` runs it: POST /v1/drift-checks then reaches every plane on the local stand-ins).
 */
export const startE2eStack = async (
  options: { configPath?: string; withNotifier?: boolean; withDrift?: boolean } = {},
): Promise<E2eStack> => {
  delete process.env.GRANTPLANE_LOCAL_JWT_SECRET;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // Imported after the log level is set: the handlers' logger reads it when first imported.
  const { startLocalStack } = await import('../../lib/local/start.js');
  const { applierLoop, notifierLoop } = await import('../../lib/local/stream-poller.js');
  const { driftLoop } = await import('../../lib/local/schedule.js');
  const stack = await startLocalStack({
    ephemeral: true,
    port: 0,
    configPath: options.configPath ?? resolve(repo, 'grantplane.config.yaml'),
    loops: [
      applierLoop,
      ...(options.withNotifier === true ? [notifierLoop] : []),
      ...(options.withDrift === true ? [driftLoop] : []),
    ],
  });
  const iam = new IAMClient({
    endpoint: stack.iamEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: '123456789012', secretAccessKey: 'any' },
  });
  return {
    stack,
    iam,
    call: (method, path, bearer, body) => callApi(stack.url, method, path, bearer, body),
    async stop() {
      iam.destroy();
      await stack.stop();
    },
  };
};

/** One HTTP call to the API at `url` with a bearer token: the status and the parsed JSON body. */
export const callApi = async (
  url: string,
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> => {
  const answer = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: answer.status, json: (await answer.json()) as Record<string, unknown> };
};

/** Tokens the local stack accepts (signed with its dev secret), for the people the tests act as. */
export const TOKENS = {
  alice: mintLocalToken({ sub: 'alice', roles: ['requester'] }, DEV_JWT_SECRET),
  bob: mintLocalToken({ sub: 'bob', roles: ['approver'] }, DEV_JWT_SECRET),
  admin: mintLocalToken({ sub: 'carol', roles: ['admin', 'approver'] }, DEV_JWT_SECRET),
};
