// The applier on DynamoDB Local and the IAM emulator (docs/applier.md A1–A5, docs/rules.md C5, docs/api.md grant statuses):
// approve → active with role, policies and a pending uctl update; a re-run changes nothing; revoke →
// policies gone, grant revoked, role waiting for its uctl update's acknowledgement (or the grace
// period), then deleted; throttling and crashes at any call converge without doing anything twice.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { applyPendingTargets, applyTargets, type ApplierDeps } from '../../lib/app/applier.js';
import { acknowledgeAttributeUpdate, importAttributes } from '../../lib/app/attributes.js';
import { approveGrant, expireGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import type { IamEmulator } from '../../lib/local/iam-emulator/index.js';
import { applierTestDeps, iamForConfig, silentLog } from '../helpers/applier.js';
import { appDeps, TEST_CONFIG, type TestClock } from '../helpers/dynamo.js';
import { iamClientFor, startIamTest, type IamTestContext } from '../helpers/iam.js';

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };
const admin: Identity = { sub: 'carol', roles: ['admin', 'approver'] };

const ROLE = 'acme-flytesnacks-staging';
const ROLE_ARN = `arn:aws:iam::123456789012:role/grantplane/${ROLE}`;
const STAGING = 'prod#flytesnacks#staging';

const request = (bucket: string, domain = 'staging', project = 'flytesnacks', dataPlane = 'prod') => ({
  dataPlane,
  scope: { type: 'project-domain', project, domain },
  resource: { type: 's3', bucket, prefix: 'team-a/', access: 'read-write' },
  justification: 'training jobs',
});

const writes = (emulator: IamEmulator) => emulator.calls.filter((call) => !call.read && call.fault === undefined);

let iam: IamTestContext;
let deps: ApplierDeps & { clock: TestClock };

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  iam = await startIamTest();
  deps = await applierTestDeps(iam);
});

afterEach(async () => {
  await iam.stop();
});

const grant = async (id: string): Promise<GrantRecord> => {
  const found = await deps.grants.getGrant(id);
  if (found === null) throw new Error(`grant ${id} missing`);
  return found;
};

const approved = async (bucket: string, domain = 'staging'): Promise<GrantRecord> => {
  const submitted = await submitGrant(deps, { request: request(bucket, domain), actor: alice });
  return submitted.status === 'approved' ? submitted : approveGrant(deps, { id: submitted.id, actor: bob });
};

/** What `uctl get cluster-resource-attribute -p flytesnacks -d staging` printed, imported by an admin. */
const importStaging = (body: Record<string, string>) =>
  importAttributes(deps, { dataPlane: 'prod', project: 'flytesnacks', domain: 'staging', body, actor: admin });

