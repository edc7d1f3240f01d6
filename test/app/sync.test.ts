// syncSource (docs/git-sync.md git sync, docs/rules.md C3 quotas, docs/rules.md R9) on DynamoDB Local: a set that would not fit
// IAM's quotas is refused before anything is applied, and identical grants of two sources keep the
// access while either declares it.
import { beforeEach, describe, expect, it } from 'vitest';
import { syncSource } from '../../lib/app/sync.js';
import type { AppDeps } from '../../lib/app/deps.js';
import { ValidationError } from '../../lib/domain/errors.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { appDeps } from '../helpers/dynamo.js';

const ci: Identity = { sub: 'ci-bot', roles: ['admin'] };
let deps: AppDeps;

beforeEach(async () => {
  deps = await appDeps();
});

/** A long s3 grant on the tight plane (maxPoliciesPerRole 2: one policy of its own per role). */
const tight = (n: number) => ({
  dataPlane: 'tight',
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'production' },
  resource: {
    type: 's3',
    bucket: `acme-quota-bucket-with-a-rather-long-name-${String(n).padStart(3, '0')}`,
    prefix: `some/long/prefix/for/item/${n}/`,
    access: 'read-write',
  },
});
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => tight(from + i));

const refusal = async (promise: Promise<unknown>): Promise<ValidationError> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
};

const liveOf = async (source: string): Promise<GrantRecord[]> =>
  (await deps.grants.listGrants({ source }, { limit: 100 })).items.filter((g) =>
    ['approved', 'active'].includes(g.status),
  );

