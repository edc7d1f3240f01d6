// The drift routes (DESIGN §8/§10) through the HTTP Lambda with API Gateway v2 events, the
// scheduled drift Lambda, and the asynchronous Invoke the HTTP function uses behind API Gateway —
// on DynamoDB Local and the IAM emulator.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as makeScheduleHandler, powertoolsDriftMetrics } from '../../functions/drift.js';
import { makeHandler, type DriftHttpDeps } from '../../functions/http/drift.js';
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
    tagCache: makeStorePolicyTagCache(base.store, base.clock),
  };
  // As `npm start` wires it: no drift function to invoke, so the run happens in the request.
  const deps: DriftHttpDeps = {
    store: drift.store,
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
      report: { checkedAt: '2026-11-23T00:05:00.000Z', expired: 1 },
    });
    expect((await getGrant(drift, { id: grant.id })).status).toBe('expired');

    const latest = await invoke(http, { method: 'GET', path: '/v1/drift-checks/latest', caller: reader });
    expect(latest.status).toBe(200);
    const report = latest.body as DriftRunReport;
    expect(report.checkedAt).toBe('2026-11-23T00:05:00.000Z');
    expect(report.expired.map((e) => e.grantId)).toEqual([grant.id]);
    expect(report.targets).toEqual([
      {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
        status: 'orphaned',
        differences: [
          'role acme-flytesnacks-development: grantplane-managed but not declared',
          'policy grantplane-flytesnacks-development-1: grantplane-managed but not declared',
          'no longer desired: the applier is removing it (pending)',
        ],
      },
    ]);
    // The audit names the admin who started it.
    const audit = await drift.store.listAudit({ actor: 'root' }, { limit: 10 });
    expect(audit.items.map((e) => e.action)).toEqual(expect.arrayContaining(['drift.checked', 'grant.expired']));
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
    expect(await drift.store.getLatestDriftReport()).toBeNull();
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
    expect((await drift.store.getLatestDriftReport())?.id).toBe(result.reportId);
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

describe('makeLambdaInvoker (async Invoke behind API Gateway)', () => {
  const capture = async (status: number) => {
    const requests: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 202 ? '' : '{"Message":"denied"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { requests, endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  };
  const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });

  it('sends one SigV4-signed Event invocation with the payload', async () => {
    const server = await capture(202);
    try {
      const invokeAsync = makeLambdaInvoker({ region: 'us-west-2', credentials, endpoint: server.endpoint });

      await invokeAsync('grantplane-drift', { actor: 'root', confirmPrune: false });

      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      expect(request).toMatchObject({ method: 'POST', url: '/2015-03-31/functions/grantplane-drift/invocations' });
      expect(request?.headers['x-amz-invocation-type']).toBe('Event');
      expect(request?.headers['x-amz-security-token']).toBe('token');
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-invocation-type[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(JSON.parse(request?.body ?? '')).toEqual({ actor: 'root', confirmPrune: false });
    } finally {
      await server.close();
    }
  });

  it('fails with LambdaInvokeError when Lambda refuses', async () => {
    const server = await capture(403);
    try {
      const invokeAsync = makeLambdaInvoker({ region: 'us-west-2', credentials, endpoint: server.endpoint });
      await expect(invokeAsync('grantplane-drift', {})).rejects.toThrow(LambdaInvokeError);
    } finally {
      await server.close();
    }
  });
});