describe('applyTargets', () => {
  it('approve → applier → grant active, role and policy in IAM, one pending uctl update (docs/applier.md A1, C5)', async () => {
    const g = await approved('acme-ml-data');
    expect(g.status).toBe('approved');

    const [outcome] = await applyTargets(deps, [STAGING]);

    expect(outcome).toMatchObject({ targetKey: STAGING, outcome: 'applied' });
    expect(outcome?.iamCalls).toEqual(
      expect.arrayContaining([expect.stringMatching(/^CreateRole /), expect.stringMatching(/^CreatePolicy /)]),
    );
    expect((await grant(g.id)).status).toBe('active');
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    expect((await gateway.getRole(ROLE))?.arn).toBe(ROLE_ARN);
    const attached = await gateway.listAttachedRolePolicies(ROLE);
    expect(attached.map((policy) => policy.name).sort()).toEqual(['grantplane-flytesnacks-staging-1', 'userflyterole']);
    const updates = await deps.attributes.listAttributeUpdates('pending', { limit: 10 });
    expect(updates.items).toHaveLength(1);
    expect(updates.items[0]).toMatchObject({
      project: 'flytesnacks',
      domain: 'staging',
      roleArn: ROLE_ARN,
      status: 'pending',
    });
    expect(updates.items[0]?.yaml).toContain(`defaultUserRoleValue: "${ROLE_ARN}"`);
    const target = await deps.targets.getTarget(STAGING);
    expect(target).toMatchObject({ state: 'applied', appliedVersion: target?.desiredVersion });
    const audit = await deps.audit.listAudit({ targetKey: STAGING }, { limit: 50 });
    const applied = audit.items.find((event) => event.action === 'target.applied');
    expect(applied?.iamCalls).toEqual(outcome?.iamCalls);
    const activated = (await deps.audit.listAudit({ grantId: g.id }, { limit: 50 })).items.find(
      (event) => event.action === 'grant.active',
    );
    expect(activated).toMatchObject({ actor: 'applier', iamCalls: outcome?.iamCalls, result: 'ok' });
  });

  it('a re-run makes zero IAM writes and records no new uctl update (docs/applier.md A1, C5)', async () => {
    await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    iam.emulator.resetCalls();

    const [again] = await applyTargets(deps, [STAGING]);
    const forced = await applyTargets(deps, [STAGING, STAGING, 'prod#global']);

    expect(again).toMatchObject({ outcome: 'unchanged', iamCalls: [] });
    expect(forced.map((o) => o.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(writes(iam.emulator)).toEqual([]);
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(1);
  });

  it('a second grant on the pair changes the policy, not the uctl file', async () => {
    await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    const second = await approved('acme-features');

    const [outcome] = await applyTargets(deps, [STAGING]);

    expect(outcome?.outcome).toBe('applied');
    expect(outcome?.iamCalls.some((line) => line.startsWith('CreatePolicyVersion'))).toBe(true);
    expect((await grant(second.id)).status).toBe('active');
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(1);
  });

  it('an identical grant (R9) goes active with no IAM change and no new target version', async () => {
    const first = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    const before = await deps.targets.getTarget(STAGING);
    iam.emulator.resetCalls();

    const duplicate = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);

    expect((await grant(duplicate.id)).status).toBe('active');
    expect((await grant(first.id)).status).toBe('active');
    expect((await deps.targets.getTarget(STAGING))?.desiredVersion).toBe(before?.desiredVersion);
    expect(writes(iam.emulator)).toEqual([]);
  });

  it('revoke → policies gone, grant revoked, role waits for the uctl update; ack → role deleted (A3, docs/api.md)', async () => {
    const g = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    const first = (await deps.attributes.listAttributeUpdates('pending', { limit: 10 })).items[0];
    await acknowledgeAttributeUpdate(deps, { id: first?.id ?? '', actor: admin });

    await revokeGrant(deps, { id: g.id, actor: alice });
    const [removal] = await applyTargets(deps, [STAGING]);

    expect(removal?.outcome).toBe('waiting-uctl');
    expect(removal?.iamCalls).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DetachRolePolicy .*grantplane-flytesnacks-staging-1/),
        expect.stringMatching(/^DeletePolicy /),
      ]),
    );
    expect(removal?.iamCalls.some((line) => line.startsWith('DeleteRole'))).toBe(false);
    expect((await grant(g.id)).status).toBe('revoked');
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    expect(await gateway.getRole(ROLE)).not.toBeNull();
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((policy) => policy.name)).toEqual(['userflyterole']);
    const target = await deps.targets.getTarget(STAGING);
    expect(target).toMatchObject({ state: 'waiting-uctl', desired: null });
    expect(target?.roleDeletionRequestedAt).toBeDefined();
    const pending = (await deps.attributes.listAttributeUpdates('pending', { limit: 10 })).items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ roleArn: null });
    expect(pending[0]?.yaml).not.toContain('defaultUserRoleValue');

    // Waiting costs nothing until the acknowledgement.
    iam.emulator.resetCalls();
    expect((await applyTargets(deps, [STAGING]))[0]?.outcome).toBe('unchanged');
    expect(iam.emulator.calls).toEqual([]);

    await acknowledgeAttributeUpdate(deps, { id: pending[0]?.id ?? '', actor: admin });
    const [deletion] = await applyTargets(deps, [STAGING]);

    expect(deletion?.outcome).toBe('applied');
    expect(deletion?.iamCalls).toEqual([
      expect.stringMatching(/^DetachRolePolicy acme-flytesnacks-staging .*userflyterole/),
      'DeleteRole acme-flytesnacks-staging',
    ]);
    expect(await gateway.getRole(ROLE)).toBeNull();
    const settled = await deps.targets.getTarget(STAGING);
    expect(settled?.state).toBe('applied');
    expect(settled?.roleDeletionRequestedAt).toBeUndefined();
  });

  it('time alone never deletes a waiting role: past the grace period it keeps userflyterole and the global policies; an import that no longer names it deletes it (A3)', async () => {
    const global = await submitGrant(deps, {
      request: {
        dataPlane: 'prod',
        scope: { type: 'global' },
        resource: { type: 's3', bucket: 'acme-shared', access: 'read' },
        justification: 'tests',
      },
      actor: alice,
    });
    if (global.status !== 'approved') await approveGrant(deps, { id: global.id, actor: bob });
    const g = await approved('acme-ml-data');
    await applyTargets(deps, ['prod#global', STAGING]);
    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, [STAGING]);
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);

    // Hours past roleDeletionGraceMinutes (60), the update still unacknowledged: the role stays.
    deps.clock.set('2026-11-23T05:00:00.000Z');
    await applyPendingTargets(deps);
    expect(await gateway.getRole(ROLE)).not.toBeNull();
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((policy) => policy.name).sort()).toEqual([
      'grantplane-global-1',
      'userflyterole',
    ]);
    expect((await deps.targets.getTarget(STAGING))?.state).toBe('waiting-uctl');

    // The operator ran the update and imported what `uctl get` prints: the pair names no role.
    await importStaging({ projectQuotaCpu: '8' });
    const outcomes = await applyPendingTargets(deps);

    expect(outcomes.find((o) => o.targetKey === STAGING)?.outcome).toBe('applied');
    expect(await gateway.getRole(ROLE)).toBeNull();
  });

  it('a Flyte OSS plane (binding flytectl): the update sets defaultIamRole through flytectl, and only an import whose defaultIamRole no longer names the role deletes it (A3)', async () => {
    const [prod] = TEST_CONFIG.dataPlanes;
    const flyte = await applierTestDeps(iam, { ...TEST_CONFIG, dataPlanes: [{ ...prod, binding: 'flytectl' }] });
    const submitted = await submitGrant(flyte, { request: request('acme-ml-data'), actor: alice });
    const g = submitted.status === 'approved' ? submitted : await approveGrant(flyte, { id: submitted.id, actor: bob });
    await applyTargets(flyte, [STAGING]);
    const [update] = (await flyte.attributes.listAttributeUpdates('pending', { limit: 10 })).items;
    expect(update?.command).toMatch(/^flytectl update cluster-resource-attribute --attrFile \S+/);
    expect(update?.yaml).toContain(`defaultIamRole: "${ROLE_ARN}"`);
    expect(update?.yaml).not.toContain('defaultUserRoleValue');

    await revokeGrant(flyte, { id: g.id, actor: alice });
    await applyTargets(flyte, [STAGING]);
    const gateway = await flyte.iamFor(flyte.config.dataPlanes[0] as AwsDataPlaneConfig);
    const importFlyte = (body: Record<string, string>) =>
      importAttributes(flyte, { dataPlane: 'prod', project: 'flytesnacks', domain: 'staging', body, actor: admin });
    // `flytectl get` still shows the role under the plane's attribute: it stays.
    flyte.clock.set('2026-11-23T00:20:00.000Z');
    await importFlyte({ defaultIamRole: ROLE_ARN, projectQuotaCpu: '8' });
    await applyPendingTargets(flyte);
    expect(await gateway.getRole(ROLE)).not.toBeNull();
    // The update ran: the pair names no role any more, and the role goes.
    flyte.clock.set('2026-11-23T00:30:00.000Z');
    await importFlyte({ projectQuotaCpu: '8' });
    await applyPendingTargets(flyte);
    expect(await gateway.getRole(ROLE)).toBeNull();
  });

  it('an import that still names the role, or one older than the removal, deletes nothing (A3)', async () => {
    await importStaging({ projectQuotaCpu: '8' });
    deps.clock.set('2026-11-23T00:10:00.000Z');
    const g = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, [STAGING]);
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    await applyPendingTargets(deps);
    expect(await gateway.getRole(ROLE)).not.toBeNull();

    deps.clock.set('2026-11-23T00:20:00.000Z');
    await importStaging({ defaultUserRoleValue: ROLE_ARN, projectQuotaCpu: '8' });
    await applyPendingTargets(deps);
    expect(await gateway.getRole(ROLE)).not.toBeNull();
  });

  it('a re-grant while the role waits keeps the role and points the uctl file at it again', async () => {
    const g = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, [STAGING]);

    await approved('acme-ml-data');
    const [outcome] = await applyTargets(deps, [STAGING]);

    expect(outcome?.outcome).toBe('applied');
    expect(outcome?.iamCalls.some((line) => line.startsWith('CreateRole'))).toBe(false);
    const updates = (await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items;
    expect(updates.map((update) => update.roleArn)).toEqual([ROLE_ARN, null, ROLE_ARN]);
    expect((await deps.targets.getTarget(STAGING))?.roleDeletionRequestedAt).toBeUndefined();
  });

  it('a lasting failure marks the target failed and its grants failed; the next run after the fix activates them', async () => {
    // The tight plane's credentials reach an account without <UserFlyteRole>: the account check
    // refuses to write there (a wrong applierRoleArn, say).
    const planes = deps.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
    const right = deps.iamFor;
    const wrong = makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: '999999999999' }));
    deps.iamFor = async (plane) => (plane.name === 'tight' ? wrong : right(plane));
    expect(planes).toHaveLength(2);
    const submitted = await submitGrant(deps, {
      request: request('acme-ml-data', 'production', 'flytesnacks', 'tight'),
      actor: alice,
    });
    await approveGrant(deps, { id: submitted.id, actor: bob });

    const [failed] = await applyTargets(deps, ['tight#flytesnacks#production']);

    expect(failed?.outcome).toBe('failed');
    expect(failed?.error).toMatch(/PlaneAccountError/);
    expect(await grant(submitted.id)).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/acme-userflyterole/),
    });
    expect(await deps.targets.getTarget('tight#flytesnacks#production')).toMatchObject({
      state: 'failed',
      appliedVersion: 0,
      lastError: expect.any(String),
    });

    deps.iamFor = right;
    const outcomes = await applyPendingTargets(deps);

    expect(outcomes.find((o) => o.targetKey === 'tight#flytesnacks#production')?.outcome).toBe('applied');
    expect((await grant(submitted.id)).status).toBe('active');
  });

  it('the sweep reads each plane’s targets once: the repair pass’s snapshot names the failed and the behind targets, applied ones are left alone', async () => {
    const applied = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    // Behind its desired version: approved, never applied (a stream record lost after its retries).
    const behind = await approved('acme-ml-models', 'development');
    const planeReads: (string | undefined)[] = [];
    const targets = deps.targets;
    deps.targets = {
      ...targets,
      listTargets: (dataPlane) => {
        planeReads.push(dataPlane);
        return targets.listTargets(dataPlane);
      },
    };

    const outcomes = await applyPendingTargets(deps);

    expect(planeReads).toEqual([]);
    expect(outcomes.map((o) => [o.targetKey, o.outcome])).toEqual([['prod#flytesnacks#development', 'applied']]);
    expect((await grant(behind.id)).status).toBe('active');
    expect((await grant(applied.id)).status).toBe('active');
  });

  it('two runs on one target at once: one reconcile at a time (lease), nothing done twice', async () => {
    const g = await approved('acme-ml-data');

    const [a, b] = await Promise.all([applyTargets(deps, [STAGING]), applyTargets(deps, [STAGING])]);

    expect([a[0]?.outcome, b[0]?.outcome].sort()).toEqual(['applied', 'unchanged']);
    const made = writes(iam.emulator);
    expect(made.filter((call) => call.action === 'CreateRole')).toHaveLength(1);
    expect(made.filter((call) => call.error !== undefined)).toEqual([]);
    expect((await grant(g.id)).status).toBe('active');
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(1);
  });

  it('30% throttled IAM still converges: every grant active, IAM exactly as desired, nothing created twice (A4)', async () => {
    const ids: string[] = [];
    for (const [bucket, domain] of [
      ['acme-a', 'staging'],
      ['acme-b', 'staging'],
      ['acme-c', 'production'],
      ['acme-d', 'development'],
    ] as const) {
      ids.push((await approved(bucket, domain)).id);
    }
    iam.emulator.setFaults({ throttleRate: 0.3, seed: 7 });
    // One SDK attempt per call: throttling reaches the applier instead of being ridden out.
    const planes = deps.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
    const flaky = { ...deps, iamFor: iamForConfig(iam, planes, { maxAttempts: 1 }) };

    let rounds = 0;
    let failures = 0;
    for (; rounds < 40; rounds += 1) {
      const outcomes = await applyPendingTargets(flaky);
      failures += outcomes.filter((o) => o.outcome === 'failed').length;
      if (outcomes.length === 0) break;
    }

    expect(rounds).toBeLessThan(40);
    expect(failures).toBeGreaterThan(0); // throttling did reach the applier
    expect(iam.emulator.calls.filter((call) => call.fault === 'throttled').length).toBeGreaterThan(0);
    for (const id of ids) expect((await grant(id)).status).toBe('active');
    iam.emulator.setFaults({});
    iam.emulator.resetCalls();
    const targets = await deps.targets.listTargets('prod');
    for (const target of targets)
      await deps.targets.putTarget({ ...target, appliedVersion: target.appliedVersion - 1 }, target.desiredVersion);
    const again = await applyTargets(
      deps,
      targets.map((target) => target.targetKey),
    );
    expect(again.every((o) => o.outcome === 'applied')).toBe(true);
    expect(writes(iam.emulator)).toEqual([]); // IAM already holds exactly the desired state
    expect(iam.emulator.calls.length).toBeGreaterThan(0); // it was read, not skipped
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 20 })).items).toHaveLength(3);
  });

  it('a crash at any IAM call of a first apply: the next run converges with nothing done twice (A4)', async () => {
    // How many calls a clean first apply makes, on a throwaway run.
    await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    const cleanCalls = iam.emulator.calls.length;
    const cleanWrites = writes(iam.emulator).map((call) => call.action);

    expect(cleanCalls).toBeGreaterThan(6);
    let crashes = 0;
    for (let failAt = 1; failAt <= cleanCalls; failAt += 2) {
      crashes += 1;
      const other = await startIamTest();
      try {
        const planes = deps.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
        const fresh = await appDeps();
        const run: ApplierDeps = {
          ...fresh,
          iamFor: iamForConfig(other, planes, { maxAttempts: 1 }),
          log: silentLog(),
        };
        const submitted = await submitGrant(run, { request: request('acme-ml-data'), actor: alice });
        await approveGrant(run, { id: submitted.id, actor: bob });
        other.emulator.resetCalls();
        other.emulator.setFaults({ failOnCall: failAt });

        const [crashed] = await applyTargets(run, [STAGING]);
        other.emulator.setFaults({});
        const [next] = await applyTargets(run, [STAGING]);

        expect(crashed?.outcome, `fail at call ${failAt}`).toBe('failed');
        expect(next?.outcome, `fail at call ${failAt}`).toBe('applied');
        expect((await run.grants.getGrant(submitted.id))?.status).toBe('active');
        const made = other.emulator.calls
          .filter((call) => !call.read && call.error === undefined)
          .map((call) => call.action);
        expect(made.sort(), `fail at call ${failAt}`).toEqual([...cleanWrites].sort());
        expect((await run.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(1);
      } finally {
        await other.stop();
      }
    }
    expect(crashes).toBeGreaterThan(3);
  });
});