describe('syncSource and IAM quotas (C3)', () => {
  it('new grants that do not fit the role → 422 on their grants[i] entries, nothing applied', async () => {
    expect((await syncSource(deps, { source: 'repo-a', grants: range(100, 15), actor: ci })).added).toHaveLength(15);
    const error = await refusal(syncSource(deps, { source: 'repo-b', grants: range(200, 10), actor: ci }));
    expect(error.violations.length).toBeGreaterThan(0);
    for (const violation of error.violations) {
      expect(violation.path).toMatch(/^grants\[\d\]/);
      expect(violation.code).toBe('quota.policies-per-role');
    }
    expect(await liveOf('repo-b')).toEqual([]);
  });

  it('new grants that would push existing ones of another source out of the quota → 422 on grants', async () => {
    await syncSource(deps, { source: 'repo-a', grants: range(100, 15), actor: ci });
    const error = await refusal(syncSource(deps, { source: 'repo-b', grants: range(0, 10), actor: ci }));
    expect(
      error.violations.some(
        (v) => v.path === 'grants' && /would push grant .* \(repo-a, tight#flytesnacks#production\)/.test(v.message),
      ),
    ).toBe(true);
    expect(await liveOf('repo-b')).toEqual([]);
    expect(await liveOf('repo-a')).toHaveLength(15);
  });

  it('counts the final state: replacing grants in a full role fits because the removed ones go first', async () => {
    // 20 of these fill the role's one policy of its own; 10 replaced by 10 others still fit.
    await syncSource(deps, { source: 'repo-a', grants: range(100, 20), actor: ci });
    await refusal(syncSource(deps, { source: 'repo-a', grants: range(100, 21), actor: ci }));
    const swapped = await syncSource(deps, {
      source: 'repo-a',
      grants: [...range(100, 10), ...range(300, 10)],
      actor: ci,
      confirmPrune: true,
    });
    expect(swapped.added).toHaveLength(10);
    expect(swapped.removed).toHaveLength(10);
    expect(await liveOf('repo-a')).toHaveLength(20);
  });
});

describe('syncSource across sources (R9)', () => {
  const shared = {
    dataPlane: 'prod',
    scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
    resource: { type: 's3', bucket: 'acme-shared', access: 'read' },
  };
  const desiredText = async () =>
    JSON.stringify((await deps.targets.getTarget('prod#flytesnacks#staging'))?.desired ?? null);

  it('the access stays while either source declares it, and goes when the last one stops', async () => {
    await syncSource(deps, { source: 'repo-a', grants: [shared], actor: ci });
    await syncSource(deps, { source: 'repo-b', grants: [shared], actor: ci });
    expect(await liveOf('repo-a')).toHaveLength(1);
    expect(await liveOf('repo-b')).toHaveLength(1);

    const a = await syncSource(deps, { source: 'repo-a', grants: [], actor: ci, confirmPrune: true });
    expect(a.removed).toHaveLength(1);
    expect(await desiredText()).toContain('acme-shared');

    await syncSource(deps, { source: 'repo-b', grants: [], actor: ci, confirmPrune: true });
    expect(await desiredText()).not.toContain('acme-shared');
  });

  it('a dry run writes nothing, not even the source', async () => {
    const report = await syncSource(deps, {
      source: 'repo-dry',
      grants: [shared],
      actor: ci,
      dryRun: true,
      revision: 'r1',
    });
    expect(report).toMatchObject({ dryRun: true, revision: 'r1', unchanged: [], removed: [] });
    expect(report.added).toEqual([shared]);
    expect(await deps.sources.getSource('repo-dry')).toBeNull();
    expect(await liveOf('repo-dry')).toEqual([]);
  });

  it('concurrent syncs of one source: one applies, the other is refused (409 sync.in-progress) or finds it done', async () => {
    const set = [shared, { ...shared, resource: { type: 's3', bucket: 'acme-shared-2', access: 'read' } }];
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map(() => syncSource(deps, { source: 'repo-d', grants: set, actor: ci })),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'sync.in-progress' });
    }
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
    expect(fulfilled.reduce((sum, result) => sum + result.added.length, 0)).toBe(2);
    expect(await liveOf('repo-d')).toHaveLength(2);
    // The lease is released: the next sync runs.
    expect((await syncSource(deps, { source: 'repo-d', grants: set, actor: ci })).unchanged).toHaveLength(2);
  });

  it("docs/git-sync.md git sync: the sync's revision is in the audit of the grants it adds and of those it removes", async () => {
    const [added] = (await syncSource(deps, { source: 'repo-rev', grants: [shared], actor: ci, revision: 'c0ffee1' }))
      .added;
    const removal = await syncSource(deps, {
      source: 'repo-rev',
      grants: [],
      actor: ci,
      revision: 'd00d2',
      confirmPrune: true,
    });
    expect(removal.removed.map((grant) => grant.id)).toEqual([(added as GrantRecord).id]);
    const audit = (await deps.audit.listAudit({ grantId: (added as GrantRecord).id }, { limit: 10 })).items;
    expect(audit.find((event) => event.action === 'grant.submitted')?.detail).toContain('revision c0ffee1');
    expect(audit.find((event) => event.action === 'grant.revoked')?.detail).toContain('revision d00d2');
  });

  it("docs/git-sync.md git sync: the complete set declared — a changed expiresAt moves the unchanged grant's expiry, audited", async () => {
    const first = await syncSource(deps, {
      source: 'repo-exp',
      grants: [{ ...shared, expiresAt: '2026-11-30T00:00:00Z' }],
      actor: ci,
    });
    const id = (first.added[0] as GrantRecord).id;
    const later = await syncSource(deps, {
      source: 'repo-exp',
      grants: [{ ...shared, expiresAt: '2026-12-15T00:00:00Z' }],
      actor: ci,
      revision: 'e2',
    });
    expect(later.added).toEqual([]);
    expect(later.unchanged.map((grant) => [grant.id, grant.expiresAt])).toEqual([[id, '2026-12-15T00:00:00Z']]);
    expect((await deps.grants.getGrant(id))?.expiresAt).toBe('2026-12-15T00:00:00Z');
    const audit = (await deps.audit.listAudit({ grantId: id }, { limit: 10 })).items;
    expect(audit.find((event) => event.action === 'grant.expiry-changed')?.detail).toContain('revision e2');

    // Dropping expiresAt from the file makes the grant open-ended; the same set again writes nothing.
    await syncSource(deps, { source: 'repo-exp', grants: [shared], actor: ci });
    expect((await deps.grants.getGrant(id))?.expiresAt).toBeUndefined();
    const version = (await deps.grants.getGrant(id))?.version;
    await syncSource(deps, { source: 'repo-exp', grants: [shared], actor: ci });
    expect((await deps.grants.getGrant(id))?.version).toBe(version);
  });

  it('the same grant declared twice in one file is one grant', async () => {
    const result = await syncSource(deps, {
      source: 'repo-c',
      grants: [shared, { ...shared, justification: 'again' }],
      actor: ci,
    });
    expect(result.added).toHaveLength(1);
    expect(await liveOf('repo-c')).toHaveLength(1);
  });
});
