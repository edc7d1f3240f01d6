// The plane cache of pending submits (lib/app/plane-cache.ts) never weakens the quota rule (C3,
// docs/rules.md; docs/api.md): two "containers" share one DynamoDB Local table — A with the cache, B without — so B's
// writes leave A's cache stale exactly as another Lambda container's would.
import { describe, expect, it } from 'vitest';
import { makeDynamoGrantStore } from '../../lib/adapters/dynamodb/grant-store.js';
import { approveGrant, getGrant, submitGrant } from '../../lib/app/grants.js';
import { makePlaneCache, withPlaneCache, type PlaneState } from '../../lib/app/plane-cache.js';
import { parseConfig } from '../../lib/domain/config.js';
import { ValidationError } from '../../lib/domain/errors.js';
import type { Identity } from '../../lib/domain/ports.js';
import { appDeps, counterIds, TEST_CONFIG } from '../helpers/dynamo.js';
import { failure } from '../helpers/failure.js';

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };

// `tight` holds 2 policies per role: userflyterole + one more. Its development domain auto-approves.
const CONFIG = {
  dataPlanes: TEST_CONFIG.dataPlanes.map((plane) =>
    plane.name === 'tight' ? { ...plane, autoApproveDomains: ['development'] } : plane,
  ),
};

const pairGrant = (project: string, domain = 'production', bucket = 'acme-pair-data') => ({
  dataPlane: 'tight',
  scope: { type: 'project-domain', project, domain },
  resource: { type: 's3', bucket, prefix: `${project}/`, access: 'read' },
  justification: 'jobs read their inputs',
});
const globalGrant = {
  dataPlane: 'tight',
  scope: { type: 'global' },
  resource: { type: 's3', bucket: 'acme-shared', access: 'read' },
  justification: 'every job reads the shared data',
};

const quotaCode = (error: unknown): string | undefined =>
  error instanceof ValidationError ? error.violations[0]?.code : `not a ValidationError: ${String(error)}`;

/** Container A (cached, monotonic time under the test's control) and container B (no cache) on one table. */
const containers = async () => {
  let time = 0;
  const plain = await appDeps(CONFIG);
  const a = withPlaneCache(plain, { ttlMs: 5_000, now: () => time });
  const b = {
    ...plain,
    store: makeDynamoGrantStore(plain.table.docClient, plain.table.tableName),
    config: parseConfig(CONFIG),
    ids: counterIds('01OTHER'),
  };
  return { a, b, advance: (ms: number) => (time += ms) };
};

describe('plane cache of pending submits (C3 stays enforced)', () => {
  it('a pending submit that passed the advisory check on a stale cache is refused at approval with the quota code', async () => {
    // Prepare: A reads (and caches) the empty plane; B then approves a pair grant that fills its role
    const { a, b } = await containers();
    await submitGrant(a, { request: pairGrant('warm'), actor: alice });
    const pair = await submitGrant(b, { request: pairGrant('q'), actor: alice });
    await approveGrant(b, { id: pair.id, actor: bob });
    // Fresh state refuses the global grant at once (it would push tight#q#production out of its quota)
    expect(quotaCode(await failure(submitGrant(b, { request: globalGrant, actor: alice })))).toMatch(/^quota\./);

    // Act: A's submit is checked against its cached, stale plane — it lands pending
    const pending = await submitGrant(a, { request: globalGrant, actor: alice });
    expect(pending.status).toBe('pending-approval');
    const error = await failure(approveGrant(a, { id: pending.id, actor: bob }));

    // Assess: approval re-checks against fresh state and refuses with the quota code; nothing changed
    expect(error).toBeInstanceOf(ValidationError);
    expect(quotaCode(error)).toMatch(/^quota\./);
    expect((error as ValidationError).violations[0]?.message).toContain('tight#q#production');
    expect((await getGrant(a, { id: pending.id })).status).toBe('pending-approval');
    expect((await a.store.getPlaneSnapshot('tight')).desiredGrantIds).toEqual([pair.id]);
  });

  it('a submit approved on arrival (auto-approve domain or pre-approved source) is checked against fresh state', async () => {
    // Prepare: A caches the empty plane; B approves a global grant (userflyterole + it fill every role)
    const { a, b } = await containers();
    await submitGrant(a, { request: pairGrant('warm'), actor: alice });
    const global = await submitGrant(b, { request: globalGrant, actor: alice });
    await approveGrant(b, { id: global.id, actor: bob });

    // Act: a pair grant would need a third policy on its role
    const autoApproved = await failure(
      submitGrant(a, { request: pairGrant('auto', 'development', 'acme-own-data'), actor: alice }),
    );
    const preApproved = await failure(
      submitGrant(a, { request: pairGrant('git', 'production', 'acme-own-data'), actor: alice, preApproved: true }),
    );

    // Assess: both refused at submission, from fresh state, despite A's stale cache
    expect(quotaCode(autoApproved)).toMatch(/^quota\./);
    expect(quotaCode(preApproved)).toMatch(/^quota\./);
  });

  it("drops the plane at once on this container's own approval", async () => {
    const { a } = await containers();
    await submitGrant(a, { request: pairGrant('warm'), actor: alice });
    const own = await submitGrant(a, { request: pairGrant('own'), actor: alice });
    await approveGrant(a, { id: own.id, actor: bob });

    expect(quotaCode(await failure(submitGrant(a, { request: globalGrant, actor: alice })))).toMatch(/^quota\./);
  });

  it("sees another container's write once the TTL has passed", async () => {
    const { a, b, advance } = await containers();
    await submitGrant(a, { request: pairGrant('warm'), actor: alice });
    await submitGrant(b, { request: globalGrant, actor: alice, preApproved: true });

    advance(4_999);
    const stale = await submitGrant(a, { request: pairGrant('x', 'production', 'acme-own-data'), actor: alice });
    advance(1);
    const error = await failure(
      submitGrant(a, { request: pairGrant('y', 'production', 'acme-own-data'), actor: alice }),
    );

    expect(stale.status).toBe('pending-approval');
    expect(quotaCode(error)).toMatch(/^quota\./);
  });
});

describe('makePlaneCache', () => {
  const state = (n: number): PlaneState => ({ desired: [], attributes: [{ n } as never] });

  it('shares one read, serves it for the TTL, and never stores a read a write overtook', async () => {
    let time = 0;
    const cache = makePlaneCache({ ttlMs: 100, now: () => time });
    let reads = 0;
    const load = (n: number) => async () => {
      reads += 1;
      return state(n);
    };

    const [first, second] = await Promise.all([cache.get('p', load(1)), cache.get('p', load(2))]);
    expect([first, second, reads]).toEqual([state(1), state(1), 1]);
    time = 99;
    expect(await cache.get('p', load(3))).toEqual(state(1));
    expect(await cache.get('p', load(4), { fresh: true })).toEqual(state(4));
    time = 100;
    expect(await cache.get('p', load(5))).toEqual(state(4)); // the fresh read restarted the TTL

    // A read in flight when this container writes answers its caller but is not kept
    let release: (value: PlaneState) => void = () => undefined;
    const slow = cache.get('q', () => new Promise<PlaneState>((resolve) => (release = resolve)));
    cache.invalidate('q');
    release(state(6));
    expect(await slow).toEqual(state(6));
    expect(await cache.get('q', load(7))).toEqual(state(7));

    // A failed read is not remembered
    await expect(cache.get('r', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.get('r', load(8))).toEqual(state(8));
  });
});
