// reconcileTarget / applyPlane against the IAM emulator with the real SDK (docs/applier.md A1–A4, docs/cli.md apply).
import { afterEach, describe, expect, it } from 'vitest';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import {
  applyPlane,
  makePolicyDocumentCache,
  planeGuard,
  reconcileTarget,
  targetRefFor,
} from '../../lib/app/reconcile.js';
import { planGrants } from '../../lib/domain/engine.js';
import type { CompiledTarget } from '../../lib/domain/model.js';
import type { IamGateway } from '../../lib/domain/ports.js';
import { canonicalDocument } from '../../lib/domain/reconcile/index.js';
import type { IamEmulator } from '../../lib/local/iam-emulator/index.js';
import {
  iamClientFor,
  type IamTestContext,
  startIamTest,
  startTestPlane,
  TEST_ACCOUNT_ID,
  testPlane,
} from '../helpers/iam.js';

const NOW = new Date('2026-11-23T00:00:00Z');
const { config, plane } = testPlane();

const s3 = (scope: object, bucket: string, access: 'read' | 'read-write' = 'read') => ({
  dataPlane: 'prod',
  scope,
  resource: { type: 's3', bucket, access },
  justification: 'tests',
});
const pair = (project: string, domain: string) => ({ type: 'project-domain', project, domain });
const GLOBAL = { type: 'global' };

/** Compiles grants with the real engine; every request must be accepted. */
function targetsOf(requests: unknown[]): CompiledTarget[] {
  const plan = planGrants({ config, requests, now: NOW });
  expect(plan.rejected).toEqual([]);
  return plan.targets;
}

const BEFORE = [
  s3(GLOBAL, 'acme-shared'),
  s3(pair('flytesnacks', 'development'), 'acme-ml-data'),
  s3(pair('retired', 'production'), 'acme-old'),
];
const AFTER = [
  s3(GLOBAL, 'acme-shared'),
  s3(GLOBAL, 'acme-shared-2'),
  s3(pair('flytesnacks', 'development'), 'acme-ml-data', 'read-write'),
  s3(pair('newproj', 'staging'), 'acme-new'),
];