describe('applyTargets with global grants (C1, C2)', () => {
  const globalRequest = (bucket: string) => ({
    dataPlane: 'prod',
    scope: { type: 'global' },
    resource: { type: 's3', bucket, access: 'read' },
    justification: 'shared data',
  });

  it('a global grant lands on <UserFlyteRole> and every pair role; revoking it removes the policy everywhere', async () => {
    const pairGrant = await approved('acme-ml-data');
    const submitted = await submitGrant(deps, { request: globalRequest('acme-shared'), actor: alice });
    const globalGrant = await approveGrant(deps, { id: submitted.id, actor: bob });
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);

    // Only the pair's record arrives: the plane's global target, being behind, is applied first.
    const outcomes = await applyTargets(deps, [STAGING]);

    expect(outcomes.map((o) => [o.targetKey, o.outcome])).toEqual([
      ['prod#global', 'applied'],
      [STAGING, 'applied'],
    ]);
    expect((await grant(globalGrant.id)).status).toBe('active');
    expect((await grant(pairGrant.id)).status).toBe('active');
    expect((await gateway.listAttachedRolePolicies('acme-userflyterole')).map((p) => p.name).sort()).toEqual([
      'grantplane-global-1',
      'userflyterole',
    ]);
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.name).sort()).toEqual([
      'grantplane-flytesnacks-staging-1',
      'grantplane-global-1',
      'userflyterole',
    ]);

    await revokeGrant(deps, { id: globalGrant.id, actor: alice });
    const removal = await applyTargets(deps, ['prod#global', STAGING]);

    expect(removal.every((o) => o.outcome === 'applied')).toBe(true);
    expect((await grant(globalGrant.id)).status).toBe('revoked');
    expect((await gateway.listAttachedRolePolicies('acme-userflyterole')).map((p) => p.name)).toEqual([
      'userflyterole',
    ]);
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((p) => p.name).sort()).toEqual([
      'grantplane-flytesnacks-staging-1',
      'userflyterole',
    ]);
    expect(await gateway.getPolicy('arn:aws:iam::123456789012:policy/grantplane/grantplane-global-1')).toBeNull();
    expect(await gateway.getRole(ROLE)).not.toBeNull();
  });

  it('C2: a pair whose grant the global policies already allow still gets its role; revoking the global grant later only adds its policy', async () => {
    const submitted = await submitGrant(deps, { request: globalRequest('acme-shared'), actor: alice });
    const globalGrant = await approveGrant(deps, { id: submitted.id, actor: bob });
    const pairGrant = await approved('acme-shared'); // read-write on team-a/: read is covered, write is not
    const covered = await submitGrant(deps, {
      request: {
        ...globalRequest('acme-shared'),
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
      },
      actor: alice,
    });
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    const DEVELOPMENT = 'prod#flytesnacks#development';
    await applyTargets(deps, ['prod#global', STAGING, DEVELOPMENT]);

    expect((await grant(covered.id)).status).toBe('active');
    expect((await gateway.listAttachedRolePolicies('acme-flytesnacks-development')).map((p) => p.name).sort()).toEqual([
      'grantplane-global-1',
      'userflyterole',
    ]);
    const updates = (await deps.attributes.listAttributeUpdates('pending', { limit: 10 })).items;
    expect(updates.map((update) => update.domain).sort()).toEqual(['development', 'staging']);

    // Revoking the global grant: the covered pair gets its own policy; no role, no uctl update.
    iam.emulator.resetCalls();
    await revokeGrant(deps, { id: globalGrant.id, actor: alice });
    await applyTargets(deps, ['prod#global', STAGING, DEVELOPMENT]);

    expect((await grant(globalGrant.id)).status).toBe('revoked');
    expect((await grant(pairGrant.id)).status).toBe('active');
    expect(writes(iam.emulator).map((call) => call.action)).not.toContain('CreateRole');
    expect((await gateway.listAttachedRolePolicies('acme-flytesnacks-development')).map((p) => p.name).sort()).toEqual([
      'grantplane-flytesnacks-development-1',
      'userflyterole',
    ]);
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(2);
  });
});

