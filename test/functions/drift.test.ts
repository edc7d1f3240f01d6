// The drift routes (docs/api.md/docs/drift-and-expiry.md) through the HTTP Lambda with API Gateway v2 events, the
// scheduled drift Lambda, and the asynchronous Invoke the HTTP function uses behind API Gateway —
// on DynamoDB Local and the IAM emulator.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as makeScheduleHandler } from '../../functions/drift.js';
import { powertoolsDriftMetrics } from '../../functions/shared/metrics.js';
import { makeHandler } from '../../functions/http/drift.js';
import type { DriftApiDeps } from '../../lib/app/drift-run.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { LambdaInvokeError, makeLambdaInvoker } from '../../lib/adapters/lambda/invoke.js';
import { applyTargets } from '../../lib/app/applier.js';
import {
  makeStorePolicyTagCache,
  runDriftCheck,
  type DriftRunDeps,
  type DriftRunReport,
} from '../../lib/app/drift-run.js';
import { getGrant, submitGrant } from '../../lib/app/grants.js';
import { makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import { appDeps, TEST_CONFIG, type TestClock } from '../helpers/dynamo.js';
import { iamClientFor, startIamTest, type IamTestContext } from '../helpers/iam.js';
import { invoke, lambdaContext } from './events.js';

const ACCOUNT = '123456789012';
const OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const options = { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) };
const admin = { sub: 'root', groups: ['admin'] };
const reader = { sub: 'carol', groups: [] as string[] };
const requester = { sub: 'alice', groups: ['requester'] };

let iam: IamTestContext;
let drift: DriftRunDeps;
let clock: TestClock;
let http: ReturnType<typeof makeHandler>;

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  iam = await startIamTest();
  iam.emulator.seedDataPlane({ accountId: ACCOUNT, orgPrefix: 'acme', oidcProvider: OIDC });
  const gateway = makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: ACCOUNT }));
  const base = await appDeps({ dataPlanes: [TEST_CONFIG.dataPlanes[0]] });
  base.clock.set('2026-11-23T00:00:00.000Z');
  clock = base.clock;
  drift = {
    ...base,
    iamFor: async () => gateway,
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    cache: makePolicyDocumentCache(),
    tagCache: makeStorePolicyTagCache(base.driftReports, base.clock),
  };
  // As `npm start` wires it: no drift function to invoke, so the run happens in the request.
  const deps: DriftApiDeps = {
    driftReports: drift.driftReports,
    start: async (input) => ({ status: 'completed', report: await runDriftCheck(drift, input) }),
  };
  http = makeHandler(deps, options);
});

afterEach(async () => {
  await iam.stop();
});

describe('GET /v1/drift-checks/latest', () => {
  it('answers 404 problem+json before the first run', async () => {
    const answer = await invoke(http, { method: 'GET', path: '/v1/drift-checks/latest', caller: reader });

    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 404, errors: [{ code: 'drift-check.none' }] });
  });
});

