// Grant use cases (docs/api.md) on the real store and DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  approveGrant,
  expireGrant,
  getGrant,
  listGrants,
  rejectGrant,
  revokeGrant,
  submitGrant,
} from '../../lib/app/grants.js';
import {
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  StateConflictError,
  ValidationError,
} from '../../lib/domain/errors.js';
import type { Identity } from '../../lib/domain/ports.js';
import { recomputePlaneTargets } from '../../lib/app/targets.js';
import { appDeps } from '../helpers/dynamo.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { makeDynamoStores } from '../../lib/adapters/dynamodb/stores.js';
import { DesiredCache } from '../../lib/app/desired-cache.js';
import { failure } from '../helpers/failure.js';

type Deps = Awaited<ReturnType<typeof appDeps>>;
let deps: Deps;

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };
const root: Identity = { sub: 'root', roles: ['requester', 'approver', 'admin'] };
const mallory: Identity = { sub: 'mallory', roles: ['requester'] };

const s3 = (project: string, domain: string, prefix: string, extra: Record<string, unknown> = {}) => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project, domain },
  resource: { type: 's3', bucket: 'acme-ml-data', prefix, access: 'read' },
  justification: 'training jobs read features',
  ...extra,
});

/** A global read of the shared bucket: on `tight` its policy takes the one slot a pair role has left. */
const sharedRead = (dataPlane: string) => ({
  dataPlane,
  scope: { type: 'global' },
  resource: { type: 's3', bucket: 'acme-shared', access: 'read' },
});

const policyText = async (key: string): Promise<string> =>
  JSON.stringify((await deps.targets.getTarget(key))?.desired?.policies ?? []);

beforeAll(async () => {
  deps = await appDeps();
});

describe('submitGrant', () => {
  it('stores a valid request as pending-approval with its requester, source and an audit event', async () => {
    // Act
    const grant = await submitGrant(deps, { request: s3('flytesnacks', 'staging', 'sub-a/'), actor: alice });

    // Assess
    expect(grant).toMatchObject({
      status: 'pending-approval',
      requester: 'alice',
      source: 'api',
      dataPlane: 'prod',
      targetKey: 'prod#flytesnacks#staging',
      version: 1,
    });
    expect(await getGrant(deps, { id: grant.id })).toEqual({
      ...grant,
      effect: { inEffect: false, pending: [expect.objectContaining({ kind: 'approval' })] },
    });
    const audit = await deps.audit.listAudit({ grantId: grant.id }, { limit: 10 });
    expect(audit.items).toMatchObject([
      { action: 'grant.submitted', actor: 'alice', after: { status: 'pending-approval' } },
    ]);
    expect(await deps.targets.getTarget('prod#flytesnacks#staging')).toBeNull();
  });

  it('rejects a request that breaks a documented rule with ValidationError naming the field (R4)', async () => {
    const error = await failure(
      submitGrant(deps, {
        request: {
          ...s3('flytesnacks', 'staging', 'x/'),
          resource: { type: 's3', bucket: 'union-metadata', access: 'read' },
        },
        actor: alice,
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations).toEqual([expect.objectContaining({ path: 'resource.bucket' })]);
    expect(
      (await listGrants(deps, { project: 'flytesnacks', domain: 'staging' })).items.every(
        (g) => g.resource.type === 's3' && g.resource.bucket !== 'union-metadata',
      ),
    ).toBe(true);
  });

  it("auto-approves a grant in one of the plane's autoApproveDomains and compiles its target at once", async () => {
    // Act
    const grant = await submitGrant(deps, { request: s3('autoproj', 'development', 'auto/'), actor: alice });

    // Assess
    expect(grant.status).toBe('approved');
    const target = await deps.targets.getTarget('prod#autoproj#development');
    expect(target).toMatchObject({ desiredVersion: 1, appliedVersion: 0, state: 'pending' });
    expect(target?.desired?.role.name).toBe('acme-autoproj-development');
    expect(await policyText('prod#autoproj#development')).toContain('auto/');
  });

  it('uses the only plane when a request names none, and links a ticket given by the caller', async () => {
    const single = await appDeps({
      dataPlanes: [
        {
          name: 'solo',
          cloud: 'aws',
          accountId: '333333333333',
          region: 'us-west-2',
          orgPrefix: 'acme',
          oidcProvider: 'oidc.example/id/X',
          domains: ['staging'],
          projects: '*',
        },
      ],
    });
    const { dataPlane: _plane, ...request } = s3('p', 'staging', 'x/');
    const grant = await submitGrant(single, {
      request,
      actor: alice,
      source: 'jira',
      ticket: { system: 'jira', key: 'OPS-9' },
    });
    expect(grant.dataPlane).toBe('solo');
    expect((await single.grants.findGrantByTicket('jira', 'jira', 'OPS-9'))?.id).toBe(grant.id);
  });
});

describe('approveGrant and rejectGrant', () => {
  it("approves by another approver, audits before/after, and compiles the pair's target", async () => {
    // Prepare
    const grant = await submitGrant(deps, { request: s3('appr', 'staging', 'appr/'), actor: alice });

    // Act
    const approved = await approveGrant(deps, { id: grant.id, actor: bob, comment: 'ok' });

    // Assess
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'bob', version: 2 });
    expect(approved.history.map((h) => h.status)).toEqual(['pending-approval', 'approved']);
    const audit = await deps.audit.listAudit({ grantId: grant.id }, { limit: 10 });
    expect(audit.items[0]).toMatchObject({
      action: 'grant.approved',
      actor: 'bob',
      before: { status: 'pending-approval' },
      after: { status: 'approved' },
    });
    expect(await policyText('prod#appr#staging')).toContain('appr/');
  });

  it('refuses deciding on your own request, admins included (403 grant.self-approval)', async () => {
    const own = await submitGrant(deps, { request: s3('selfp', 'staging', 'self/'), actor: root });
    const approve = await failure(approveGrant(deps, { id: own.id, actor: root }));
    const reject = await failure(rejectGrant(deps, { id: own.id, actor: root }));
    expect(approve).toBeInstanceOf(ForbiddenError);
    expect(approve).toMatchObject({ code: 'grant.self-approval' });
    expect(reject).toMatchObject({ code: 'grant.self-approval' });
    expect((await getGrant(deps, { id: own.id })).status).toBe('pending-approval');
  });

  it('decides only on pending grants (409), and answers 404 for an unknown id', async () => {
    const grant = await submitGrant(deps, { request: s3('twice', 'staging', 'tw/'), actor: alice });
    await rejectGrant(deps, { id: grant.id, actor: bob, comment: 'no' });
    const again = await failure(approveGrant(deps, { id: grant.id, actor: root }));
    expect(again).toBeInstanceOf(StateConflictError);
    expect((await getGrant(deps, { id: grant.id })).status).toBe('rejected');
    expect(await deps.targets.getTarget('prod#twice#staging')).toBeNull();
    expect(await failure(getGrant(deps, { id: 'nope' }))).toBeInstanceOf(NotFoundError);
  });
});

