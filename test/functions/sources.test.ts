// PUT /v1/sources/{source}/grants (docs/git-sync.md git sync) through the Lambda handler with real API
// Gateway v2 events, against DynamoDB Local: add/unchanged/remove, dry run, prune guard, 422s,
// other sources untouched.
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as makeGrantsHandler } from '../../functions/http/grants.js';
import { makeHandler } from '../../functions/http/sources.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import type { HttpDeps } from '../../lib/wiring/http.js';
import { httpDeps } from '../helpers/dynamo.js';
import { invoke, type Answer, type EventInput } from './events.js';

const options = { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) };
const ci = { sub: 'ci-bot', groups: ['admin'] };
const carol = { sub: 'carol', groups: ['requester', 'approver'] };

let deps: HttpDeps;
let handler: ReturnType<typeof makeHandler>;
let grants: ReturnType<typeof makeGrantsHandler>;

// A fresh table per test: each one states the source's history it starts from (no test order).
beforeEach(async () => {
  deps = await httpDeps('01SYNC');
  handler = makeHandler(deps, options);
  grants = makeGrantsHandler(deps, options);
});

const s3 = (bucket: string, access = 'read', domain = 'staging') => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain },
  resource: { type: 's3', bucket, access },
  justification: 'declared in git',
});

interface Diff {
  added: GrantRecord[];
  unchanged: GrantRecord[];
  removed: GrantRecord[];
  dryRun: boolean;
  pruneGuard?: { code: string };
}

const sync = (
  source: string,
  body: unknown,
  query: Record<string, string> = {},
  caller: EventInput['caller'] = ci,
): Promise<Answer> => invoke(handler, { method: 'PUT', path: `/v1/sources/${source}/grants`, caller, body, query });
const diffOf = (answer: Answer): Diff => answer.body as Diff;
const buckets = (list: readonly { resource: unknown }[]): string[] =>
  list.map((g) => (g.resource as { bucket: string }).bucket).sort();
const liveOf = async (source: string): Promise<GrantRecord[]> =>
  (await deps.app.grants.listGrants({ source }, { limit: 100 })).items.filter((g) =>
    ['approved', 'active', 'pending-approval'].includes(g.status),
  );

/** The source's state a test starts from: one applied sync of these grants. */
const seed = async (source: string, declared: unknown[]): Promise<void> => {
  const answer = await sync(source, { grants: declared });
  if (answer.status !== 200) throw new Error(`seed sync of ${source} answered ${answer.status}`);
};
const FOUR = () => [s3('acme-a'), s3('acme-b'), s3('acme-c'), s3('acme-d')];
const FIVE = () => [s3('acme-a'), s3('acme-b'), s3('acme-c'), s3('acme-d', 'read-write'), s3('acme-e')];

