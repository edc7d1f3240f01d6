// docs/api.md: "Concurrent requests on one target all succeed: the service retries its own write
// conflicts". 50 submit+approve pairs race on one project-domain; nothing may be lost.
import { describe, expect, it } from 'vitest';
import { approveGrant, listGrants, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { DesiredCache } from '../../lib/app/desired-cache.js';
import { appDeps } from '../helpers/dynamo.js';

const COUNT = 50;

const request = (i: number) => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'race', domain: 'staging' },
  resource: { type: 's3', bucket: 'acme-ml-data', prefix: `team-${String(i).padStart(2, '0')}/`, access: 'read' },
});

const allGrants = async (deps: Awaited<ReturnType<typeof appDeps>>): Promise<GrantRecord[]> => {
  const grants: GrantRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listGrants(
      deps,
      { project: 'race', domain: 'staging' },
      { limit: 20, ...(cursor ? { cursor } : {}) },
    );
    grants.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return grants;
};

describe('concurrent grants on one target', () => {
  it('50 concurrent submit+approve lose nothing: every grant stored and compiled into the final target', async () => {
    // Prepare
    const deps = await appDeps();

    // Act: each requester submits and another person approves, all at once
    const results = await Promise.allSettled(
      Array.from({ length: COUNT }, async (_, i) => {
        const grant = await submitGrant(deps, {
          request: request(i),
          actor: { sub: `user-${i}`, roles: ['requester'] },
        });
        return approveGrant(deps, { id: grant.id, actor: { sub: `approver-${i % 3}`, roles: ['approver'] } });
      }),
    );

    // Assess
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    const grants = await allGrants(deps);
    expect(grants).toHaveLength(COUNT);
    expect(grants.every((g) => g.status === 'approved')).toBe(true);
    const target = await deps.targets.getTarget('prod#race#staging');
    const text = JSON.stringify(target?.desired?.policies ?? []);
    const missing = Array.from({ length: COUNT }, (_, i) => `team-${String(i).padStart(2, '0')}/`).filter(
      (p) => !text.includes(p),
    );
    expect(missing).toEqual([]);
    expect(target?.state).toBe('pending');
    // the plane's desired set holds exactly these grants, and the unit was compiled from all of them
    const snapshot = await deps.planes.getPlaneSnapshot('prod');
    expect(snapshot.grants.map((g) => g.id).sort()).toEqual(grants.map((g) => g.id).sort());
    const [unit] = await deps.planes.getUnits('prod', ['NS#race-staging']);
    expect(unit?.compiled).toBe(unit?.version);
    expect(unit?.version).toBe(COUNT);
  });

  it('warm containers racing on one pair lose nothing either: their cached submits, refused writes and approvals keep the unit’s inline copies exact', async () => {
    // Prepare: 10 containers, each with its own cache of what its submits read
    const deps = await appDeps();
    const containers = Array.from({ length: 10 }, () => ({ ...deps, desiredCache: new DesiredCache() }));

    // Act: each submits and approves 5 grants on the pair, one after another, all containers at once
    const results = await Promise.allSettled(
      containers.map(async (container, c) => {
        for (let n = 0; n < 5; n += 1) {
          const i = c * 5 + n;
          const grant = await submitGrant(container, {
            request: request(i),
            actor: { sub: `user-${i}`, roles: ['requester'] },
          });
          await approveGrant(container, { id: grant.id, actor: { sub: `approver-${i % 3}`, roles: ['approver'] } });
        }
      }),
    );

    // Assess: every grant approved and compiled; the copies the unit carries are the desired set
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const grants = await allGrants(deps);
    expect(grants).toHaveLength(COUNT);
    expect(grants.every((g) => g.status === 'approved')).toBe(true);
    const text = JSON.stringify((await deps.targets.getTarget('prod#race#staging'))?.desired?.policies ?? []);
    expect(grants.filter((g) => g.resource.type === 's3' && !text.includes(g.resource.prefix ?? ''))).toEqual([]);
    const read = await deps.planes.getDesiredGrants('prod', ['NS#race-staging'], []);
    expect(read.units[0]?.inline?.complete).toBe(true);
    expect(read.grants.map((g) => g.id).sort()).toEqual(grants.map((g) => g.id).sort());
  });

  it('concurrent revokes and approvals on one target converge to exactly the remaining grants', async () => {
    // Prepare: 10 approved grants
    const deps = await appDeps();
    const approved: GrantRecord[] = [];
    for (let i = 0; i < 10; i += 1) {
      const grant = await submitGrant(deps, { request: request(i), actor: { sub: `user-${i}`, roles: ['requester'] } });
      approved.push(await approveGrant(deps, { id: grant.id, actor: { sub: 'approver', roles: ['approver'] } }));
    }

    // Act: revoke the even ones while 10 new ones are submitted and approved
    await Promise.all([
      ...approved
        .filter((_, i) => i % 2 === 0)
        .map((g) => revokeGrant(deps, { id: g.id, actor: { sub: 'root', roles: ['admin'] } })),
      ...Array.from({ length: 10 }, async (_, j) => {
        const grant = await submitGrant(deps, {
          request: request(10 + j),
          actor: { sub: `user-${10 + j}`, roles: ['requester'] },
        });
        return approveGrant(deps, { id: grant.id, actor: { sub: 'approver', roles: ['approver'] } });
      }),
    ]);

    // Assess
    const text = JSON.stringify((await deps.targets.getTarget('prod#race#staging'))?.desired?.policies ?? []);
    for (let i = 0; i < 20; i += 1) {
      const prefix = `team-${String(i).padStart(2, '0')}/`;
      const expected = i >= 10 || i % 2 === 1;
      expect({ prefix, present: text.includes(prefix) }).toEqual({ prefix, present: expected });
    }
  });
});
