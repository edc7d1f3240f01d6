// An engine failure is never an empty plan (an unusable IAM action catalogue stands in for any bug):
// the API answers 500 engine.internal-error with nothing of the cause, nothing is stored, every
// target and IAM stay as they were, the applier's repair pass fails (so the error alarm sees it)
// instead of marking grants failed, and EngineErrors is counted.
import { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeApplierHandler } from '../../functions/applier.js';
import { makeHandler as makeGrantsHandler } from '../../functions/http/grants.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { logger } from '../../functions/shared/logger.js';
import { metrics } from '../../functions/shared/metrics.js';
import type { ApplierDeps } from '../../lib/app/applier.js';
import { approveGrant, submitGrant } from '../../lib/app/grants.js';
import { recomputePlaneTargets } from '../../lib/app/targets.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { bundledIamCatalogue, setIamCatalogue } from '../../lib/domain/rules/iam-actions.js';
import { localContext } from '../../lib/local/loops.js';
import { buildDeps } from '../../lib/wiring/http.js';
import { iamForConfig, silentLog } from '../helpers/applier.js';
import { appDeps } from '../helpers/dynamo.js';
import { startIamTest, type IamTestContext } from '../helpers/iam.js';
import { apiEvent } from './events.js';

const request = (bucket: string, domain = 'staging') => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain },
  resource: { type: 's3', bucket, access: 'read' },
  justification: 'tests',
});

let iam: IamTestContext;
let deps: ApplierDeps & Awaited<ReturnType<typeof appDeps>>;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  iam = await startIamTest();
  const base = await appDeps();
  const planes = base.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
  deps = { ...base, iamFor: iamForConfig(iam, planes), log: silentLog() };
  // One grant applied while the engine works: the state an engine failure must not disturb.
  const grant = await submitGrant(deps, {
    request: request('acme-ml-data'),
    actor: { sub: 'alice', roles: ['requester'] },
  });
  await approveGrant(deps, { id: grant.id, actor: { sub: 'bob', roles: ['approver'] } });
  const { applyTargets } = await import('../../lib/app/applier.js');
  await applyTargets(deps, ['prod#flytesnacks#staging']);
  setIamCatalogue({ source: 'broken', services: {} });
});

afterAll(async () => {
  setIamCatalogue(bundledIamCatalogue());
  await iam.stop();
});

describe('engine failure (docs/rules.md: never an empty plan)', () => {
  it('answers 500 engine.internal-error without detail, and stores nothing', async () => {
    const http = buildDeps({ client: deps.table.client, tableName: deps.table.tableName, config: deps.config });
    const handler = makeGrantsHandler(http, { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) });
    const before = (await deps.grants.listGrants({}, { limit: 100 })).items.length;
    const answer = await handler(
      apiEvent({
        method: 'POST',
        path: '/v1/grants',
        caller: { sub: 'carol', groups: ['requester'] },
        body: request('acme-other'),
      }),
      localContext('grants'),
    );
    expect(answer.statusCode).toBe(500);
    const body = JSON.parse(answer.body ?? '{}') as { errors: { code: string; message: string }[] };
    expect(body.errors.map((e) => e.code)).toEqual(['engine.internal-error']);
    expect(JSON.stringify(body)).not.toMatch(/catalogue|services|IamCatalogueError/);
    expect((await deps.grants.listGrants({}, { limit: 100 })).items.length).toBe(before);
  });

  it('leaves every target as it was when a recompute cannot compute', async () => {
    const targets = await deps.targets.listTargets('prod');
    expect(targets.some((t) => t.desired !== null)).toBe(true);
    await expect(recomputePlaneTargets(deps, 'prod')).rejects.toThrow(/engine failed/);
    expect(await deps.targets.listTargets('prod')).toEqual(targets);
  });

  it('fails the applier’s repair pass (no grant marked failed, no IAM call) and counts EngineErrors', async () => {
    const grants = (await deps.grants.listGrants({}, { limit: 100 })).items;
    iam.emulator.resetCalls();
    metrics.clearMetrics();
    const applier = makeApplierHandler(deps);
    // The scheduled invocation: it plans every AWS plane again (repairing recomputes that died, and
    // taking configuration changes in) before it applies what is behind.
    const event: ScheduledEvent = {
      version: '0',
      id: 'sweep',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-11-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {},
    };
    const serialized: string[] = [];
    const spy = metrics.publishStoredMetrics.bind(metrics);
    metrics.publishStoredMetrics = () => {
      serialized.push(JSON.stringify(metrics.serializeMetrics()));
      return spy();
    };
    try {
      await expect(applier(event, localContext('applier'))).rejects.toThrow(/engine failed/);
    } finally {
      metrics.publishStoredMetrics = spy;
    }
    expect(serialized.join('\n')).toContain('EngineErrors');
    expect(iam.emulator.calls.filter((call) => !call.read)).toEqual([]);
    expect((await deps.grants.listGrants({}, { limit: 100 })).items).toEqual(grants);
  });
});