/** Everything IAM holds, as data: what "the same state" means for crash consistency. */
async function dump(iam: IamGateway): Promise<unknown> {
  const details = await iam.getAccountAuthorizationDetails({ pathPrefix: '/', roleNames: [] });
  return {
    roles: details.roles
      .map((role) => ({
        name: role.name,
        path: role.path,
        trust: canonicalDocument(role.trustPolicy),
        boundary: role.permissionsBoundaryArn ?? null,
        tags: role.tags,
        attached: role.attachedPolicies.map((p) => p.arn).sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    policies: details.policies
      .map((policy) => ({
        arn: policy.arn,
        defaultVersionId: policy.defaultVersionId,
        versions: policy.versions.map((v) => v.versionId).sort(),
        document: canonicalDocument(policy.versions.find((v) => v.isDefault)?.document),
        attachmentCount: policy.attachmentCount,
      }))
      .sort((a, b) => a.arn.localeCompare(b.arn)),
  };
}

/** The write calls in an emulator call log, as comparable keys. */
const writesOf = (emulator: IamEmulator, from = 0): string[] =>
  emulator.calls
    .slice(from)
    .filter((call) => !call.read && call.error === undefined)
    .map((call) =>
      [
        call.action,
        call.params['RoleName'],
        call.params['PolicyName'],
        call.params['PolicyArn'],
        call.params['VersionId'],
      ]
        .filter((v) => v !== undefined)
        .join(' '),
    );

let ctx: IamTestContext | undefined;
afterEach(async () => {
  await ctx?.stop();
  ctx = undefined;
});

async function start(options: Parameters<typeof startTestPlane>[0] = {}): Promise<IamTestContext> {
  ctx = await startTestPlane(options);
  return ctx;
}

describe('applyPlane / reconcileTarget', () => {
  it('creates everything, then a converged plane costs zero writes (A1)', async () => {
    const { gateway, emulator } = await start();
    const first = await applyPlane(gateway, plane, targetsOf(BEFORE));
    expect(first.changes).toBeGreaterThan(0);
    expect(first.actions).toContain('CreateRole acme-flytesnacks-development');
    expect(first.actions).toContain('AttachRolePolicy acme-userflyterole grantplane-global-1');
    emulator.resetCalls();
    const second = await applyPlane(gateway, plane, targetsOf(BEFORE));
    expect(second).toMatchObject({ changes: 0, actions: [] });
    expect(emulator.calls.filter((call) => !call.read)).toEqual([]);
  });

  it('a converged target reads GetRole, ListAttachedRolePolicies, GetPolicy (+ GetPolicyVersion only on a cache miss)', async () => {
    const { gateway, emulator } = await start();
    const targets = targetsOf(BEFORE);
    await applyPlane(gateway, plane, targets);
    const target = targets.find((t) => t.scope.type === 'project-domain')!;
    const cache = makePolicyDocumentCache();
    const options = { guard: planeGuard(plane), cache };
    emulator.resetCalls();
    const cold = await reconcileTarget(gateway, target, options);
    expect(cold).toMatchObject({ actions: [], writes: 0, waiting: false });
    expect(emulator.calls.map((call) => call.action)).toEqual([
      'GetRole',
      'ListAttachedRolePolicies',
      'GetPolicy',
      'GetPolicyVersion',
    ]);
    emulator.resetCalls();
    const warm = await reconcileTarget(gateway, target, options);
    expect(warm.reads).toBe(3);
    expect(emulator.calls.map((call) => call.action)).toEqual(['GetRole', 'ListAttachedRolePolicies', 'GetPolicy']);
  });

  it('a changed document becomes a default version; the 6th version rotates the oldest out (A2)', async () => {
    const { gateway, emulator } = await start();
    const buckets = ['acme-a', 'acme-b', 'acme-c', 'acme-d', 'acme-e', 'acme-f'];
    await applyPlane(gateway, plane, targetsOf([s3(pair('flytesnacks', 'development'), buckets[0]!)]));
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-flytesnacks-development-1`;
    for (const bucket of buckets.slice(1, 5)) {
      const result = await applyPlane(gateway, plane, targetsOf([s3(pair('flytesnacks', 'development'), bucket)]));
      // The C4 hash tag of the desired document, then the new default version.
      expect(result.actions).toEqual([
        expect.stringMatching(/^TagPolicy grantplane-flytesnacks-development-1 grantplane:hash=/),
        'CreatePolicyVersion grantplane-flytesnacks-development-1 (default)',
      ]);
    }
    expect((await gateway.listPolicyVersions(arn)).map((v) => v.versionId).sort()).toEqual([
      'v1',
      'v2',
      'v3',
      'v4',
      'v5',
    ]);
    emulator.resetCalls();
    const sixth = await applyPlane(gateway, plane, targetsOf([s3(pair('flytesnacks', 'development'), buckets[5]!)]));
    expect(sixth.actions.slice(0, 3)).toEqual([
      expect.stringMatching(/^TagPolicy grantplane-flytesnacks-development-1 grantplane:hash=/),
      'DeletePolicyVersion grantplane-flytesnacks-development-1 v1',
      'CreatePolicyVersion grantplane-flytesnacks-development-1 (default)',
    ]);
    const versions = await gateway.listPolicyVersions(arn);
    expect(versions.map((v) => v.versionId).sort()).toEqual(['v2', 'v3', 'v4', 'v5', 'v6']);
    expect(versions.find((v) => v.isDefault)?.versionId).toBe('v6');
  });

  it('removes an undeclared pair: policies at once, the role waits; --prune-roles deletes it (A3)', async () => {
    const { gateway } = await start();
    await applyPlane(gateway, plane, targetsOf(BEFORE));
    const after = await applyPlane(gateway, plane, targetsOf(AFTER));
    expect(after.waitingRoles).toEqual(['acme-retired-production']);
    expect(after.actions).toEqual(
      expect.arrayContaining([
        'DetachRolePolicy acme-retired-production grantplane-retired-production-1',
        'DeletePolicy grantplane-retired-production-1',
        'CreateRole acme-newproj-staging',
      ]),
    );
    expect(await gateway.getRole('acme-retired-production')).not.toBeNull();
    const again = await applyPlane(gateway, plane, targetsOf(AFTER));
    expect(again).toMatchObject({ changes: 0, waitingRoles: ['acme-retired-production'] });
    const pruned = await applyPlane(gateway, plane, targetsOf(AFTER), { pruneRoles: true });
    expect(pruned.actions.slice(-2)).toEqual([
      'DetachRolePolicy acme-retired-production userflyterole',
      'DeleteRole acme-retired-production',
    ]);
    expect(await gateway.getRole('acme-retired-production')).toBeNull();
    expect(await applyPlane(gateway, plane, targetsOf(AFTER), { pruneRoles: true })).toMatchObject({
      changes: 0,
      waitingRoles: [],
    });
  });

  it('never names <AdminFlyteRole> or changes the userflyterole policy in any call (R3)', async () => {
    const { gateway, emulator } = await start();
    await applyPlane(gateway, plane, targetsOf(BEFORE));
    await applyPlane(gateway, plane, targetsOf(AFTER), { pruneRoles: true });
    // Removing everything is what the blast-radius guard holds: confirmed here, as an operator would.
    await applyPlane(gateway, plane, [], { pruneRoles: true, confirmRemoval: true });
    const mentions = emulator.calls.filter((call) => JSON.stringify(call.params).includes('acme-adminflyterole'));
    expect(mentions).toEqual([]);
    const userflyteroleWrites = emulator.calls.filter(
      (call) =>
        !call.read &&
        call.params['PolicyArn']?.endsWith(':policy/userflyterole') === true &&
        call.params['RoleName'] === 'acme-userflyterole',
    );
    expect(userflyteroleWrites).toEqual([]);
    // Everything grantplane made is gone again; Union's own roles and policy are as seeded.
    const state = (await dump(gateway)) as {
      roles: { name: string; attached: string[] }[];
      policies: { arn: string }[];
    };
    expect(state.roles.map((r) => r.name)).toEqual(['acme-adminflyterole', 'acme-userflyterole']);
    expect(state.roles.every((r) => r.attached.length === 1 && r.attached[0]!.endsWith(':policy/userflyterole'))).toBe(
      true,
    );
    expect(state.policies.map((p) => p.arn)).toEqual([`arn:aws:iam::${TEST_ACCOUNT_ID}:policy/userflyterole`]);
  });

  it('converges under 30% throttling (the SDK retries)', async () => {
    const { gateway, emulator } = await start({ maxAttempts: 10, retryBaseDelayMs: 1 });
    emulator.setFaults({ throttleRate: 0.3, seed: 7 });
    await applyPlane(gateway, plane, targetsOf(BEFORE));
    await applyPlane(gateway, plane, targetsOf(AFTER));
    expect(emulator.calls.filter((call) => call.fault === 'throttled').length).toBeGreaterThan(5);
    emulator.setFaults({});
    expect(await applyPlane(gateway, plane, targetsOf(AFTER))).toMatchObject({ changes: 0 });
  });
});

describe('crash consistency (A4)', () => {
  it('a crash after any call 1..K, then a re-run, reaches the same IAM state with no call done twice', async () => {
    // The uninterrupted run: its state and writes are the reference.
    const reference = await start();
    await applyPlane(reference.gateway, plane, targetsOf(BEFORE));
    const mark = reference.emulator.calls.length;
    await applyPlane(reference.gateway, plane, targetsOf(AFTER));
    const calls = reference.emulator.calls.length - mark;
    const expectedWrites = writesOf(reference.emulator, mark).sort();
    const expectedState = await dump(reference.gateway);
    await reference.stop();
    ctx = undefined;
    expect(calls).toBeGreaterThan(20);

    for (let k = 1; k <= calls; k += 1) {
      const { gateway, emulator } = await start();
      await applyPlane(gateway, plane, targetsOf(BEFORE));
      const from = emulator.calls.length;
      // One attempt per call: the injected ServiceFailure is the crash, not something retried away.
      const fragile = makeIamGateway(iamClientFor(emulator, { maxAttempts: 1 }));
      emulator.setFaults({ failOnCall: k });
      await expect(applyPlane(fragile, plane, targetsOf(AFTER)), `crash at call ${k}`).rejects.toThrow();
      emulator.setFaults({});
      const rerun = await applyPlane(gateway, plane, targetsOf(AFTER));
      expect(await dump(gateway), `state after crash at call ${k}`).toEqual(expectedState);
      expect(writesOf(emulator, from).sort(), `writes after crash at call ${k}`).toEqual(expectedWrites);
      expect(rerun.waitingRoles).toEqual(['acme-retired-production']);
      expect((await applyPlane(gateway, plane, targetsOf(AFTER))).changes).toBe(0);
      await ctx!.stop();
      ctx = undefined;
    }
  }, 120_000);
});

describe('races and duplicate events (A4)', () => {
  it('two applies of the same state at once both finish and leave one converged state', async () => {
    const { gateway, emulator } = await start();
    const [a, b] = await Promise.all([
      applyPlane(gateway, plane, targetsOf(BEFORE)),
      applyPlane(gateway, plane, targetsOf(BEFORE)),
    ]);
    expect(a.changes + b.changes).toBeGreaterThan(0);
    expect(emulator.calls.filter((call) => call.action === 'CreateRole' && call.error === undefined)).toHaveLength(2);
    expect(await applyPlane(gateway, plane, targetsOf(BEFORE))).toMatchObject({ changes: 0 });
    const [c, d] = await Promise.all([
      applyPlane(gateway, plane, targetsOf(AFTER), { pruneRoles: true }),
      applyPlane(gateway, plane, targetsOf(AFTER), { pruneRoles: true }),
    ]);
    expect(c.waitingRoles.concat(d.waitingRoles)).toEqual([]);
    expect(await applyPlane(gateway, plane, targetsOf(AFTER), { pruneRoles: true })).toMatchObject({ changes: 0 });
    expect(await gateway.getRole('acme-retired-production')).toBeNull();
  });

  it('another writer creating the same policy first (EntityAlreadyExists) is taken as converged', async () => {
    const { gateway, emulator } = await start();
    const targets = targetsOf(BEFORE);
    // The global target first: the pair attaches its policies, which only the global target creates.
    await reconcileTarget(
      gateway,
      targets.find((t) => t.scope.type === 'global')!,
      { guard: planeGuard(plane) },
    );
    const target = targets.find((t) => t.scope.type === 'project-domain')!;
    const policy = target.policies[0]!;
    emulator.resetCalls();
    // The other writer gets there between our read and our CreatePolicy.
    const racing: IamGateway = {
      ...gateway,
      createPolicy: async (input) => {
        await gateway.createPolicy(input);
        return gateway.createPolicy(input);
      },
    };
    const result = await reconcileTarget(racing, target, { guard: planeGuard(plane) });
    expect(emulator.calls.filter((call) => call.action === 'CreatePolicy').map((call) => call.error)).toEqual([
      undefined,
      'EntityAlreadyExists',
    ]);
    expect(result.actions[0]).toBe('CreateRole acme-flytesnacks-development');
    expect(await gateway.getPolicy(policy.arn)).toMatchObject({ defaultVersionId: 'v1' });
    expect(await reconcileTarget(gateway, target, { guard: planeGuard(plane) })).toMatchObject({
      actions: [],
      writes: 0,
    });
  });

  it('a no-longer-desired target is reconciled by reference (the applier Lambda path)', async () => {
    const { gateway } = await start();
    await applyPlane(gateway, plane, targetsOf(BEFORE));
    const ref = targetRefFor(plane, { type: 'project-domain', project: 'retired', domain: 'production' });
    const result = await reconcileTarget(gateway, null, { guard: planeGuard(plane), ref, allowRoleDeletion: true });
    expect(result.actions).toEqual([
      'DetachRolePolicy acme-retired-production grantplane-global-1',
      'DetachRolePolicy acme-retired-production grantplane-retired-production-1',
      'DeletePolicy grantplane-retired-production-1',
      'DetachRolePolicy acme-retired-production userflyterole',
      'DeleteRole acme-retired-production',
    ]);
    expect(result).toMatchObject({ writes: 5, waiting: false });
    expect(
      await reconcileTarget(gateway, null, { guard: planeGuard(plane), ref, allowRoleDeletion: true }),
    ).toMatchObject({ actions: [], writes: 0, reads: 1 });
  });
});

describe('applyPlane reads the plane once (A1)', () => {
  /** N project-domain grants (one policy each) plus one global grant. */
  const manyPairs = (n: number): unknown[] => [
    s3(GLOBAL, 'acme-shared'),
    ...Array.from({ length: n }, (_, i) => s3(pair(`proj${i}`, 'development'), `acme-data-${i}`)),
  ];

  it('a converged re-apply of N targets reads the whole plane and nothing else (its pages), writes nothing', async () => {
    // Small pages: GetAccountAuthorizationDetails takes several calls, and each one is counted.
    const { gateway, emulator } = await start({ pageSize: 20 });
    const n = 30;
    const targets = targetsOf(manyPairs(n));
    await applyPlane(gateway, plane, targets);
    const managedPolicies = (await gateway.listPolicies(plane.managedPath)).length;
    expect(managedPolicies).toBe(n + 1);

    emulator.resetCalls();
    const again = await applyPlane(gateway, plane, targets, { cache: makePolicyDocumentCache() });
    const reads = emulator.calls.filter((call) => call.read);
    const pages = reads.filter((call) => call.action === 'GetAccountAuthorizationDetails').length;
    expect(again).toMatchObject({ changes: 0, actions: [] });
    expect(emulator.calls.filter((call) => !call.read)).toEqual([]);
    expect(pages).toBeGreaterThan(1);
    // The floor, from the call log: the whole-plane read's pages; no policy's tags read one by one.
    expect(reads.map((call) => call.action)).toEqual(Array<string>(pages).fill('GetAccountAuthorizationDetails'));
    const policies = targets.reduce((sum, target) => sum + target.policies.length, 0);
    const naive = 3 * targets.length + policies;
    expect(reads.length).toBeLessThan(0.05 * naive);
  });

  it('tags changed by hand on a policy whose document is as declared: restored with verifyTags, left alone without (C4)', async () => {
    const { gateway, emulator } = await start();
    const targets = targetsOf(manyPairs(3));
    await applyPlane(gateway, plane, targets);
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-proj1-development-1`;
    await gateway.untagPolicy(arn, ['grantplane:hash']);

    // The whole-plane read vouches for the tags of a policy whose default document is the desired one.
    expect(await applyPlane(gateway, plane, targets)).toMatchObject({ changes: 0, actions: [] });
    emulator.resetCalls();
    const verified = await applyPlane(gateway, plane, targets, { verifyTags: true });
    expect(verified.actions).toEqual([
      expect.stringMatching(/^TagPolicy grantplane-proj1-development-1 grantplane:hash=/),
    ]);
    expect(emulator.calls.filter((call) => call.action === 'GetPolicy').length).toBeGreaterThanOrEqual(4);
  });

  it('a policy whose managed-by tag was removed is refused as soon as its target needs a write, though the plane read vouched for it (R3)', async () => {
    const { gateway, emulator } = await start();
    const targets = targetsOf(manyPairs(2));
    await applyPlane(gateway, plane, targets);
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-proj0-development-1`;
    // By hand: the policy is no longer marked as grantplane's, and its role lost it.
    await gateway.untagPolicy(arn, ['managed-by']);
    await gateway.detachRolePolicy('acme-proj0-development', arn);
    emulator.resetCalls();
    await expect(applyPlane(gateway, plane, targets)).rejects.toThrow(/is not grantplane's/);
    expect(emulator.calls.filter((call) => call.action === 'AttachRolePolicy')).toEqual([]);
  });

  it('only a target that differs from the snapshot is read again on its own, then fixed', async () => {
    const { gateway, emulator } = await start();
    const targets = targetsOf(manyPairs(5));
    await applyPlane(gateway, plane, targets);
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-proj3-development-1`;
    await gateway.detachRolePolicy('acme-proj3-development', arn);
    emulator.resetCalls();
    const result = await applyPlane(gateway, plane, targets);
    expect(result.actions).toEqual(['AttachRolePolicy acme-proj3-development grantplane-proj3-development-1']);
    const perTarget = emulator.calls.filter((call) => ['GetRole', 'ListAttachedRolePolicies'].includes(call.action));
    expect(perTarget.map((call) => `${call.action} ${call.params['RoleName']}`)).toEqual([
      'GetRole acme-proj3-development',
      'ListAttachedRolePolicies acme-proj3-development',
    ]);
  });

  it('writes are decided on a fresh read: a target fixed by another writer after the snapshot gets no write (A4)', async () => {
    const { gateway, emulator } = await start();
    const targets = targetsOf(manyPairs(3));
    await applyPlane(gateway, plane, targets);
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-proj1-development-1`;
    await gateway.detachRolePolicy('acme-proj1-development', arn);
    // The other writer re-attaches the policy right after our whole-plane read.
    const racing: IamGateway = Object.create(gateway) as IamGateway;
    racing.getAccountAuthorizationDetails = async (filter) => {
      const details = await gateway.getAccountAuthorizationDetails(filter);
      await gateway.attachRolePolicy('acme-proj1-development', arn);
      return details;
    };
    emulator.resetCalls();
    const result = await applyPlane(racing, plane, targets);
    expect(result).toMatchObject({ changes: 0, actions: [] });
    // Only the other writer's AttachRolePolicy: ours would be the same call done twice.
    expect(emulator.calls.filter((call) => !call.read).map((call) => call.action)).toEqual(['AttachRolePolicy']);
    expect(emulator.calls.some((call) => call.action === 'GetRole')).toBe(true);
  });

  it('a foreign role of the same name outside the managed path is still refused, not taken over', async () => {
    const { gateway, emulator } = await start();
    await gateway.createRole({
      name: 'acme-flytesnacks-development',
      path: '/',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      permissionsBoundaryArn: null,
      tags: {},
    });
    await expect(applyPlane(gateway, plane, targetsOf(BEFORE))).rejects.toThrow(/is not grantplane's/);
    const writes = emulator.calls.filter((call) => !call.read && call.action !== 'CreateRole');
    // The global target went first; nothing was done to the foreign role.
    expect(writes.filter((call) => call.params['RoleName'] === 'acme-flytesnacks-development')).toEqual([]);
  });

  it('credentials of another account (no <UserFlyteRole>) are refused before any write', async () => {
    // Nothing seeded: this account has no <UserFlyteRole>.
    ctx = await startIamTest();
    const { gateway, emulator } = ctx;
    await expect(applyPlane(gateway, plane, targetsOf(BEFORE))).rejects.toThrow(/acme-userflyterole does not exist/);
    expect(emulator.calls.filter((call) => !call.read)).toEqual([]);
  });
});