describe('revokeGrant', () => {
  it('lets only the requester or an admin revoke; the last grant of a pair leaves desired=null', async () => {
    // Prepare
    const grant = await submitGrant(deps, { request: s3('revp', 'staging', 'rev/'), actor: alice });
    await approveGrant(deps, { id: grant.id, actor: bob });
    const before = await deps.targets.getTarget('prod#revp#staging');

    // Act
    const stranger = await failure(revokeGrant(deps, { id: grant.id, actor: mallory }));
    const revoked = await revokeGrant(deps, { id: grant.id, actor: alice });
    const repeat = await revokeGrant(deps, { id: grant.id, actor: root });

    // Assess
    expect(stranger).toBeInstanceOf(ForbiddenError);
    expect(revoked.status).toBe('revoking');
    expect(repeat).toEqual(revoked);
    expect(before?.desiredVersion).toBe(1);
    expect(await deps.targets.getTarget('prod#revp#staging')).toMatchObject({
      desired: null,
      desiredVersion: 2,
      state: 'pending',
    });
  });

  it("ends a pending grant at once, and an admin may revoke anyone's grant, keeping the others compiled", async () => {
    const pending = await submitGrant(deps, { request: s3('revq', 'staging', 'pending/'), actor: alice });
    const keep = await submitGrant(deps, { request: s3('revq', 'staging', 'keep/'), actor: alice });
    const drop = await submitGrant(deps, { request: s3('revq', 'staging', 'drop/'), actor: alice });
    await approveGrant(deps, { id: keep.id, actor: bob });
    await approveGrant(deps, { id: drop.id, actor: bob });

    expect((await revokeGrant(deps, { id: pending.id, actor: alice })).status).toBe('revoked');
    expect((await revokeGrant(deps, { id: drop.id, actor: root })).status).toBe('revoking');

    const text = await policyText('prod#revq#staging');
    expect(text).toContain('keep/');
    expect(text).not.toContain('drop/');
    expect((await deps.targets.getTarget('prod#revq#staging'))?.desiredVersion).toBe(3);
  });
});

