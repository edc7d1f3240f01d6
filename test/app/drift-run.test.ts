// The scheduled drift run (docs/drift-and-expiry.md, A1) on DynamoDB Local and the IAM emulator, with hand-made
// changes made through the real SDK as an operator would make them: each is reported precisely in
// the stored report, and `enforce` hands it to the applier, which repairs it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { applyTargets, type ApplierLog } from '../../lib/app/applier.js';
import {
  makeMemoryPolicyTagCache,
  makeStorePolicyTagCache,
  MAX_STORED_REPORT_CHARS,
  runDriftCheck,
  storedReport,
  type DriftMetrics,
  type DriftRunDeps,
  type DriftRunReport,
} from '../../lib/app/drift-run.js';
import { importAttributes } from '../../lib/app/attributes.js';
import { submitGrant } from '../../lib/app/grants.js';
import { makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import type { IamGateway, Identity } from '../../lib/domain/ports.js';
import { ACCOUNT, GLOBAL_AND_PAIR_GRANTS, OIDC, prodPlane } from '../domain/engine-fixtures.js';
import { appDeps, type TestClock } from '../helpers/dynamo.js';
import { iamClientFor, startIamTest, type IamTestContext } from '../helpers/iam.js';

const CONFIG = {
  dataPlanes: [
    prodPlane({
      autoApproveDomains: ['development', 'staging'],
      // A waiting role past this alarms (RolesWaitingPastGrace); time never deletes it (A3).
      roleDeletionGraceMinutes: 0,
    }),
    { name: 'gcp', cloud: 'gcp', region: 'us-central1', domains: ['development'], projects: '*' },
  ],
};

const repo: Identity = { sub: 'repo-bot', roles: ['admin'] };
const ROLE = 'acme-flytesnacks-development';
const PAIR = { type: 'project-domain', project: 'flytesnacks', domain: 'development' } as const;
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-flytesnacks-development-1`;
const GLOBAL_POLICY = `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-global-1`;
const USERFLYTEROLE_POLICY = `arn:aws:iam::${ACCOUNT}:policy/userflyterole`;

const silentLog = (): ApplierLog => ({ debug: () => {}, info: () => {}, warn: () => {}, error: () => {} });

const recordingMetrics = (): DriftMetrics & { values: Record<string, number[]> } => {
  const values: Record<string, number[]> = {};
  return { values, count: (name, value) => void (values[name] = [...(values[name] ?? []), value]) };
};

let iam: IamTestContext;
let gateway: IamGateway;
let deps: DriftRunDeps & { clock: TestClock; metrics: ReturnType<typeof recordingMetrics> };

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  iam = await startIamTest();
  iam.emulator.seedDataPlane({ accountId: ACCOUNT, orgPrefix: 'acme', oidcProvider: OIDC });
  gateway = makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: ACCOUNT }));
  const base = await appDeps(CONFIG);
  deps = {
    ...base,
    iamFor: async (plane: AwsDataPlaneConfig) => {
      if (plane.accountId !== ACCOUNT) throw new Error(`no gateway for ${plane.accountId}`);
      return gateway;
    },
    log: silentLog(),
    cache: makePolicyDocumentCache(),
    tagCache: makeMemoryPolicyTagCache(),
    metrics: recordingMetrics(),
  };
});

afterEach(async () => {
  await iam.stop();
});

/** A global grant and a pair grant, approved on arrival and applied: IAM holds exactly the desired state. */
async function applied(): Promise<void> {
  for (const request of GLOBAL_AND_PAIR_GRANTS)
    await submitGrant(deps, { request, actor: repo, source: 'repo', preApproved: true });
  const outcomes = await applyTargets(deps, ['prod#global', 'prod#flytesnacks#development']);
  expect(outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied']);
}

const pairOf = (report: DriftRunReport) =>
  report.targets.find((t) => t.scope.type === 'project-domain' && t.scope.project === 'flytesnacks');
const callCount = (action: string) => iam.emulator.calls.filter((call) => call.action === action).length;

describe('runDriftCheck (docs/drift-and-expiry.md)', () => {
  it('reports every target in-sync after an apply, stores the report, checks the GCP plane (nothing bound there) and counts metrics', async () => {
    await applied();
    deps.clock.set('2026-11-23T00:15:00.000Z');

    const report = await runDriftCheck(deps);

    expect(report.checkedAt).toBe('2026-11-23T00:15:00.000Z');
    expect(report.targets).toEqual([
      { dataPlane: 'prod', scope: { type: 'global' }, status: 'in-sync', differences: [] },
      { dataPlane: 'prod', scope: PAIR, status: 'in-sync', differences: [] },
      { dataPlane: 'gcp', scope: { type: 'global' }, status: 'in-sync', differences: [] },
    ]);
    expect(report.planes.map((p) => [p.dataPlane, p.status, p.mode])).toEqual([
      ['prod', 'checked', 'detect'],
      ['gcp', 'checked', 'detect'],
    ]);
    expect((await deps.driftReports.getLatestDriftReport())?.report).toEqual(report);
    expect(deps.metrics.values).toMatchObject({ DriftedTargets: [0], ExpiredGrants: [0] });
    const audit = await deps.audit.listAudit({ actor: 'schedule' }, { limit: 10 });
    expect(audit.items.map((e) => e.action)).toContain('drift.checked');
  });

  it('reports a detached policy precisely and enforce re-attaches it through the applier', async () => {
    await applied();
    await gateway.detachRolePolicy(ROLE, GLOBAL_POLICY);

    const detected = await runDriftCheck(deps);
    expect(pairOf(detected)).toEqual({
      dataPlane: 'prod',
      scope: PAIR,
      status: 'drifted',
      differences: [`role ${ROLE}: policy ${GLOBAL_POLICY} is not attached`],
    });
    expect(deps.metrics.values.DriftedTargets).toEqual([1]);
    // detect changes nothing
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).not.toContain(GLOBAL_POLICY);

    const enforced = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });
    expect(enforced.planes[0]?.reapplied).toEqual(['prod#flytesnacks#development']);
    expect(enforced.applied?.map((o) => [o.targetKey, o.outcome, o.iamCalls])).toEqual([
      ['prod#flytesnacks#development', 'applied', [`AttachRolePolicy ${ROLE} grantplane-global-1`]],
    ]);
    expect((await runDriftCheck(deps)).targets.every((t) => t.status === 'in-sync')).toBe(true);
  });

  it('reports an edited document and enforce writes the compiled one back as a new default version', async () => {
    await applied();
    await gateway.createPolicyVersion(
      POLICY,
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-ml-data/*' }],
      },
      true,
    );

    const detected = await runDriftCheck(deps);
    expect(pairOf(detected)).toMatchObject({
      status: 'drifted',
      differences: [
        'policy grantplane-flytesnacks-development-1: document (default version v2) differs from the compiled one',
      ],
    });

    const enforced = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });
    expect(enforced.applied?.[0]?.iamCalls).toEqual([
      expect.stringMatching(/^CreatePolicyVersion .*grantplane-flytesnacks-development-1/),
    ]);
    expect((await gateway.getPolicy(POLICY))?.defaultVersionId).toBe('v3');
    expect((await runDriftCheck(deps)).targets.every((t) => t.status === 'in-sync')).toBe(true);
  });

  it('reports an edited trust policy and enforce restores the documented one', async () => {
    await applied();
    const role = await gateway.getRole(ROLE);
    const widened = JSON.parse(
      JSON.stringify(role?.trustPolicy)
        .replace('StringEquals', 'StringLike')
        .replace('flytesnacks-development:default', '*'),
    ) as NonNullable<typeof role>['trustPolicy'];
    await gateway.updateAssumeRolePolicy(ROLE, widened);

    const detected = await runDriftCheck(deps);
    expect(pairOf(detected)).toMatchObject({
      status: 'drifted',
      differences: [`role ${ROLE}: trust policy differs from the compiled one`],
    });

    const enforced = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });
    expect(enforced.applied?.[0]?.iamCalls).toEqual([`UpdateAssumeRolePolicy ${ROLE}`]);
    expect(JSON.stringify((await gateway.getRole(ROLE))?.trustPolicy)).toContain(
      'system:serviceaccount:flytesnacks-development:default',
    );
    expect((await runDriftCheck(deps)).targets.every((t) => t.status === 'in-sync')).toBe(true);
  });

  it('reports a deleted role as missing and enforce re-creates and re-attaches it', async () => {
    await applied();
    for (const policy of await gateway.listAttachedRolePolicies(ROLE)) await gateway.detachRolePolicy(ROLE, policy.arn);
    await gateway.deleteRole(ROLE);

    const detected = await runDriftCheck(deps);
    expect(pairOf(detected)).toEqual({
      dataPlane: 'prod',
      scope: PAIR,
      status: 'missing',
      differences: [`role ${ROLE}: missing`],
    });

    await runDriftCheck(deps, { mode: 'enforce', applyInline: true });
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn).sort()).toEqual(
      [GLOBAL_POLICY, POLICY, USERFLYTEROLE_POLICY].sort(),
    );
    expect((await runDriftCheck(deps)).targets.every((t) => t.status === 'in-sync')).toBe(true);
  });

  it('reports an extra grantplane-tagged role as orphaned and enforce deletes it when the prune guard allows', async () => {
    await applied();
    const trust = (await gateway.getRole(ROLE))!.trustPolicy;
    await gateway.createRole({
      name: 'acme-ghost-development',
      path: '/grantplane/',
      trustPolicy: trust,
      permissionsBoundaryArn: null,
      tags: { 'managed-by': 'grantplane' },
    });
    await gateway.attachRolePolicy('acme-ghost-development', USERFLYTEROLE_POLICY);

    const detected = await runDriftCheck(deps);
    expect(detected.targets.find((t) => t.status === 'orphaned')).toEqual({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'ghost', domain: 'development' },
      status: 'orphaned',
      differences: ['role acme-ghost-development: grantplane-managed but not declared'],
    });
    expect(await gateway.getRole('acme-ghost-development')).not.toBeNull();

    // 1 of the plane's 2 grantplane roles: not more than half, so no confirmation is needed.
    const enforced = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });
    expect(enforced.planes[0]?.pruned).toEqual(['prod#ghost#development']);
    // The cluster may point at it: it waits, holding only userflyterole, for evidence (A3) — and
    // past the grace period (0 here) the next run says so.
    expect(await gateway.getRole('acme-ghost-development')).not.toBeNull();
    expect((await deps.targets.getTarget('prod#ghost#development'))?.state).toBe('waiting-uctl');
    for (const name of Object.keys(deps.metrics.values)) delete deps.metrics.values[name];
    const waiting = await runDriftCheck(deps);
    // grantplane's own removal is `removing`, not drift: nothing alarms (docs/drift-and-expiry.md).
    expect(waiting.targets.find((t) => t.scope.type === 'project-domain' && t.scope.project === 'ghost')?.status).toBe(
      'removing',
    );
    expect(deps.metrics.values.DriftedTargets).toEqual([0]);
    expect(deps.metrics.values.RolesWaitingPastGrace).toEqual([1]);
    expect(deps.metrics.values.DriftRuns).toEqual([1]);

    // `uctl get` for ghost/development, imported: no defaultUserRoleValue → the role goes.
    await importAttributes(deps, { dataPlane: 'prod', project: 'ghost', domain: 'development', body: {}, actor: repo });
    const [deleted] = await applyTargets(deps, ['prod#ghost#development']);
    expect(deleted?.iamCalls).toEqual([
      'DetachRolePolicy acme-ghost-development userflyterole',
      'DeleteRole acme-ghost-development',
    ]);
    expect(await gateway.getRole('acme-ghost-development')).toBeNull();
    expect((await runDriftCheck(deps)).targets.every((t) => t.status === 'in-sync')).toBe(true);
  });

  it("refuses to prune more than half of the plane's grantplane roles unless confirmed", async () => {
    await applied();
    const trust = (await gateway.getRole(ROLE))!.trustPolicy;
    for (const name of ['acme-ghost-development', 'acme-ghost-staging']) {
      await gateway.createRole({
        name,
        path: '/grantplane/',
        trustPolicy: trust,
        permissionsBoundaryArn: null,
        tags: { 'managed-by': 'grantplane' },
      });
    }

    const refused = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });
    expect(refused.planes[0]?.pruned).toEqual([]);
    expect(refused.planes[0]?.notes).toEqual([
      expect.stringContaining("prune guard: 2 of the plane's 3 grantplane roles"),
    ]);
    expect(await gateway.getRole('acme-ghost-staging')).not.toBeNull();
    const audit = await deps.audit.listAudit({ actor: 'schedule' }, { limit: 20 });
    expect(audit.items.map((e) => e.action)).toContain('drift.prune-refused');

    const confirmed = await runDriftCheck(deps, { mode: 'enforce', applyInline: true, confirmPrune: true });
    expect(confirmed.planes[0]?.pruned).toEqual(['prod#ghost#development', 'prod#ghost#staging']);
    for (const domain of ['development', 'staging'])
      await importAttributes(deps, { dataPlane: 'prod', project: 'ghost', domain, body: {}, actor: repo });
    await applyTargets(deps, ['prod#ghost#development', 'prod#ghost#staging']);
    expect(await gateway.getRole('acme-ghost-development')).toBeNull();
    expect(await gateway.getRole('acme-ghost-staging')).toBeNull();
  });

  it("follows the plane's configured driftMode when the run names none", async () => {
    const enforcing = await appDeps({ ...CONFIG, dataPlanes: [{ ...CONFIG.dataPlanes[0], driftMode: 'enforce' }] });
    deps = {
      ...deps,
      ...enforcing,
      clock: enforcing.clock,
      config: enforcing.config,
      driftReports: enforcing.driftReports,
      ids: enforcing.ids,
    };
    await applied();
    await gateway.detachRolePolicy(ROLE, GLOBAL_POLICY);

    const report = await runDriftCheck(deps, { applyInline: true });

    expect(report.planes[0]).toMatchObject({ mode: 'enforce', reapplied: ['prod#flytesnacks#development'] });
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).toContain(GLOBAL_POLICY);
  });

  it("reports a policy attached by hand to grantplane's role, and enforce leaves it (R3) without handing the target over every run", async () => {
    await applied();
    const foreign = await gateway.createPolicy({
      name: 'hand-made',
      path: '/',
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::x/*' }],
      },
      tags: {},
    });
    await gateway.attachRolePolicy(ROLE, foreign.arn);

    const report = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });

    const line = `role ${ROLE}: policy ${foreign.arn} is attached but not compiled`;
    expect(pairOf(report)).toMatchObject({
      status: 'drifted',
      differences: [line],
      byHand: [{ difference: line, why: 'foreign-attachment' }],
    });
    expect(report.planes[0]?.reapplied).toEqual([]);
    expect(report.planes[0]?.notes).toEqual([`${line}: not grantplane's to detach; remove it by hand`]);
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).toContain(foreign.arn);
  });

  it("reports an unattached grantplane-tagged policy made by hand in a pair's scope, and enforce notes it instead of handing the pair over every run", async () => {
    await applied();
    await gateway.createPolicy({
      name: 'grantplane-flytesnacks-development-7',
      path: '/grantplane/',
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::x/*' }],
      },
      tags: { 'managed-by': 'grantplane' },
    });

    const report = await runDriftCheck(deps, { mode: 'enforce', applyInline: true });

    const line = 'policy grantplane-flytesnacks-development-7: grantplane-managed but not declared';
    expect(pairOf(report)).toMatchObject({
      status: 'drifted',
      differences: [line],
      byHand: [{ difference: line, why: 'stray-policy' }],
    });
    expect(report.planes[0]?.reapplied).toEqual([]);
    expect(report.planes[0]?.notes).toEqual([
      `${line}: the applier does not look at it for this target; remove it by hand`,
    ]);
  });

  it('in enforce without applying inline, hands a repair to the applier through the stream (desiredVersion + 1), which the applier then makes', async () => {
    await applied();
    await gateway.detachRolePolicy(ROLE, GLOBAL_POLICY);
    const before = await deps.targets.getTarget('prod#flytesnacks#development');

    const report = await runDriftCheck(deps, { mode: 'enforce' });

    expect(report.applied).toBeUndefined();
    const handed = await deps.targets.getTarget('prod#flytesnacks#development');
    expect(handed).toMatchObject({
      desiredVersion: (before?.desiredVersion ?? 0) + 1,
      state: 'pending',
      desired: before?.desired,
    });
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).not.toContain(GLOBAL_POLICY);
    // A second run before the applier got to it does not hand it over again: the report says it waits.
    const waiting = await runDriftCheck(deps, { mode: 'enforce' });
    expect(waiting.planes[0]?.reapplied).toEqual([]);
    expect(pairOf(waiting)?.differences.at(-1)).toBe(
      `desired version ${handed?.desiredVersion} is waiting for the applier (applied: ${before?.desiredVersion})`,
    );

    // What the stream delivers to the applier Lambda:
    await applyTargets(deps, ['prod#flytesnacks#development']);
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.arn)).toContain(GLOBAL_POLICY);
    expect((await runDriftCheck(deps)).targets.every((t) => t.status === 'in-sync')).toBe(true);
  });

  it('reports a plane it cannot read as failed and still checks and stores the others', async () => {
    const twoPlanes = await appDeps({
      dataPlanes: [
        CONFIG.dataPlanes[0],
        {
          ...CONFIG.dataPlanes[0],
          name: 'elsewhere',
          accountId: '999999999999',
          oidcProvider: OIDC.replace('EXAMPLE', 'OTHER'),
        },
      ],
    });
    // Every store of the new table but the planes' (as the run's own deps would be).
    const { planes: _planes, holds: _holds, infrastructure: _infrastructure, table: _table, ...stores } = twoPlanes;
    deps = { ...deps, ...stores, config: twoPlanes.config, clock: twoPlanes.clock, ids: twoPlanes.ids };

    const report = await runDriftCheck(deps);

    expect(report.planes.map((p) => [p.dataPlane, p.status])).toEqual([
      ['prod', 'checked'],
      ['elsewhere', 'failed'],
    ]);
    expect(report.planes[1]?.error).toBe('Error: no gateway for 999999999999');
    expect(report.errors).toEqual(['plane elsewhere: Error: no gateway for 999999999999']);
    expect((await deps.driftReports.getLatestDriftReport())?.id).toBe(report.id);
    const audit = await deps.audit.listAudit({ actor: 'schedule' }, { limit: 5 });
    expect(audit.items[0]).toMatchObject({ action: 'drift.checked', result: 'error' });
  });

  it('reads the plane in a few calls and, a second time, fetches no policy version or tags whose version id did not change (A1)', async () => {
    await applied();
    // Every run as a cold Lambda: nothing kept in memory, the tags cache lives in the table.
    const cold = (): DriftRunDeps => ({
      ...deps,
      cache: makePolicyDocumentCache(),
      tagCache: makeStorePolicyTagCache(deps.driftReports, deps.clock),
    });
    iam.emulator.resetCalls();

    await runDriftCheck(cold());
    // Cold: one whole-account read, tags of each managed policy (not in that answer), no version reads.
    expect(callCount('GetPolicyVersion')).toBe(0);
    expect(callCount('GetRole') + callCount('ListAttachedRolePolicies')).toBe(0);
    expect(callCount('GetAccountAuthorizationDetails')).toBe(1);
    expect(callCount('GetPolicy')).toBe(2);

    iam.emulator.resetCalls();
    await runDriftCheck(cold());
    expect(iam.emulator.calls.map((call) => call.action)).toEqual(['GetAccountAuthorizationDetails']);

    // A new default version: that policy's tags are read again, still no GetPolicyVersion.
    await gateway.createPolicyVersion(
      POLICY,
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::x/*' }] },
      true,
    );
    iam.emulator.resetCalls();
    await runDriftCheck(cold());
    expect(
      iam.emulator.calls.filter((call) => call.action === 'GetPolicy').map((call) => call.params.PolicyArn),
    ).toEqual([POLICY]);
    expect(callCount('GetPolicyVersion')).toBe(0);

    // Tags older than the maximum age are read again, even with the same version.
    deps.clock.set('2026-11-25T00:00:00.000Z');
    iam.emulator.resetCalls();
    await runDriftCheck(cold());
    expect(callCount('GetPolicy')).toBe(2);
  });

  it("still reports a tag removed by hand once the policy's tags are read again", async () => {
    await applied();
    await gateway.untagPolicy(POLICY, ['grantplane:hash']);

    const report = await runDriftCheck(deps);

    expect(pairOf(report)).toMatchObject({
      status: 'drifted',
      differences: [
        expect.stringMatching(/^policy grantplane-flytesnacks-development-1: tag grantplane:hash is missing/),
      ],
    });
  });
});

describe('storedReport', () => {
  const target = (n: number, status: 'in-sync' | 'drifted') => ({
    dataPlane: 'prod',
    scope: { type: 'project-domain' as const, project: `proj-${n}`, domain: 'development' },
    status,
    differences: status === 'in-sync' ? [] : ['role x: trust policy differs from the compiled one'],
  });
  const report = (targets: ReturnType<typeof target>[]): DriftRunReport => ({
    id: 'r',
    checkedAt: '2026-11-23T00:00:00.000Z',
    targets,
    planes: [],
    expired: [],
    errors: [],
  });

  it('stores a report as it is while it fits one DynamoDB item', () => {
    const small = report([target(1, 'in-sync'), target(2, 'drifted')]);
    expect(storedReport(small)).toBe(small);
  });

  it('counts in-sync targets instead of listing them when the report would not fit one item, keeping every difference', () => {
    const large = report([...Array.from({ length: 4000 }, (_, n) => target(n, 'in-sync')), target(9999, 'drifted')]);

    const stored = storedReport(large);

    expect(JSON.stringify(stored).length).toBeLessThan(MAX_STORED_REPORT_CHARS);
    expect(stored.targets).toEqual([target(9999, 'drifted')]);
    expect(stored.inSyncTargetsOmitted).toBe(4000);
    expect(stored.errors).toEqual(['report too large for one item: 4000 in-sync targets are counted, not listed']);
  });
});
