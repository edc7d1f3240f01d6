// The IAM emulator: IAM's query protocol on loopback, for development and tests (docs/applier.md "IAM
// modes", docs/api.md). Any credentials are accepted (requests are not signature-checked); the access
// key id only chooses the account.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IamEmulatorError } from './errors.js';
import { HANDLERS, isReadAction, unknownAction } from './handlers.js';
import { errorXml, type FormParams, IAM_VERSION, parseForm, successXml } from './protocol.js';
import { DEFAULT_QUOTAS, IamAccount, type IamQuotas } from './state.js';

export interface IamFaults {
  /** Fraction (0–1) of calls answered with `Throttling` (HTTP 400), decided by a seeded PRNG. */
  throttleRate?: number;
  /** Seed of the throttling PRNG (default 1): the same seed and call order throttle the same calls. */
  seed?: number;
  /**
   * The Nth call (1-based, counted from start or from the last setFaults) fails with
   * `ServiceFailure` (HTTP 500) without changing anything. A list fails each of those calls.
   */
  failOnCall?: number | number[];
}

export interface IamEmulatorOptions extends IamFaults {
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
  /** Default account for any access key id (default `123456789012`). */
  accountId?: string;
  /**
   * Access key id → account id. Keys not listed use `accountId`, except a key that is itself a
   * 12-digit number, which names its account (`AWS_ACCESS_KEY_ID=111122223333`).
   */
  accessKeyAccounts?: Record<string, string>;
  /** IAM quotas to enforce (defaults: IAM's documented defaults). */
  quotas?: Partial<IamQuotas>;
  /** Clock for CreateDate/UpdateDate. */
  now?: () => Date;
}

/** One request the emulator received. */
export interface IamCall {
  action: string;
  /** Form parameters without Action and Version. */
  params: FormParams;
  accountId: string;
  /** Get…/List… actions. */
  read: boolean;
  /** Error code answered, if any (including injected faults). */
  error?: string;
  /** Set when the answer was an injected fault. */
  fault?: 'throttled' | 'failed';
}

export interface SeedDataPlaneInput {
  accountId: string;
  orgPrefix: string;
  /** Issuer without scheme, e.g. `oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE`. */
  oidcProvider: string;
  userFlyteRoleName?: string;
  adminFlyteRoleName?: string;
  userFlyteRolePolicyName?: string;
  /** When it is a policy ARN of this account that does not exist yet, it is created (allow-all). */
  permissionsBoundaryArn?: string | null;
}

export interface SeededDataPlane {
  userFlyteRoleArn: string;
  adminFlyteRoleArn: string;
  userFlyteRolePolicyArn: string;
  oidcProviderArn: string;
  permissionsBoundaryArn: string | null;
}