describe('POST /v1/drift-checks', () => {
  it('runs now for an admin (202, no body) and GET latest — for any caller — returns the stored report', async () => {
    const grant = await submitGrant(drift, {
      request: {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
        resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
        justification: 't',
        expiresAt: '2026-11-23T00:01:00Z',
      },
      actor: { sub: 'alice', roles: ['requester'] },
    });
    await applyTargets(drift, [grant.targetKey]);
    clock.set('2026-11-23T00:05:00.000Z');

    const started = await invoke(http, { method: 'POST', path: '/v1/drift-checks', caller: admin });

    expect(started.status).toBe(202);
    expect(started.headers.location).toBe('/v1/drift-checks/latest');
    expect(started.body).toMatchObject({
      status: 'completed',
      latest: '/v1/drift-checks/latest',
      report: { checkedAt: '2026-11-23T00:05:00.000Z', expired: 1, notInSync: 0 },
    });
    // Its statements are still in IAM (the applier removes them): revoking until then (docs/api.md).
    expect(await getGrant(drift, { id: grant.id })).toMatchObject({ status: 'revoking', endingAs: 'expired' });

    const latest = await invoke(http, { method: 'GET', path: '/v1/drift-checks/latest', caller: reader });
    expect(latest.status).toBe(200);
    const report = latest.body as DriftRunReport;
    expect(report.checkedAt).toBe('2026-11-23T00:05:00.000Z');
    expect(report.expired.map((e) => e.grantId)).toEqual([grant.id]);
    expect(report.targets).toEqual([
      {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
        // grantplane's own removal right after an expiry: not drift (docs/drift-and-expiry.md `removing`).
        status: 'removing',
        differences: [
          'role acme-flytesnacks-development: grantplane-managed but not declared',
          'policy grantplane-flytesnacks-development-1: grantplane-managed but not declared',
          'no longer desired: the applier is removing it (pending)',
        ],
      },
    ]);
    // The audit names the admin who started it.
    const audit = await drift.audit.listAudit({ actor: 'root' }, { limit: 10 });
    expect(audit.items.map((e) => e.action)).toEqual(expect.arrayContaining(['drift.checked', 'grant.expired']));

    // The applier removes the access, and only then is the grant expired.
    await applyTargets(drift, [grant.targetKey]);
    expect((await getGrant(drift, { id: grant.id })).status).toBe('expired');
  });

  it('is never skipped: a second POST right after runs again and stores a newer report', async () => {
    const first = await invoke(http, { method: 'POST', path: '/v1/drift-checks', caller: admin });
    const second = await invoke(http, { method: 'POST', path: '/v1/drift-checks', caller: admin });

    const ids = [first, second].map((answer) => (answer.body as { report: { id: string } }).report.id);
    expect(new Set(ids).size).toBe(2);
    const latest = await invoke(http, { method: 'GET', path: '/v1/drift-checks/latest', caller: reader });
    expect((latest.body as DriftRunReport).id).toBe(ids[1]);
  });

  it('refuses callers without the admin role (403) and bad query values (400)', async () => {
    const refused = await invoke(http, { method: 'POST', path: '/v1/drift-checks', caller: requester });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('application/problem+json');

    const bad = await invoke(http, {
      method: 'POST',
      path: '/v1/drift-checks',
      caller: admin,
      query: { confirmPrune: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ path: 'query.confirmPrune' }] });
    expect(await drift.driftReports.getLatestDriftReport()).toBeNull();
  });
});

describe('the drift Lambda (schedule target)', () => {
  it('runs the check for a scheduled event, stores the report and returns its summary', async () => {
    const handler = makeScheduleHandler(drift, {
      metrics: new Metrics({ namespace: 'grantplane', serviceName: 'grantplane' }),
    });

    const result = await handler(
      { version: '0', 'detail-type': 'Scheduled Event', source: 'aws.scheduler' },
      lambdaContext(),
    );

    expect(result).toMatchObject({ targets: 0, notInSync: 0, expired: 0, errors: [] });
    expect((await drift.driftReports.getLatestDriftReport())?.id).toBe(result.reportId);
  });

  it('publishes DriftedTargets and ExpiredGrants in the grantplane namespace with the service dimension', () => {
    const metrics = new Metrics({ namespace: 'grantplane', serviceName: 'grantplane' });
    const counters = powertoolsDriftMetrics(metrics);

    counters.count('DriftedTargets', 3);
    counters.count('ExpiredGrants', 1);

    const emf = metrics.serializeMetrics();
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'grantplane', Dimensions: [['service']] });
    expect(emf).toMatchObject({ service: 'grantplane', DriftedTargets: 3, ExpiredGrants: 1 });
    metrics.clearMetrics();
  });
});