describe('applyTargets and expiry (docs/api.md: "revoked (or expired) as soon as its statements are gone from IAM")', () => {
  it('an expired grant stays revoking while its removal fails, and ends expired (not revoked) once its policy is gone', async () => {
    const submitted = await submitGrant(deps, {
      request: { ...request('acme-ml-data'), expiresAt: '2026-11-23T01:00:00Z' },
      actor: alice,
    });
    await approveGrant(deps, { id: submitted.id, actor: bob });
    await applyTargets(deps, [STAGING]);
    expect((await grant(submitted.id)).status).toBe('active');
    deps.clock.set('2026-11-23T02:00:00.000Z');
    expect(await expireGrant(deps, { id: submitted.id })).toMatchObject({ status: 'revoking', endingAs: 'expired' });

    // The plane's credentials reach the wrong account: nothing is removed, so it is not expired yet.
    const right = deps.iamFor;
    deps.iamFor = async () => makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: '999999999999' }));
    expect((await applyTargets(deps, [STAGING]))[0]?.outcome).toBe('failed');
    expect(await grant(submitted.id)).toMatchObject({ status: 'revoking', endingAs: 'expired' });

    deps.iamFor = right;
    expect((await applyTargets(deps, [STAGING]))[0]?.outcome).toBe('waiting-uctl');
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    expect((await gateway.listAttachedRolePolicies(ROLE)).map((policy) => policy.name)).toEqual(['userflyterole']);
    expect((await grant(submitted.id)).status).toBe('expired');
    const events = (await deps.audit.listAudit({ grantId: submitted.id }, { limit: 10 })).items;
    expect(events[0]).toMatchObject({
      action: 'grant.expired',
      actor: 'applier',
      before: { status: 'revoking' },
      after: { status: 'expired' },
    });
  });
});