describe('duplicates, quota and expiry', () => {
  it('accepts a repeat (R9) with a note and compiles it once: no new target version', async () => {
    const first = await submitGrant(deps, { request: s3('dup', 'staging', 'dup/'), actor: alice });
    await approveGrant(deps, { id: first.id, actor: bob });
    const repeat = await submitGrant(deps, { request: s3('dup', 'staging', 'dup/'), actor: mallory });
    await approveGrant(deps, { id: repeat.id, actor: bob });

    expect(repeat.notes?.map((n) => n.code)).toEqual(['duplicate.repeat']);
    expect((await deps.targets.getTarget('prod#dup#staging'))?.desiredVersion).toBe(1);
    // revoking one of the two keeps the access: the other still declares it
    await revokeGrant(deps, { id: first.id, actor: alice });
    expect(await policyText('prod#dup#staging')).toContain('dup/');
  });

  it('rejects at submission a grant that would push approved grants out of the policy quota (C3)', async () => {
    // Prepare: on `tight` (2 policies per role) a pair grant fills its role with userflyterole + its own
    const pair = await submitGrant(deps, {
      request: { ...s3('q', 'production', 'q/'), dataPlane: 'tight' },
      actor: alice,
    });
    await approveGrant(deps, { id: pair.id, actor: bob });

    // Act: a global grant would add a global policy to every role
    const error = await failure(
      submitGrant(deps, {
        request: sharedRead('tight'),
        actor: alice,
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations[0]?.code).toMatch(/^quota\./);
    expect((error as ValidationError).violations[0]?.message).toContain('tight#q#production');
  });

  it('refuses at approval a grant whose expiresAt passed while it waited (R8): it stays pending, nothing compiled', async () => {
    const grant = await submitGrant(deps, {
      request: s3('late', 'staging', 'late/', { expiresAt: '2026-11-24T00:00:00Z' }),
      actor: alice,
    });
    deps.clock.set('2026-11-25T00:00:00Z');
    try {
      const error = await failure(approveGrant(deps, { id: grant.id, actor: bob }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations.map((v) => v.code)).toEqual(['expiry.in-past']);
      expect((await getGrant(deps, { id: grant.id })).status).toBe('pending-approval');
      expect(await deps.targets.getTarget('prod#late#staging')).toBeNull();
    } finally {
      deps.clock.set('2026-11-23T00:00:00Z');
    }
  });

  it('refuses at approval a pair grant that would push a grant of its role approved meanwhile out of the quota (C3)', async () => {
    // Prepare: on `tight` (userflyterole + one policy per role) two grants that each fill most of a
    // policy, submitted while the pair was empty; the later one is approved first.
    const big = (n: number) => ({
      dataPlane: 'tight',
      scope: { type: 'project-domain', project: 'crowd', domain: 'development' },
      resource: {
        type: 'iam-statements',
        statements: [
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem'],
            Resource: Array.from(
              { length: 60 },
              (_, i) =>
                `arn:aws:dynamodb:us-east-1:210987654321:table/feature-store-${n}-${String(i).padStart(3, '0')}`,
            ),
          },
        ],
      },
    });
    const earlier = await submitGrant(deps, { request: big(1), actor: alice });
    const later = await submitGrant(deps, { request: big(2), actor: alice });
    await approveGrant(deps, { id: later.id, actor: bob });
    const before = await deps.targets.getTarget('tight#crowd#development');

    // Act: the earlier grant sorts first, so approving it would take the later one's place (C3)
    const error = await failure(approveGrant(deps, { id: earlier.id, actor: bob }));

    // Assess: refused with the displaced target named; nothing changed
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations[0]?.code).toMatch(/^quota\./);
    expect((error as ValidationError).violations[0]?.message).toContain('tight#crowd#development');
    expect((await getGrant(deps, { id: earlier.id })).status).toBe('pending-approval');
    expect(await deps.targets.getTarget('tight#crowd#development')).toEqual(before);
  });

  it('plans a global request with the global grants alone unless it adds a global policy; one that does, and pushes a pair out, is refused (C1, C3)', async () => {
    // Counts the whole-plane reads; everything else is the real store.
    let wholePlane = 0;
    const counted: Deps = {
      ...deps,
      planes: {
        ...deps.planes,
        getPlaneSnapshot: (dataPlane) => {
          wholePlane += 1;
          return deps.planes.getPlaneSnapshot(dataPlane);
        },
      },
    };
    const global = (plane: string, bucket: string) => ({
      dataPlane: plane,
      scope: { type: 'global' },
      resource: { type: 's3', bucket, access: 'read' },
      justification: 'shared data',
    });
    // prod already has a global policy: a second bucket's statements join it, no pair can lose room.
    const first = await submitGrant(counted, { request: global('prod', 'acme-shared-a'), actor: alice });
    await approveGrant(deps, { id: first.id, actor: bob });
    wholePlane = 0;
    await submitGrant(counted, { request: global('prod', 'acme-shared-b'), actor: alice });
    expect(wholePlane).toBe(0);

    // tight (userflyterole + one more policy per role): a pair fills its role; the first global
    // grant would add a global policy every role must carry, so the whole plane decides — no.
    const pair = await submitGrant(deps, {
      request: s3('full', 'development', 'full/', { dataPlane: 'tight' }),
      actor: alice,
    });
    await approveGrant(deps, { id: pair.id, actor: bob });
    wholePlane = 0;
    const error = await failure(submitGrant(counted, { request: global('tight', 'acme-shared-c'), actor: alice }));
    expect(wholePlane).toBe(1);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations[0]?.message).toContain('tight#full#development');
  });

  it('expires a grant past its expiresAt and recompiles its target', async () => {
    const grant = await submitGrant(deps, {
      request: s3('exp', 'development', 'exp/', { expiresAt: '2026-11-24T00:00:00Z' }),
      actor: alice,
    });
    expect(await expireGrant(deps, { id: grant.id })).toBeNull(); // not yet
    deps.clock.set('2026-11-25T00:00:00Z');
    try {
      // docs/api.md: approved (may be in IAM) → revoking, ending as expired once the applier removed it.
      const expired = await expireGrant(deps, { id: grant.id });
      expect(expired).toMatchObject({ status: 'revoking', endingAs: 'expired' });
      expect(await expireGrant(deps, { id: grant.id })).toBeNull(); // ending already
      expect(await deps.targets.getTarget('prod#exp#development')).toMatchObject({ desired: null, desiredVersion: 2 });
    } finally {
      deps.clock.set('2026-11-23T00:00:00Z');
    }
  });

  it('pages listings with at most 100 per page', async () => {
    expect(await failure(listGrants(deps, {}, { limit: 101 }))).toBeInstanceOf(BadRequestError);
    // Its own three grants, so the test holds whichever tests ran before it
    for (const prefix of ['p1/', 'p2/', 'p3/'])
      await submitGrant(deps, { request: s3('pageq', 'staging', prefix), actor: alice });
    const page = await listGrants(deps, { project: 'pageq' }, { limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toBeDefined();
  });

  it('recomputing every plane again changes nothing (same grants, same compiled targets)', async () => {
    const results = [await recomputePlaneTargets(deps, 'prod'), await recomputePlaneTargets(deps, 'tight')];
    expect(results.map((r) => r.dataPlane)).toEqual(['prod', 'tight']);
    expect(results.flatMap((r) => r.changed)).toEqual([]);
  });
});

describe("a warm container's cache of what its submits read (lib/app/desired-cache.ts)", () => {
  /** The same stores on a client that counts requests, with a cache: one warm container. */
  const warmContainer = (base: Deps = deps) => {
    const client = new DynamoDBClient({
      endpoint: base.table.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    let requests = 0;
    client.middlewareStack.add((next) => (args) => ((requests += 1), next(args)), { step: 'initialize' });
    const container = {
      ...base,
      ...makeDynamoStores(makeDocumentClient(client), base.table.tableName),
      desiredCache: new DesiredCache(),
    };
    return { container, requests: () => requests };
  };

  it('plans a second submit from what the first read, and plans again from a fresh read once the unit moved (R9 note)', async () => {
    // Prepare
    const warm = warmContainer();
    const submitted = (request: unknown) => submitGrant(warm.container, { request, actor: mallory });

    // Act: two submits on one pair; then another container approves a grant the third repeats
    await submitted(s3('warm', 'staging', 'a/'));
    const afterFirst = warm.requests();
    await submitted(s3('warm', 'staging', 'b/'));
    const afterSecond = warm.requests();
    const elsewhere = await submitGrant(deps, { request: s3('warm', 'staging', 'c/'), actor: alice });
    await approveGrant(deps, { id: elsewhere.id, actor: bob });
    const repeat = await submitted(s3('warm', 'staging', 'c/'));
    const afterThird = warm.requests();
    const fourth = await submitted(s3('warm', 'staging', 'c/'));

    // Assess: read + write, then the write alone (its unit checks hold), then a refused write,
    // a fresh read and the write; the repeat is noted as planned from the moved unit
    expect([afterFirst, afterSecond - afterFirst, afterThird - afterSecond]).toEqual([2, 1, 3]);
    expect(repeat.notes?.map((note) => note.code)).toEqual(['duplicate.repeat']);
    expect(fourth.notes?.map((note) => note.code)).toEqual(['duplicate.repeat']);
    expect(warm.requests() - afterThird).toBe(1);
  });

  it('plans a submit approved on arrival from a fresh read: its write changes the unit, which the same transaction cannot also check', async () => {
    // Prepare: development is auto-approved on prod; a refused submit leaves the pair in the cache
    const warm = warmContainer();
    const refused = await failure(
      submitGrant(warm.container, {
        request: {
          ...s3('arrive', 'development', 'a/'),
          resource: { type: 's3', bucket: 'union-meta', access: 'read' },
        },
        actor: mallory,
      }),
    );
    const cold = warmContainer();

    // Act: the same submit on that pair in the warm container, and on a pair alike in a cold one
    const before = warm.requests();
    const second = await submitGrant(warm.container, { request: s3('arrive', 'development', 'b/'), actor: mallory });
    const fromCold = await submitGrant(cold.container, { request: s3('arrive2', 'development', 'b/'), actor: mallory });

    // Assess: approved, with no write refused on the way (as many requests as the cold container's)
    expect((refused as ValidationError).violations[0]?.code).toBe('s3.internal-bucket');
    expect([second.status, fromCold.status]).toEqual(['approved', 'approved']);
    expect(warm.requests() - before).toBe(cold.requests());
    expect(await policyText('prod#arrive#development')).toContain('b/');
  });

  it('forgets what its own approvals change: the next submit on the pair reads afresh instead of being refused at write', async () => {
    // Prepare
    const warm = warmContainer();
    const first = await submitGrant(warm.container, { request: s3('own', 'staging', 'a/'), actor: alice });

    // Act: the same container approves it, then submits again on the pair
    await approveGrant(warm.container, { id: first.id, actor: bob });
    const before = warm.requests();
    const repeat = await submitGrant(warm.container, { request: s3('own', 'staging', 'a/'), actor: mallory });

    // Assess: one read and the write, planned with the approved grant (R9)
    expect(warm.requests() - before).toBe(2);
    expect(repeat.notes?.map((note) => note.code)).toEqual(['duplicate.repeat']);
  });

  it('decides a refusal planned from the cache again from a fresh read: the global grant that filled the role is gone (C3)', async () => {
    // Prepare: on `tight` (2 policies per role) an approved global grant leaves a pair no room
    const own = await appDeps();
    const warm = warmContainer(own);
    const pairRequest = (prefix: string) => ({ ...s3('room', 'production', prefix), dataPlane: 'tight' });
    const global = await submitGrant(own, {
      request: sharedRead('tight'),
      actor: alice,
    });
    await approveGrant(own, { id: global.id, actor: bob });
    const refused = await failure(submitGrant(warm.container, { request: pairRequest('a/'), actor: mallory }));

    // Act: another container revokes the global grant; the warm one submits again
    await revokeGrant(own, { id: global.id, actor: alice });
    const accepted = await submitGrant(warm.container, { request: pairRequest('b/'), actor: mallory });

    // Assess
    expect((refused as ValidationError).violations[0]?.code).toMatch(/^quota\./);
    expect(accepted.status).toBe('pending-approval');
  });

  it('plans from a fresh read when the attributes of the pair were imported meanwhile (uctl.attributes-unknown)', async () => {
    // Prepare: a pair with no imported attributes is noted as such
    const warm = warmContainer();
    const first = await submitGrant(warm.container, { request: s3('attr', 'staging', 'a/'), actor: mallory });

    // Act: another container imports the pair's attributes; the warm one submits again
    await deps.attributes.putAttributes(
      {
        dataPlane: 'prod',
        project: 'attr',
        domain: 'staging',
        attributes: { projectQuotaCpu: '8' },
        importedAt: '2026-11-23T00:00:00.000Z',
        importedBy: 'root',
      },
      {
        id: 'attr-import',
        at: '2026-11-23T00:00:00.000Z',
        actor: 'root',
        action: 'attributes.imported',
        result: 'ok',
      },
    );
    const second = await submitGrant(warm.container, { request: s3('attr', 'staging', 'b/'), actor: mallory });

    // Assess
    expect(first.notes?.map((note) => note.code)).toContain('uctl.attributes-unknown');
    expect(second.notes?.map((note) => note.code) ?? []).not.toContain('uctl.attributes-unknown');
  });
});