export interface IamEmulator {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint` or `AWS_ENDPOINT_URL_IAM`. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
  /** Every call received since start or the last resetCalls(), oldest first. */
  readonly calls: readonly IamCall[];
  resetCalls(): void;
  /** Creates what a Union data plane already has in its account (idempotent). */
  seedDataPlane(input: SeedDataPlaneInput): SeededDataPlane;
  /** Replaces the fault settings and restarts the failOnCall count. */
  setFaults(faults: IamFaults): void;
  /** Direct access to an account's state (created on first use), for assertions and seeding. */
  account(accountId: string): IamAccount;
}

/** mulberry32: a tiny deterministic PRNG, so throttling is reproducible from a seed. */
const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const ACCESS_KEY_PATTERN = /Credential=([^/,\s]+)\//;

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
};

const trustForOidc = (
  accountId: string,
  oidcProvider: string,
  sub: string,
  operator: 'StringEquals' | 'StringLike',
): string =>
  JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/${oidcProvider}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { [operator]: { [`${oidcProvider}:sub`]: sub, [`${oidcProvider}:aud`]: 'sts.amazonaws.com' } },
        },
      ],
    },
    null,
    2,
  );

/** Starts the IAM emulator on 127.0.0.1. */
export const startIamEmulator = async (options: IamEmulatorOptions = {}): Promise<IamEmulator> => {
  const defaultAccountId = options.accountId ?? '123456789012';
  const quotas: IamQuotas = { ...DEFAULT_QUOTAS, ...options.quotas };
  const now = options.now ?? (() => new Date());
  const accounts = new Map<string, IamAccount>();
  const account = (accountId: string): IamAccount => {
    let found = accounts.get(accountId);
    if (found === undefined) {
      found = new IamAccount(accountId, quotas, now);
      accounts.set(accountId, found);
    }
    return found;
  };

  let calls: IamCall[] = [];
  let faults: IamFaults = {};
  let random = prng(1);
  let faultCount = 0;
  const setFaults = (next: IamFaults): void => {
    faults = { ...next };
    random = prng(next.seed ?? 1);
    faultCount = 0;
  };
  setFaults(options);

  const accountFor = (req: IncomingMessage, params: FormParams): string => {
    const header = req.headers.authorization ?? params['X-Amz-Credential'] ?? '';
    const match = ACCESS_KEY_PATTERN.exec(header) ?? /^([^/]+)\//.exec(header);
    const keyId = match?.[1];
    if (keyId === undefined) return defaultAccountId;
    const mapped = options.accessKeyAccounts?.[keyId];
    if (mapped !== undefined) return mapped;
    return /^\d{12}$/.test(keyId) ? keyId : defaultAccountId;
  };

  const answer = (res: ServerResponse, status: number, body: string, requestId: string): void => {
    res.writeHead(status, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = req.method === 'POST' ? await readBody(req) : '';
    const params = { ...parseForm(url.search.slice(1)), ...parseForm(body) };
    const { Action: action, Version: version, ...rest } = params;
    const accountId = accountFor(req, params);
    try {
      if (action === undefined) throw new IamEmulatorError('MissingAction', 'Missing Action');
      if (version !== undefined && version !== IAM_VERSION) {
        throw new IamEmulatorError('InvalidAction', `Could not find operation ${action} for version ${version}`);
      }
      const call: IamCall = { action, params: rest, accountId, read: isReadAction(action) };
      calls.push(call);
      faultCount += 1;
      const rate = faults.throttleRate ?? 0;
      if (rate > 0 && random() < rate) {
        call.fault = 'throttled';
        call.error = 'Throttling';
        throw new IamEmulatorError('Throttling', 'Rate exceeded');
      }
      const failOn = faults.failOnCall;
      if (failOn !== undefined && (Array.isArray(failOn) ? failOn.includes(faultCount) : failOn === faultCount)) {
        call.fault = 'failed';
        call.error = 'ServiceFailure';
        throw new IamEmulatorError('ServiceFailure', 'Injected failure (failOnCall).');
      }
      const handler = HANDLERS[action];
      if (handler === undefined) throw unknownAction(action);
      try {
        answer(res, 200, successXml(action, handler(account(accountId), rest), requestId), requestId);
      } catch (error: unknown) {
        if (error instanceof IamEmulatorError) call.error = error.code;
        throw error;
      }
    } catch (error: unknown) {
      const iamError =
        error instanceof IamEmulatorError
          ? error
          : new IamEmulatorError('ServiceFailure', 'Request could not be handled due to an internal error.');
      if (!(error instanceof IamEmulatorError)) console.error('iam emulator: internal error', error);
      answer(res, iamError.status, errorXml(iamError, requestId), requestId);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('iam emulator: request failed', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('iam emulator: no TCP address');
  const { port } = address satisfies AddressInfo;

  const seedDataPlane = (input: SeedDataPlaneInput): SeededDataPlane => {
    const acct = account(input.accountId);
    const userRole = input.userFlyteRoleName ?? `${input.orgPrefix}-userflyterole`;
    const adminRole = input.adminFlyteRoleName ?? `${input.orgPrefix}-adminflyterole`;
    const policyName = input.userFlyteRolePolicyName ?? 'userflyterole';
    const oidcArn = `arn:aws:iam::${input.accountId}:oidc-provider/${input.oidcProvider}`;
    if (!acct.hasOpenIdConnectProvider(oidcArn)) {
      acct.createOpenIdConnectProvider({
        url: `https://${input.oidcProvider}`,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
        tags: [],
      });
    }
    const policyArn = acct.policyArn('/', policyName);
    if (!acct.hasPolicy(policyArn)) {
      // What Union's data plane setup grants task pods by default (abridged).
      acct.createPolicy({
        name: policyName,
        document: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'UnionBuckets',
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
              Resource: [`arn:aws:s3:::opta-${input.orgPrefix}-*`, `arn:aws:s3:::opta-${input.orgPrefix}-*/*`],
            },
          ],
        }),
      });
    }
    let boundaryArn: string | null = input.permissionsBoundaryArn ?? null;
    const boundaryPrefix = `arn:aws:iam::${input.accountId}:policy/`;
    if (boundaryArn !== null && boundaryArn.startsWith(boundaryPrefix) && !acct.hasPolicy(boundaryArn)) {
      const rest = boundaryArn.slice(boundaryPrefix.length);
      const slash = rest.lastIndexOf('/');
      acct.createPolicy({
        name: rest.slice(slash + 1),
        path: slash < 0 ? '/' : `/${rest.slice(0, slash + 1)}`,
        document: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      });
    } else if (
      boundaryArn !== null &&
      !boundaryArn.startsWith('arn:aws:iam::aws:policy/') &&
      !acct.hasPolicy(boundaryArn)
    ) {
      boundaryArn = null; // another account's policy cannot be a boundary here
    }
    const seedRole = (name: string, sub: string, operator: 'StringEquals' | 'StringLike'): string => {
      if (!acct.hasRole(name)) {
        acct.createRole({ name, trustPolicy: trustForOidc(input.accountId, input.oidcProvider, sub, operator) });
      }
      acct.attachRolePolicy(name, policyArn);
      return acct.getRole(name).arn;
    };
    return {
      // Task pods of every project-domain namespace use the default service account.
      userFlyteRoleArn: seedRole(userRole, 'system:serviceaccount:*:default', 'StringLike'),
      adminFlyteRoleArn: seedRole(adminRole, 'system:serviceaccount:union:*', 'StringLike'),
      userFlyteRolePolicyArn: policyArn,
      oidcProviderArn: oidcArn,
      permissionsBoundaryArn: boundaryArn,
    };
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    get calls() {
      return calls;
    },
    resetCalls: () => {
      calls = [];
    },
    seedDataPlane,
    setFaults,
    account,
  };
};