describe('applyTargets and grants the compilation refuses (C3)', () => {
  it('a grant that no longer fits the role (the quota was lowered) goes failed, not active; the others go active', async () => {
    const bigStatement = (bucket: string) => ({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: Array.from(
        { length: 80 },
        (_, i) => `arn:aws:s3:::${bucket}/datasets/partition-${String(i).padStart(3, '0')}/*`,
      ),
    });
    const roomy = await appDeps({
      ...TEST_CONFIG,
      dataPlanes: TEST_CONFIG.dataPlanes.map((plane) =>
        plane.name === 'tight' ? { ...plane, maxPoliciesPerRole: 4 } : plane,
      ),
    });
    const ids: string[] = [];
    for (const bucket of ['acme-one', 'acme-two']) {
      const submitted = await submitGrant(roomy, {
        request: {
          dataPlane: 'tight',
          scope: { type: 'project-domain', project: 'flytesnacks', domain: 'production' },
          resource: { type: 'iam-statements', statements: [bigStatement(bucket)] },
          justification: 'big',
        },
        actor: alice,
      });
      ids.push((await approveGrant(roomy, { id: submitted.id, actor: bob })).id);
    }
    const planes = roomy.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
    // The applier runs with the lowered quota (TEST_CONFIG: tight allows 2 policies per role); its
    // repair pass plans the plane again under the new configuration.
    const lowered: ApplierDeps = { ...roomy, config: deps.config, iamFor: iamForConfig(iam, planes), log: silentLog() };

    const outcomes = await applyPendingTargets(lowered);
    const outcome = outcomes.find((each) => each.targetKey === 'tight#flytesnacks#production');

    expect(outcome?.outcome).toBe('applied');
    const [first, second] = await Promise.all(ids.map((id) => roomy.grants.getGrant(id)));
    expect(first?.status).toBe('active');
    expect(second).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/quota\./) });
  });
});

