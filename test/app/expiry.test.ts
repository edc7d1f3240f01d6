// Expiry of time-bound grants in the scheduled run (docs/drift-and-expiry.md, R8): every grant past its
// `expiresAt` that has not ended — pending, approved or active — ends, audited, and its access is
// removed through the normal path (target recompute → applier), on DynamoDB Local and the IAM
// emulator. Like a revoke (docs/api.md: "revoked (or expired) as soon as its statements are gone from
// IAM"): a grant that may be in IAM goes `revoking` (endingAs `expired`) and becomes `expired` only
// once the applier removed its statements; a pending one (nothing in IAM) is `expired` at once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { applyTargets, type ApplierLog } from '../../lib/app/applier.js';
import {
  makeMemoryPolicyTagCache,
  runDriftCheck,
  type DriftMetrics,
  type DriftRunDeps,
} from '../../lib/app/drift-run.js';
import { getGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import { makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import type { IamGateway, Identity } from '../../lib/domain/ports.js';
import { appDeps, TEST_CONFIG, type TestClock } from '../helpers/dynamo.js';
import { iamClientFor, startIamTest, type IamTestContext } from '../helpers/iam.js';

const ACCOUNT = '123456789012';
const OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const alice: Identity = { sub: 'alice', roles: ['requester'] };
const ROLE = 'acme-flytesnacks-development';
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-flytesnacks-development-1`;
const T0 = '2026-11-23T00:00:00.000Z';
const IN_AN_HOUR = '2026-11-23T01:00:00Z';
const LATER = new Date('2026-11-23T02:00:00.000Z');

const request = (domain: string, expiresAt: string, bucket = 'acme-ml-data') => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain },
  resource: { type: 's3', bucket, access: 'read' },
  justification: 'a time-bound experiment',
  expiresAt,
});

let iam: IamTestContext;
let gateway: IamGateway;
let metrics: DriftMetrics & { values: Record<string, number[]> };
let deps: DriftRunDeps & { clock: TestClock };

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  iam = await startIamTest();
  iam.emulator.seedDataPlane({ accountId: ACCOUNT, orgPrefix: 'acme', oidcProvider: OIDC });
  gateway = makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: ACCOUNT }));
  // The prod plane only: its grants in `development` are approved on arrival.
  const base = await appDeps({ dataPlanes: [TEST_CONFIG.dataPlanes[0]] });
  base.clock.set(T0);
  const values: Record<string, number[]> = {};
  metrics = { values, count: (name, value) => void (values[name] = [...(values[name] ?? []), value]) };
  const log: ApplierLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  deps = {
    ...base,
    iamFor: async () => gateway,
    log,
    cache: makePolicyDocumentCache(),
    tagCache: makeMemoryPolicyTagCache(),
    metrics,
  };
});

afterEach(async () => {
  await iam.stop();
});

describe('expiry in the scheduled run (docs/drift-and-expiry.md, R8)', () => {
  it('ends an active grant past its expiresAt as expired, audited, and removes its access in the same run', async () => {
    // Prepare: submitted with the clock in the past, approved on arrival, applied.
    const grant = await submitGrant(deps, { request: request('development', IN_AN_HOUR), actor: alice });
    await applyTargets(deps, [grant.targetKey]);
    expect((await getGrant(deps, { id: grant.id })).status).toBe('active');
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).toContain(POLICY);

    // Act: the run an hour after it ran out.
    const report = await runDriftCheck(deps, { now: LATER, applyInline: true });

    // Assess
    expect(report.expired).toEqual([
      {
        grantId: grant.id,
        dataPlane: 'prod',
        targetKey: grant.targetKey,
        expiresAt: IN_AN_HOUR,
        previousStatus: 'active',
        desiredBefore: true,
      },
    ]);
    const ended = await getGrant(deps, { id: grant.id });
    expect(ended.status).toBe('expired');
    expect(ended.endingAs).toBe('expired');
    // The schedule ended it (revoking), the applier finished it once the statements were gone.
    expect(ended.history.at(-2)).toEqual({
      status: 'revoking',
      at: LATER.toISOString(),
      actor: 'schedule',
      comment: `expired at ${IN_AN_HOUR}`,
    });
    expect(ended.history.at(-1)).toMatchObject({ status: 'expired', actor: 'applier' });
    const audit = await deps.audit.listAudit({ grantId: grant.id }, { limit: 10 });
    expect(audit.items.slice(0, 2)).toMatchObject([
      { action: 'grant.expired', actor: 'applier', before: { status: 'revoking' }, after: { status: 'expired' } },
      { action: 'grant.expired', actor: 'schedule', before: { status: 'active' }, after: { status: 'revoking' } },
    ]);
    // Access removed: the pair's policy is gone; the role itself waits for its uctl update (A3).
    expect(await gateway.getPolicy(POLICY)).toBeNull();
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).not.toContain(POLICY);
    expect(metrics.values.ExpiredGrants).toEqual([1]);
  });

  it('ends pending and approved grants too, and leaves unexpired and already ended grants alone', async () => {
    const pending = await submitGrant(deps, { request: request('production', IN_AN_HOUR), actor: alice });
    const approved = await submitGrant(deps, {
      request: request('development', IN_AN_HOUR, 'acme-other'),
      actor: alice,
    });
    const later = await submitGrant(deps, {
      request: request('development', '2026-12-01T00:00:00Z', 'acme-later'),
      actor: alice,
    });
    const revoked = await submitGrant(deps, { request: request('staging', IN_AN_HOUR), actor: alice });
    await revokeGrant(deps, { id: revoked.id, actor: alice });
    expect([pending.status, approved.status]).toEqual(['pending-approval', 'approved']);

    const report = await runDriftCheck(deps, { now: LATER });

    expect(report.expired.map((e) => [e.grantId, e.previousStatus]).sort()).toEqual(
      [
        [pending.id, 'pending-approval'],
        [approved.id, 'approved'],
      ].sort(),
    );
    // Pending: nothing in IAM, expired at once. Approved: may be in IAM, so it waits for the applier.
    expect((await getGrant(deps, { id: pending.id })).status).toBe('expired');
    expect(await getGrant(deps, { id: approved.id })).toMatchObject({ status: 'revoking', endingAs: 'expired' });
    expect((await getGrant(deps, { id: later.id })).status).toBe('approved');
    expect((await getGrant(deps, { id: revoked.id })).status).toBe('revoked');

    // The applier ends the approved one as expired, not revoked.
    await applyTargets(deps, [approved.targetKey]);
    expect((await getGrant(deps, { id: approved.id })).status).toBe('expired');
  });

  it('without applying inline, leaves the access to the applier (stream) and says so in the report', async () => {
    const grant = await submitGrant(deps, { request: request('development', IN_AN_HOUR), actor: alice });
    await applyTargets(deps, [grant.targetKey]);

    const report = await runDriftCheck(deps, { now: LATER });

    // Still in IAM, so not expired yet (docs/api.md): revoking until the applier removes it.
    expect(await getGrant(deps, { id: grant.id })).toMatchObject({ status: 'revoking', endingAs: 'expired' });
    expect(await gateway.getPolicy(POLICY)).not.toBeNull();
    const pair = report.targets.find((t) => t.scope.type === 'project-domain');
    expect(pair?.status).toBe('removing'); // grantplane's own removal, not drift
    expect(pair?.differences.at(-1)).toBe('no longer desired: the applier is removing it (pending)');

    // The applier, as the stream delivers the target write, removes the access.
    await applyTargets(deps, [grant.targetKey]);
    expect(await gateway.getPolicy(POLICY)).toBeNull();
    expect((await getGrant(deps, { id: grant.id })).status).toBe('expired');
  });

  it('a revoked grant still ends revoked (no endingAs), and revoking an expiring grant changes nothing', async () => {
    const revoked = await submitGrant(deps, {
      request: request('development', '2026-12-01T00:00:00Z', 'acme-other'),
      actor: alice,
    });
    const expiring = await submitGrant(deps, { request: request('development', IN_AN_HOUR), actor: alice });
    await applyTargets(deps, [expiring.targetKey]);
    await revokeGrant(deps, { id: revoked.id, actor: alice });
    await runDriftCheck(deps, { now: LATER });

    // A revoke of the expiring grant answers it unchanged: it keeps ending as expired.
    expect(await revokeGrant(deps, { id: expiring.id, actor: alice })).toMatchObject({
      status: 'revoking',
      endingAs: 'expired',
    });
    await applyTargets(deps, [expiring.targetKey]);
    expect((await getGrant(deps, { id: expiring.id })).status).toBe('expired');
    const ended = await getGrant(deps, { id: revoked.id });
    expect(ended.status).toBe('revoked');
    expect(ended.endingAs).toBeUndefined();
  });

  it('expires nothing twice: a second run finds nothing due', async () => {
    await submitGrant(deps, { request: request('development', IN_AN_HOUR), actor: alice });
    expect((await runDriftCheck(deps, { now: LATER })).expired).toHaveLength(1);

    expect((await runDriftCheck(deps, { now: LATER })).expired).toEqual([]);
  });
});