describe('makeLambdaInvoker (async Invoke behind API Gateway, docs/api.md/docs/drift-and-expiry.md)', () => {
  // A loopback stand-in for Lambda's Invoke in its REST-JSON protocol: POST
  // /2015-03-31/functions/<name>/invocations with X-Amz-Invocation-Type; 202 and an empty body for a
  // queued Event invocation of a known function, else Lambda's error shape (status, JSON body and
  // x-amzn-ErrorType). The real LambdaClient talks to it; signatures are recorded, not verified.
  interface InvokeCall {
    method: string;
    functionName: string;
    invocationType: string;
    authorization: string;
    securityToken: string;
    payload: unknown;
  }
  const startLambda = async (functions: string[], answer: { status: number } = { status: 202 }) => {
    const calls: InvokeCall[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
        const functionName = match?.[1] === undefined ? '' : decodeURIComponent(match[1]);
        const text = Buffer.concat(chunks).toString('utf8');
        calls.push({
          method: req.method ?? '',
          functionName,
          invocationType: String(req.headers['x-amz-invocation-type'] ?? ''),
          authorization: String(req.headers.authorization ?? ''),
          securityToken: String(req.headers['x-amz-security-token'] ?? ''),
          payload: text === '' ? undefined : (JSON.parse(text) as unknown),
        });
        const fail = (status: number, type: string, message: string) =>
          res
            .writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type })
            .end(JSON.stringify({ Type: 'User', message }));
        if (req.method !== 'POST' || match === null) return fail(404, 'UnknownOperationException', 'Unknown operation');
        if (!functions.includes(functionName)) {
          return fail(404, 'ResourceNotFoundException', `Function not found: ${functionName}`);
        }
        res.writeHead(answer.status, { 'x-amzn-requestid': 'test-request' }).end('');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      calls,
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  };
  const clientFor = (endpoint: string) =>
    new LambdaClient({
      endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
      maxAttempts: 1,
    });

  it('sends one signed Event invocation of the named function with the payload', async () => {
    const lambda = await startLambda(['grantplane-drift']);
    try {
      const invokeAsync = makeLambdaInvoker(clientFor(lambda.endpoint));

      await invokeAsync('grantplane-drift', { actor: 'root', confirmPrune: false });

      expect(lambda.calls).toEqual([
        {
          method: 'POST',
          functionName: 'grantplane-drift',
          invocationType: 'Event',
          authorization: expect.stringMatching(
            /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-invocation-type[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
          ),
          securityToken: 'token',
          payload: { actor: 'root', confirmPrune: false },
        },
      ]);
    } finally {
      await lambda.close();
    }
  });

  it("takes region, credentials and AWS_ENDPOINT_URL_LAMBDA from the SDK's standard configuration by default", async () => {
    const lambda = await startLambda(['grantplane-drift']);
    const names = [
      'AWS_ENDPOINT_URL_LAMBDA',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
    ];
    const saved = names.map((name) => [name, process.env[name]] as const);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'AKIDFROMENV',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'env-token',
    });
    try {
      await makeLambdaInvoker()('grantplane-drift', { actor: 'root', confirmPrune: true });

      expect(lambda.calls).toEqual([
        expect.objectContaining({
          functionName: 'grantplane-drift',
          invocationType: 'Event',
          securityToken: 'env-token',
          payload: { actor: 'root', confirmPrune: true },
        }),
      ]);
      expect(lambda.calls[0]?.authorization).toContain('Credential=AKIDFROMENV/');
      expect(lambda.calls[0]?.authorization).toContain('/eu-central-1/lambda/aws4_request');
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await lambda.close();
    }
  });

  it('fails with LambdaInvokeError (status, the SDK error as cause) when Lambda refuses', async () => {
    const lambda = await startLambda(['grantplane-drift']);
    try {
      const error = await makeLambdaInvoker(clientFor(lambda.endpoint))('grantplane-missing', {}).then(
        () => null,
        (failure: unknown) => failure,
      );

      expect(error).toBeInstanceOf(LambdaInvokeError);
      expect(error).toMatchObject({
        status: 404,
        message: expect.stringContaining('ResourceNotFoundException: Function not found: grantplane-missing'),
      });
      expect((error as LambdaInvokeError).cause).toBeInstanceOf(ResourceNotFoundException);
      expect(lambda.calls.map((call) => call.functionName)).toEqual(['grantplane-missing']);
    } finally {
      await lambda.close();
    }
  });

  it('fails with LambdaInvokeError when the invocation was not queued (an answer other than 202)', async () => {
    const lambda = await startLambda(['grantplane-drift'], { status: 200 });
    try {
      const failing = makeLambdaInvoker(clientFor(lambda.endpoint))('grantplane-drift', {});

      await expect(failing).rejects.toThrow(LambdaInvokeError);
      await expect(failing).rejects.toMatchObject({ status: 200 });
    } finally {
      await lambda.close();
    }
  });

  it('fails with LambdaInvokeError when Lambda cannot be reached', async () => {
    const lambda = await startLambda([]);
    await lambda.close();

    const error = await makeLambdaInvoker(clientFor(lambda.endpoint))('grantplane-drift', {}).then(
      () => null,
      (failure: unknown) => failure,
    );

    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect(error).toMatchObject({ status: null, cause: expect.any(Error) });
  });
});
