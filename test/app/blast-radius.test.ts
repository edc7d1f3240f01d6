// The blast-radius guard (A6): a change that would take access away from more than half of a
// plane's targets, and from more than two, is held — nothing leaves IAM, the grants behind it stay
// `revoking` — until an admin releases it through the API (audited); a smaller change goes through.
import { describe, expect, it } from 'vitest';
import { applyPendingTargets } from '../../lib/app/applier.js';
import { getHeldChange, listHeldChanges, releaseHeldChange } from '../../lib/app/holds.js';
import { expireDueGrants } from '../../lib/app/expiry.js';
import { approveGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { eachTestApplier, type ApplierTestDeps } from '../helpers/applier.js';

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };
const admin: Identity = { sub: 'carol', roles: ['admin'] };

const PROJECTS = ['alpha', 'beta', 'gamma', 'delta'];

let deps: ApplierTestDeps;
eachTestApplier((fresh) => (deps = fresh.deps));

const prod = () => deps.config.dataPlanes[0] as AwsDataPlaneConfig;

/** One approved and applied read grant per project in prod/staging; the first three expire on Dec 1. */
const activeGrants = async (): Promise<GrantRecord[]> => {
  const grants: GrantRecord[] = [];
  for (const [index, project] of PROJECTS.entries()) {
    const submitted = await submitGrant(deps, {
      request: {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project, domain: 'staging' },
        resource: { type: 's3', bucket: `acme-${project}-data`, access: 'read' },
        justification: 'features',
        ...(index < 3 ? { expiresAt: '2026-12-01T00:00:00Z' } : {}),
      },
      actor: alice,
    });
    grants.push(await approveGrant(deps, { id: submitted.id, actor: bob }));
  }
  await applyPendingTargets(deps);
  return grants;
};

const statusOf = async (id: string) => (await deps.grants.getGrant(id))?.status;

/** The pair policies attached to each project's role, read from IAM. */
const pairPolicies = async (): Promise<Record<string, string[]>> => {
  const gateway = await deps.iamFor(prod());
  const result: Record<string, string[]> = {};
  for (const project of PROJECTS) {
    const attached = (await gateway.listAttachedRolePolicies(`acme-${project}-staging`)).map((policy) => policy.name);
    result[project] = attached.filter((name) => name.startsWith('grantplane-')).sort();
  }
  return result;
};

describe('blast-radius guard (A6)', () => {
  it('holds one change ending 3 of 4 targets (an expiry run): nothing leaves IAM, the grants stay revoking, an admin release removes it', async () => {
    // Prepare
    const grants = await activeGrants();
    expect(await Promise.all(grants.map((g) => statusOf(g.id)))).toEqual(['active', 'active', 'active', 'active']);
    const before = await pairPolicies();

    // Act: the schedule ends three grants in one run, one recompute: 3 > 4/2 and 3 > 2
    deps.clock.set('2026-12-02T00:00:00Z');
    await expireDueGrants(deps);
    await applyPendingTargets(deps);

    // Assess: held, nothing removed
    const held = await getHeldChange(deps, 'prod');
    expect(held.targetsWithAccess).toBe(4);
    expect(held.targets.map((target) => target.targetKey)).toEqual([
      'prod#alpha#staging',
      'prod#beta#staging',
      'prod#gamma#staging',
    ]);
    expect(held.targets[0]?.removed).toEqual(
      expect.arrayContaining(['s3:getobject on arn:aws:s3:::acme-alpha-data/*']),
    );
    expect((await listHeldChanges(deps)).items.map((hold) => hold.dataPlane)).toEqual(['prod']);
    expect(await pairPolicies()).toEqual(before);
    expect(await Promise.all(grants.map((g) => statusOf(g.id)))).toEqual([
      'revoking',
      'revoking',
      'revoking',
      'active',
    ]);
    const audit = await deps.audit.listAudit({ actor: 'grantplane' }, { limit: 50 });
    expect(audit.items.map((event) => event.action)).toContain('change.held');

    // Act: an admin releases it
    const released = await releaseHeldChange(deps, { dataPlane: 'prod', actor: admin, comment: 'offboarding' });
    await applyPendingTargets(deps);

    // Assess: the access is gone, the grants revoked, the hold cleared, the release audited
    expect(released.changed.sort()).toEqual(held.targets.map((target) => target.targetKey));
    expect(await pairPolicies()).toEqual({ ...before, alpha: [], beta: [], gamma: [] });
    expect(await Promise.all(grants.map((g) => statusOf(g.id)))).toEqual(['expired', 'expired', 'expired', 'active']);
    expect((await listHeldChanges(deps)).items).toEqual([]);
    const releases = await deps.audit.listAudit({ actor: 'carol' }, { limit: 50 });
    expect(releases.items.find((event) => event.action === 'change.released')?.detail).toBe('offboarding');
  }, 60_000);

  it('lets changes through that each take access from one target: a revoke is one change (3 revokes of 4)', async () => {
    // Prepare
    const grants = await activeGrants();

    // Act
    for (const g of grants.slice(0, 3)) await revokeGrant(deps, { id: g.id, actor: admin });
    await applyPendingTargets(deps);

    // Assess
    expect((await listHeldChanges(deps)).items).toEqual([]);
    expect(await Promise.all(grants.map((g) => statusOf(g.id)))).toEqual(['revoked', 'revoked', 'revoked', 'active']);
    expect(await pairPolicies()).toMatchObject({ alpha: [], beta: [], gamma: [] });
  }, 60_000);

  it('clears the hold when the grants behind it come back, and a release of nothing is 404', async () => {
    // Prepare
    const grants = await activeGrants();
    deps.clock.set('2026-12-02T00:00:00Z');
    await expireDueGrants(deps);
    expect((await listHeldChanges(deps)).items).toHaveLength(1);

    // Act: a new approval for alpha's bucket brings alpha's access back; 2 of 4 is under the guard
    const again = await submitGrant(deps, {
      request: {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'alpha', domain: 'staging' },
        resource: { type: 's3', bucket: 'acme-alpha-data', access: 'read' },
        justification: 'features, again',
      },
      actor: alice,
    });
    await approveGrant(deps, { id: again.id, actor: bob });
    await applyPendingTargets(deps);

    // Assess
    expect((await listHeldChanges(deps)).items).toEqual([]);
    expect(await statusOf(grants[1]?.id ?? '')).toBe('expired');
    await expect(releaseHeldChange(deps, { dataPlane: 'prod', actor: admin })).rejects.toMatchObject({
      code: 'held-change.not-found',
    });
    const audit = await deps.audit.listAudit({ actor: 'grantplane' }, { limit: 50 });
    expect(audit.items.map((event) => event.action)).toContain('change.hold-cleared');
  }, 60_000);
});