describe('git sync (docs/git-sync.md)', () => {
  it('first sync creates the source and its grants, approved on arrival, with the revision in the audit', async () => {
    const answer = await sync('infra-repo', {
      revision: 'abc123',
      grants: [s3('acme-a'), s3('acme-b'), s3('acme-c'), s3('acme-d')],
    });
    expect(answer.status).toBe(200);
    const diff = diffOf(answer);
    expect(buckets(diff.added)).toEqual(['acme-a', 'acme-b', 'acme-c', 'acme-d']);
    expect(diff.unchanged).toEqual([]);
    expect(diff.removed).toEqual([]);
    for (const grant of diff.added)
      expect(grant).toMatchObject({
        status: 'approved',
        source: 'infra-repo',
        requester: 'ci-bot',
        approvedBy: 'source:infra-repo',
      });
    expect(await deps.app.sources.getSource('infra-repo')).toMatchObject({
      name: 'infra-repo',
      lastRevision: 'abc123',
    });
    const audit = await deps.app.audit.listAudit({ grantId: diff.added[0]?.id ?? '' }, { limit: 10 });
    expect(audit.items[0]?.detail).toContain('revision abc123');
    const target = await deps.app.targets.getTarget('prod#flytesnacks#staging');
    expect(JSON.stringify(target?.desired)).toContain('acme-d');
  });

  it('the same set again → everything unchanged, nothing written', async () => {
    await seed('infra-repo', FOUR());
    const before = await liveOf('infra-repo');
    const diff = diffOf(
      await sync('infra-repo', {
        revision: 'abc124',
        grants: [s3('acme-d'), s3('acme-c'), s3('acme-b'), s3('acme-a')],
      }),
    );
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(buckets(diff.unchanged)).toEqual(['acme-a', 'acme-b', 'acme-c', 'acme-d']);
    expect((await liveOf('infra-repo')).map((g) => g.version)).toEqual(before.map((g) => g.version));
  });

  it('identity is (plane, scope, resource, access): a new access level is a new grant, the old one is removed', async () => {
    await seed('infra-repo', FOUR());
    const dry = await sync(
      'infra-repo',
      { grants: [s3('acme-a'), s3('acme-b'), s3('acme-c'), s3('acme-d', 'read-write'), s3('acme-e')] },
      { dryRun: 'true' },
    );
    expect(dry.status).toBe(200);
    const report = diffOf(dry);
    expect(report.dryRun).toBe(true);
    expect(buckets(report.added)).toEqual(['acme-d', 'acme-e']);
    expect(report.added.every((g) => !('id' in g))).toBe(true);
    expect(buckets(report.removed)).toEqual(['acme-d']);
    expect(buckets(report.unchanged)).toEqual(['acme-a', 'acme-b', 'acme-c']);
    expect(buckets(await liveOf('infra-repo'))).toEqual(['acme-a', 'acme-b', 'acme-c', 'acme-d']); // dry run changed nothing

    const applied = diffOf(
      await sync('infra-repo', {
        revision: 'def456',
        grants: [s3('acme-a'), s3('acme-b'), s3('acme-c'), s3('acme-d', 'read-write'), s3('acme-e')],
      }),
    );
    expect(buckets(applied.added)).toEqual(['acme-d', 'acme-e']);
    expect(applied.removed).toHaveLength(1);
    expect(applied.removed[0]).toMatchObject({ status: 'revoking', resource: { bucket: 'acme-d', access: 'read' } });
    expect(buckets(await liveOf('infra-repo'))).toEqual(['acme-a', 'acme-b', 'acme-c', 'acme-d', 'acme-e']);
  });

  it('revoking more than half → 409 sync.prune-guard and nothing changes; dry run reports it; confirmPrune applies', async () => {
    await seed('infra-repo', FIVE());
    const before = await liveOf('infra-repo');
    const refused = await sync('infra-repo', { grants: [s3('acme-a'), s3('acme-b')] });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect((refused.body as { errors: { code: string }[] }).errors[0]?.code).toBe('sync.prune-guard');
    expect((await liveOf('infra-repo')).map((g) => g.id).sort()).toEqual(before.map((g) => g.id).sort());

    const dry = await sync('infra-repo', { grants: [s3('acme-a'), s3('acme-b')] }, { dryRun: 'true' });
    expect(dry.status).toBe(200);
    expect(diffOf(dry).pruneGuard?.code).toBe('sync.prune-guard');
    expect(diffOf(dry).removed).toHaveLength(3);

    const confirmed = await sync('infra-repo', { grants: [s3('acme-a'), s3('acme-b')] }, { confirmPrune: 'true' });
    expect(confirmed.status).toBe(200);
    expect(buckets(diffOf(confirmed).removed)).toEqual(['acme-c', 'acme-d', 'acme-e']);
    expect(buckets(await liveOf('infra-repo'))).toEqual(['acme-a', 'acme-b']);
  });

  it('any invalid grant → 422 with grants[i] paths, and nothing is applied', async () => {
    await seed('infra-repo', [s3('acme-a'), s3('acme-b')]);
    const before = await liveOf('infra-repo');
    const bad = { ...s3('acme-x'), resource: { type: 's3', bucket: 'union-internal', access: 'read' } };
    const answer = await sync('infra-repo', { grants: [s3('acme-a'), s3('acme-b'), s3('acme-new'), bad] });
    expect(answer.status).toBe(422);
    const errors = (answer.body as { errors: { path: string; code: string }[] }).errors;
    expect(errors).toContainEqual(
      expect.objectContaining({ path: 'grants[3].resource.bucket', code: 's3.internal-bucket' }),
    );
    expect(buckets(await liveOf('infra-repo'))).toEqual(buckets(before));

    const shape = await sync('infra-repo', { grants: [{ scope: { type: 'global' } }] });
    expect(shape.status).toBe(422);
    expect((shape.body as { errors: { path: string }[] }).errors.every((e) => e.path.startsWith('grants[0]'))).toBe(
      true,
    );
  });

  it('a sync never touches other sources; identical grants from two sources both exist', async () => {
    await seed('infra-repo', [s3('acme-a'), s3('acme-b')]);
    const api = await invoke(grants, {
      method: 'POST',
      path: '/v1/grants',
      caller: carol,
      body: s3('acme-a', 'read', 'development'),
    });
    expect(api.status).toBe(201);
    const other = diffOf(await sync('team-repo', { grants: [s3('acme-a'), s3('acme-z')] }));
    expect(buckets(other.added)).toEqual(['acme-a', 'acme-z']);
    // R9: the same grant as infra-repo's — accepted with a note, compiled once.
    expect(other.added.find((g) => g.resource.type === 's3' && g.resource.bucket === 'acme-a')?.notes).toEqual([
      expect.objectContaining({ code: 'duplicate.repeat' }),
    ]);
    expect(buckets(await liveOf('infra-repo'))).toEqual(['acme-a', 'acme-b']);

    // Emptying team-repo (confirmed) leaves infra-repo's identical grant and the API grant alone.
    const emptied = diffOf(await sync('team-repo', { grants: [] }, { confirmPrune: 'true' }));
    expect(buckets(emptied.removed)).toEqual(['acme-a', 'acme-z']);
    expect(buckets(await liveOf('infra-repo'))).toEqual(['acme-a', 'acme-b']);
    expect((await liveOf('api')).map((g) => g.id)).toEqual([(api.body as GrantRecord).id]);
    const target = await deps.app.targets.getTarget('prod#flytesnacks#staging');
    expect(JSON.stringify(target?.desired)).toContain('acme-a');
  });

  it('refuses reserved source names, non-admins and malformed bodies', async () => {
    const reserved = await sync('api', { grants: [] });
    expect(reserved.status).toBe(422);
    expect((reserved.body as { errors: { code: string }[] }).errors[0]?.code).toBe('source.invalid-name');
    expect((await sync('x-repo', { grants: [] }, {}, carol)).status).toBe(403);
    expect((await sync('x-repo', { grants: 'nope' })).status).toBe(400);
    expect((await sync('x-repo', { grants: [] }, { dryRun: 'yes' })).status).toBe(400);
  });
});