describe('uctl updates under retries (A4)', () => {
  it('a retry that reads the pair index stale records no second update for the same content', async () => {
    await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    // The retry of a run that died after recording the update (the target still reads behind),
    // reading the pair's update index before it caught up (GSIs are eventually consistent).
    const target = await deps.targets.getTarget(STAGING);
    if (target === null) throw new Error('no target');
    await deps.targets.putTarget(
      { ...target, appliedVersion: target.appliedVersion - 1, state: 'pending' },
      target.desiredVersion,
    );
    const stale: ApplierDeps = { ...deps, attributes: { ...deps.attributes, latestAttributeUpdate: async () => null } };

    const [retry] = await applyTargets(stale, [STAGING]);

    expect(retry?.outcome).toBe('applied');
    expect(retry?.attributeUpdateId).toBeUndefined();
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(1);
  });
});

describe('a role that cannot be deleted (A3, R3)', () => {
  it('with a policy that is not grantplane’s attached, the role stays waiting; re-runs write nothing and audit nothing new', async () => {
    const g = await approved('acme-ml-data');
    await applyTargets(deps, [STAGING]);
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    const foreign = await gateway.createPolicy({
      name: 'someone-elses',
      path: '/',
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::x/*'] }],
      },
      tags: {},
    });
    await gateway.attachRolePolicy(ROLE, foreign.arn);
    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, [STAGING]);
    const removal = (await deps.attributes.listAttributeUpdates('pending', { limit: 10 })).items[0];
    await acknowledgeAttributeUpdate(deps, { id: removal?.id ?? '', actor: admin });

    const [first] = await applyTargets(deps, [STAGING]);
    const audit = (await deps.audit.listAudit({ targetKey: STAGING }, { limit: 100 })).items.length;
    const before = await deps.targets.getTarget(STAGING);
    iam.emulator.resetCalls();
    const [second] = await applyTargets(deps, [STAGING]);

    expect(first?.iamCalls).toEqual([]);
    expect(second).toMatchObject({ outcome: 'unchanged', iamCalls: [] });
    expect(await gateway.getRole(ROLE)).not.toBeNull();
    expect(await deps.targets.getTarget(STAGING)).toEqual(before);
    expect(before?.state).toBe('waiting-uctl');
    expect((await deps.audit.listAudit({ targetKey: STAGING }, { limit: 100 })).items).toHaveLength(audit);
    expect(writes(iam.emulator)).toEqual([]);
  });
});
