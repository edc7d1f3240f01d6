// The table's stores against DynamoDB Local (real protocol: transactions, GSIs, conditions).
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoStores } from '../../lib/adapters/dynamodb/stores.js';
import { makeDynamoPlaneStore } from '../../lib/adapters/dynamodb/plane-store.js';
import { keys, MAX_INLINE_BYTES, memberItem, targetFromItem } from '../../lib/adapters/dynamodb/items.js';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { BadRequestError } from '../../lib/domain/errors.js';
import type { CompiledTarget } from '../../lib/domain/model.js';
import { ConcurrentUpdateError, type GrantStore, type PlaneStore, type Stores } from '../../lib/domain/ports.js';
import {
  targetKey,
  type AttributeUpdate,
  type AuditEvent,
  type GrantRecord,
  type GrantStatus,
} from '../../lib/domain/records.js';
import { freshTable, type FreshTable } from '../helpers/dynamo.js';
import { failure } from '../helpers/failure.js';

let stores: Stores;
let planes: PlaneStore;
let seq = 0;
const id = (prefix: string) => `${prefix}${String((seq += 1)).padStart(6, '0')}`;
// A time that grows with seq and never wraps, so "newest first" holds whichever tests ran before.
const tick = (): string => new Date(Date.parse('2026-11-01T00:00:00.000Z') + seq).toISOString();

let table: FreshTable;

beforeAll(async () => {
  table = await freshTable();
  stores = makeDynamoStores(table.docClient, table.tableName);
  planes = makeDynamoPlaneStore(table.docClient, table.tableName);
});

/** A PlaneStore on its own client that counts the requests it sends. */
const countingPlanes = (): { planes: PlaneStore; requests: () => number } => {
  const client = new DynamoDBClient({
    endpoint: table.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let requests = 0;
  client.middlewareStack.add((next) => (args) => ((requests += 1), next(args)), { step: 'initialize' });
  return { planes: makeDynamoPlaneStore(makeDocumentClient(client), table.tableName), requests: () => requests };
};

const grant = (over: Partial<GrantRecord> & { project?: string; domain?: string } = {}): GrantRecord => {
  const { project = 'flytesnacks', domain = 'development', ...rest } = over;
  const gid = rest.id ?? id('G');
  const scope = rest.scope ?? { type: 'project-domain' as const, project, domain };
  const dataPlane = rest.dataPlane ?? 'prod';
  return {
    id: gid,
    dataPlane,
    targetKey: targetKey(dataPlane, scope),
    scope,
    resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
    status: 'pending-approval',
    requester: 'alice',
    source: 'api',
    createdAt: tick(),
    updatedAt: '2026-11-01T00:00:00Z',
    history: [{ status: 'pending-approval', at: '2026-11-01T00:00:00Z', actor: 'alice' }],
    version: 1,
    ...rest,
  };
};

const audit = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  id: id('A'),
  at: tick(),
  actor: 'alice',
  action: 'grant.submitted',
  ...over,
});

const compiled = (project: string, domain: string, policyName: string): CompiledTarget => ({
  dataPlane: 'prod',
  accountId: '123456789012',
  scope: { type: 'project-domain', project, domain },
  role: {
    name: `acme-${project}-${domain}`,
    arn: `arn:aws:iam::123456789012:role/grantplane/acme-${project}-${domain}`,
    managed: true,
    path: '/grantplane/',
    trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity' }] },
    permissionsBoundaryArn: null,
    tags: { 'managed-by': 'grantplane' },
  },
  attachedPolicyArns: ['arn:aws:iam::123456789012:policy/userflyterole'],
  policies: [
    {
      name: policyName,
      arn: `arn:aws:iam::123456789012:policy/grantplane/${policyName}`,
      path: '/grantplane/',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: ['arn:aws:s3:::b/*'],
            Condition: { StringLike: { 's3:prefix': ['a*'] } },
          },
        ],
      },
      tags: {},
    },
  ],
  uctl: {
    file: 'cluster_resource_attributes.yaml',
    yaml: 'attributes: {}\n',
    command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
  },
});

describe('DynamoDB stores: grants', () => {
  it('round-trips a grant with its audit event, and finds it by ticket', async () => {
    // Prepare
    const g = grant({
      ticket: { system: 'jira', key: 'OPS-1' },
      source: 'jira',
      justification: 'why',
      notes: [{ code: 'r9.duplicate', message: 'm' }],
    });

    // Act
    await stores.grants.createGrant(g, audit({ grantId: g.id }));

    // Assess
    expect(await stores.grants.getGrant(g.id)).toEqual(g);
    expect(await stores.grants.findGrantByTicket('jira', 'jira', 'OPS-1')).toEqual(g);
    expect(await stores.grants.findGrantByTicket('api', 'jira', 'OPS-1')).toBeNull();
    expect(await stores.grants.getGrant('nope')).toBeNull();
    const events = await stores.audit.listAudit({ grantId: g.id }, { limit: 10 });
    expect(events.items.map((e) => e.action)).toEqual(['grant.submitted']);
  });

  it('refuses a stale update with ConcurrentUpdateError and keeps the stored grant', async () => {
    // Prepare
    const g = grant();
    await stores.grants.createGrant(g, audit({ grantId: g.id }));
    const approved: GrantRecord = { ...g, status: 'approved', version: 2 };
    await stores.grants.updateGrant(approved, audit({ grantId: g.id, action: 'grant.approved' }));

    // Act: another writer still holding version 1
    const stale: GrantRecord = { ...g, status: 'rejected', version: 2 };
    const attempt = await failure(stores.grants.updateGrant(stale, audit({ grantId: g.id, action: 'grant.rejected' })));

    // Assess
    expect(attempt).toBeInstanceOf(ConcurrentUpdateError);
    expect((await stores.grants.getGrant(g.id))?.status).toBe('approved');
    const actions = (await stores.audit.listAudit({ grantId: g.id }, { limit: 10 })).items.map((e) => e.action);
    expect(actions).toEqual(['grant.approved', 'grant.submitted']); // the failed transaction left no audit
  });

  it('pages a listing with opaque cursors, newest first, without loss or repeats', async () => {
    // Prepare: 25 grants of one source
    const created: GrantRecord[] = [];
    for (let i = 0; i < 25; i += 1) {
      const g = grant({ source: 'paging-repo' });
      await stores.grants.createGrant(g, audit({ grantId: g.id }));
      created.push(g);
    }

    // Act
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await stores.grants.listGrants(
        { source: 'paging-repo' },
        { limit: 10, ...(cursor ? { cursor } : {}) },
      );
      expect(page.items.length).toBeLessThanOrEqual(10);
      seen.push(...page.items.map((g) => g.id));
      cursor = page.nextCursor;
      if (cursor) cursors.push(cursor);
    } while (cursor !== undefined);

    // Assess
    expect(seen).toEqual(created.map((g) => g.id).reverse());
    expect(cursors.length).toBe(2);
    for (const c of cursors) expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('lists by project-domain, status, source and domain through the indexes, combining filters', async () => {
    // Prepare
    const statuses: GrantStatus[] = ['pending-approval', 'approved', 'rejected'];
    const made: GrantRecord[] = [];
    for (const project of ['alpha', 'beta']) {
      for (const domain of ['development', 'production']) {
        for (const status of statuses) {
          const g = grant({ project, domain, status, source: project === 'alpha' ? 'repo-a' : 'api' });
          await stores.grants.createGrant(g, audit({ grantId: g.id }));
          made.push(g);
        }
      }
    }
    const global = grant({ scope: { type: 'global' }, status: 'approved', source: 'repo-a' });
    await stores.grants.createGrant(global, audit({ grantId: global.id }));
    const ids = (items: GrantRecord[]) => items.map((g) => g.id).sort();
    const expected = (pred: (g: GrantRecord) => boolean) => ids(made.filter(pred));
    const project = (g: GrantRecord) => (g.scope.type === 'project-domain' ? g.scope.project : undefined);
    const domain = (g: GrantRecord) => (g.scope.type === 'project-domain' ? g.scope.domain : undefined);

    // Act + Assess
    const list = async (filter: Parameters<GrantStore['listGrants']>[0]) =>
      ids((await stores.grants.listGrants(filter, { limit: 100 })).items);
    expect(await list({ project: 'alpha', domain: 'production' })).toEqual(
      expected((g) => project(g) === 'alpha' && domain(g) === 'production'),
    );
    expect(await list({ project: 'beta' })).toEqual(expected((g) => project(g) === 'beta'));
    expect(await list({ project: 'beta', status: 'approved' })).toEqual(
      expected((g) => project(g) === 'beta' && g.status === 'approved'),
    );
    expect(await list({ source: 'repo-a' })).toEqual([...expected((g) => g.source === 'repo-a'), global.id].sort());
    expect(await list({ source: 'repo-a', status: 'rejected' })).toEqual(
      expected((g) => g.source === 'repo-a' && g.status === 'rejected'),
    );
    const approvedAll = await list({ status: 'approved' });
    expect(approvedAll).toEqual(expect.arrayContaining([...expected((g) => g.status === 'approved'), global.id]));
    const prodDomain = await list({ domain: 'production', source: 'api' });
    expect(prodDomain).toEqual(expected((g) => domain(g) === 'production' && g.source === 'api'));
  });

  it('fills a filtered page across index pages and its cursor resumes after the last item', async () => {
    // Prepare: 12 grants of one project, every third one rejected
    const rejected: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const status: GrantStatus = i % 3 === 0 ? 'rejected' : 'pending-approval';
      const g = grant({ project: 'gamma', status });
      await stores.grants.createGrant(g, audit({ grantId: g.id }));
      if (status === 'rejected') rejected.unshift(g.id);
    }

    // Act
    const first = await stores.grants.listGrants({ project: 'gamma', status: 'rejected' }, { limit: 2 });
    const second = await stores.grants.listGrants(
      { project: 'gamma', status: 'rejected' },
      { limit: 2, cursor: first.nextCursor ?? '' },
    );

    // Assess
    expect(first.items.map((g) => g.id)).toEqual(rejected.slice(0, 2));
    expect(second.items.map((g) => g.id)).toEqual(rejected.slice(2, 4));
  });

  it('rejects a cursor it did not issue with BadRequestError on `cursor`', async () => {
    const other = await stores.grants.listGrants({ source: 'paging-repo' }, { limit: 1 });
    await expect(stores.grants.listGrants({}, { limit: 5, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(
      stores.grants.listGrants({ status: 'approved' }, { limit: 5, cursor: other.nextCursor ?? '' }),
    ).rejects.toMatchObject({
      violations: [{ path: 'cursor', code: 'cursor.invalid' }],
    });
  });
});

describe('DynamoDB PlaneStore: units, snapshots and targets', () => {
  it('keeps each unit’s members and the unit and plane versions in step with grant statuses', async () => {
    // Prepare
    const plane = 'snap';
    const a = grant({ dataPlane: plane, status: 'approved' });
    const b = grant({ dataPlane: plane });
    const g = grant({ dataPlane: plane, status: 'approved', scope: { type: 'global' } });
    await stores.grants.createGrant(a, audit());
    await stores.grants.createGrant(b, audit());
    const afterCreate = await planes.getPlaneSnapshot(plane);

    // Act: b approved, a revoking, then a no-membership change (approved → active), a revoked, a global grant
    await stores.grants.updateGrant({ ...b, status: 'approved', version: 2 }, audit(), {
      previousStatus: 'pending-approval',
    });
    await stores.grants.updateGrant({ ...a, status: 'revoking', version: 2 }, audit(), { previousStatus: 'approved' });
    const mid = await planes.getPlaneSnapshot(plane);
    await stores.grants.updateGrant({ ...b, status: 'active', version: 3 }, audit(), { previousStatus: 'approved' });
    await stores.grants.updateGrant({ ...a, status: 'revoked', version: 3 }, audit(), { previousStatus: 'revoking' });
    const end = await planes.getPlaneSnapshot(plane);
    await stores.grants.createGrant(g, audit());
    const unit = await planes.getUnitSnapshot(plane, 'NS#flytesnacks-development');

    // Assess: members are the desired and revoking grants; only desired-set changes bump versions
    expect(afterCreate.grants.map((x) => x.id)).toEqual([a.id]);
    expect(afterCreate.version).toBe(1);
    expect(mid.grants.map((x) => [x.id, x.status])).toEqual([
      [a.id, 'revoking'],
      [b.id, 'approved'],
    ]);
    expect(mid.version).toBe(3);
    expect(end.version).toBe(3);
    expect(end.grants.map((x) => [x.id, x.status])).toEqual([[b.id, 'active']]);
    expect(end.units).toEqual([
      {
        dataPlane: plane,
        unit: 'NS#flytesnacks-development',
        version: 3,
        compiled: 0,
        targetKeys: ['snap#flytesnacks#development'],
        refused: {},
        // Written with no room given for inline copies: the members partition serves the unit.
        inline: { complete: false, room: 0, members: [] },
      },
    ]);
    expect(unit.grants.map((x) => x.id)).toEqual([b.id, g.id].sort());
    expect([unit.unit.version, unit.global.version]).toEqual([3, 1]);
    expect(await planes.getUnits(plane, ['NS#nobody-here'])).toEqual([
      {
        dataPlane: plane,
        unit: 'NS#nobody-here',
        version: 0,
        compiled: 0,
        targetKeys: [],
        refused: {},
        inline: { complete: true, room: MAX_INLINE_BYTES, members: [] },
      },
    ]);
    expect((await stores.grants.getGrants([a.id, b.id, 'missing'])).map((x) => x.status).sort()).toEqual([
      'active',
      'revoked',
    ]);
  });

  it('writes desired targets guarded by the plane version, or by the unit and global versions, keeping applied fields', async () => {
    // Prepare
    const plane = 'prod';
    const g = grant({ dataPlane: plane, status: 'approved', project: 'tgt', domain: 'development' });
    await stores.grants.createGrant(g, audit());
    const snapshot = await planes.getPlaneSnapshot(plane);
    const key = targetKey(plane, { type: 'project-domain', project: 'tgt', domain: 'development' });
    const scope = { type: 'project-domain' as const, project: 'tgt', domain: 'development' };
    const unit = 'NS#tgt-development';
    const at = '2026-11-01T00:00:00Z';
    const planeGuard = { kind: 'plane' as const, version: snapshot.version };

    // Act
    await planes.writeDesiredTargets(
      plane,
      planeGuard,
      [
        {
          targetKey: key,
          scope,
          desired: compiled('tgt', 'development', 'p1'),
          expectedDesiredVersion: 0,
          updatedAt: at,
        },
      ],
      [{ unit, version: 1, refused: { [g.id]: 'quota.policies-per-role: no room' } }],
    );
    const marked = await planes.getUnits(plane, [unit]);
    const written = await stores.targets.getTarget(key);
    // the applier records what it applied (conditional on the desired version it applied)
    if (written === null) throw new Error('target missing');
    await stores.targets.putTarget({ ...written, appliedVersion: 1, state: 'applied', lastAppliedAt: at }, 1);
    const staleTarget = await failure(
      planes.writeDesiredTargets(
        plane,
        planeGuard,
        [{ targetKey: key, scope, desired: null, expectedDesiredVersion: 0, updatedAt: at }],
        [],
      ),
    );
    await stores.grants.createGrant(grant({ dataPlane: plane, status: 'approved' }), audit()); // plane moves on
    const stalePlane = await failure(
      planes.writeDesiredTargets(
        plane,
        planeGuard,
        [{ targetKey: key, scope, desired: null, expectedDesiredVersion: 1, updatedAt: at }],
        [],
      ),
    );
    // a unit write stands while its unit and the global unit stand, whatever else the plane does
    const [global] = await planes.getUnits(plane, ['GLOBAL']);
    const unitGuard = { kind: 'unit' as const, unit, version: 1, globalVersion: global?.version ?? 0 };
    await planes.writeDesiredTargets(
      plane,
      unitGuard,
      [
        {
          targetKey: key,
          scope,
          desired: compiled('tgt', 'development', 'p2'),
          expectedDesiredVersion: 1,
          updatedAt: at,
        },
      ],
      [{ unit, version: 1, refused: {} }],
    );
    await stores.grants.createGrant(
      grant({ dataPlane: plane, status: 'approved', scope: { type: 'global' } }),
      audit(),
    );
    const staleGlobal = await failure(
      planes.writeDesiredTargets(plane, unitGuard, [], [{ unit, version: 1, refused: {} }]),
    );
    const unmarked = await failure(planes.writeDesiredTargets(plane, unitGuard, [], []));

    // Assess
    expect(marked[0]).toMatchObject({
      version: 1,
      compiled: 1,
      refused: { [g.id]: 'quota.policies-per-role: no room' },
    });
    expect(staleTarget).toBeInstanceOf(ConcurrentUpdateError);
    expect(stalePlane).toBeInstanceOf(ConcurrentUpdateError);
    expect(staleGlobal).toBeInstanceOf(ConcurrentUpdateError);
    expect(unmarked).toBeInstanceOf(Error);
    const end = await stores.targets.getTarget(key);
    expect(end).toMatchObject({ desiredVersion: 2, appliedVersion: 1, state: 'pending', lastAppliedAt: at });
    expect(end?.desired).toEqual(compiled('tgt', 'development', 'p2'));
    expect((await planes.getUnits(plane, [unit]))[0]).toMatchObject({ compiled: 1, refused: {} });
    expect((await stores.targets.listTargets(plane)).map((t) => t.targetKey)).toContain(key);
    expect((await stores.targets.listTargets()).map((t) => t.targetKey)).toContain(key);
    expect((await planes.getPlaneSnapshot(plane)).targets.map((t) => t.targetKey)).toContain(key);
    expect((await planes.getUnitSnapshot(plane, unit)).targets.map((t) => t.targetKey)).toEqual([key]);
    await expect(stores.targets.putTarget({ ...end!, appliedVersion: 2 }, 1)).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );
  });
});

describe('DynamoDB PlaneStore: inline copies of a unit’s desired grants', () => {
  const pair = { project: 'inl', domain: 'development' };
  const unit = 'NS#inl-development';
  const roomOf = async (plane: string, name = unit) =>
    (await planes.getDesiredGrants(plane, [name], [])).units[0]!.inline!.room;
  /** What a store without inline copies wrote for a grant entering the desired set: its member and the unit's version. */
  const writeAsOldStore = async (plane: string, desired: GrantRecord) => {
    await table.docClient.send(new PutCommand({ TableName: table.tableName, Item: memberItem(desired, unit) }));
    await table.docClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.unit(plane, unit),
        UpdateExpression: 'SET #type = :type, dataPlane = :plane, #unit = :unit ADD version :one',
        ExpressionAttributeNames: { '#type': 'type', '#unit': 'unit' },
        ExpressionAttributeValues: { ':type': 'unit', ':plane': plane, ':unit': unit, ':one': 1 },
      }),
    );
  };

  it('keeps the copies exact through every change of the desired set, and reads them with the attributes in one request', async () => {
    // Prepare
    const plane = 'inl1';
    const a = grant({ dataPlane: plane, ...pair, status: 'approved', justification: 'features' });
    const b = grant({ dataPlane: plane, ...pair, ticket: { system: 'jira', key: 'OPS-1' } });
    const g = grant({ dataPlane: plane, scope: { type: 'global' }, status: 'approved' });

    // Act: a desired at once, b pending then approved, a active (no change) then revoking, attributes imported
    await stores.grants.createGrant(a, audit(), { inlineRoom: MAX_INLINE_BYTES });
    await stores.grants.createGrant(b, audit(), { inlineRoom: await roomOf(plane) });
    await stores.grants.createGrant(g, audit(), { inlineRoom: MAX_INLINE_BYTES });
    await stores.grants.updateGrant({ ...b, status: 'approved', version: 2 }, audit(), {
      previousStatus: 'pending-approval',
      inlineRoom: await roomOf(plane),
    });
    const both = await planes.getDesiredGrants(plane, [unit], []);
    await stores.grants.updateGrant({ ...a, status: 'active', version: 2 }, audit(), { previousStatus: 'approved' });
    await stores.grants.updateGrant({ ...a, status: 'revoking', version: 3 }, audit(), { previousStatus: 'active' });
    const record = {
      dataPlane: plane,
      ...pair,
      attributes: { projectQuotaCpu: '64' },
      importedAt: 'now',
      importedBy: 'root',
    };
    await stores.attributes.putAttributes(record, audit());
    const counted = countingPlanes();
    const read = await counted.planes.getDesiredGrants(plane, ['GLOBAL', unit], [pair]);
    const forSubmit = counted.requests();
    const snapshot = await counted.planes.getUnitSnapshot(plane, unit);

    // Assess: the copies are the request as stored; one BatchGetItem served units, grants and attributes
    expect(both.grants.map((x) => x.id)).toEqual([a.id, b.id]);
    expect(both.grants[0]).toEqual({
      id: a.id,
      dataPlane: plane,
      targetKey: a.targetKey,
      scope: a.scope,
      resource: a.resource,
      justification: 'features',
    });
    expect(forSubmit).toBe(1);
    // A unit recompute reads the units, then their targets, attributes and hold: the copies spare it the member queries
    expect(counted.requests() - forSubmit).toBe(2);
    expect(snapshot.grants).toEqual(read.grants);
    expect(read.grants).toEqual([
      { id: b.id, dataPlane: plane, targetKey: b.targetKey, scope: b.scope, resource: b.resource, ticket: b.ticket },
      { id: g.id, dataPlane: plane, targetKey: g.targetKey, scope: g.scope, resource: g.resource },
    ]);
    expect(read.attributes).toEqual([record]);
    expect(read.units.map((state) => [state.unit, state.version, state.inline?.complete])).toEqual([
      ['GLOBAL', 1, true],
      [unit, 4, true],
    ]);
    expect(read.units[1]!.inline!.room).toBeLessThan(MAX_INLINE_BYTES);
    expect(await planes.getDesiredGrants(plane, ['NS#nobody-here'], [])).toEqual({
      units: [expect.objectContaining({ version: 0, inline: { complete: true, room: MAX_INLINE_BYTES, members: [] } })],
      grants: [],
      attributes: [],
    });
  });

  it('reads a unit from its members while its copies are behind (no room, or a writer without copies), until the repair pass writes them afresh', async () => {
    // Prepare: a desired without a copy (no room given), b written as a store without copies writes
    const plane = 'inl2';
    const a = grant({ dataPlane: plane, ...pair, status: 'approved' });
    const b = grant({ dataPlane: plane, ...pair, status: 'active' });
    const r = grant({ dataPlane: plane, ...pair, status: 'revoking' });
    await stores.grants.createGrant(a, audit());
    await stores.grants.createGrant(r, audit(), { inlineRoom: MAX_INLINE_BYTES });
    await writeAsOldStore(plane, b);

    // Act
    const behind = await planes.getDesiredGrants(plane, [unit], [pair]);
    const snapshot = await planes.getPlaneSnapshot(plane);
    const completed = await planes.completeInlineMembers(plane, snapshot.units, snapshot.grants);
    const again = await planes.completeInlineMembers(
      plane,
      (await planes.getPlaneSnapshot(plane)).units,
      snapshot.grants,
    );
    const counted = countingPlanes();
    const after = await counted.planes.getDesiredGrants(plane, [unit], [pair]);

    // Assess: the same desired grants either way (the revoking one is not desired); one request once completed
    expect(behind.units[0]!.inline).toMatchObject({ complete: false, room: 0 });
    expect(behind.grants.map((x) => x.id)).toEqual([a.id, b.id]);
    expect([completed, again]).toEqual([1, 0]);
    expect(after.grants).toEqual(behind.grants);
    expect(after.units[0]!.inline!.complete).toBe(true);
    expect(counted.requests()).toBe(1);
  });

  it('reads the same desired grants inline as from the members, whatever sequence of changes, old-style writes and repair passes came before (property)', async () => {
    type Op =
      | { kind: 'create'; desired: boolean; room: boolean }
      | { kind: 'approve' | 'activate' | 'revoke' | 'finish'; which: number }
      | { kind: 'old-writer'; which: number }
      | { kind: 'repair' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), desired: fc.boolean(), room: fc.boolean() }),
      fc.record({
        kind: fc.constantFrom('approve' as const, 'activate' as const, 'revoke' as const, 'finish' as const),
        which: fc.nat(5),
      }),
      fc.record({ kind: fc.constant('old-writer' as const), which: fc.nat(5) }),
      fc.constant({ kind: 'repair' as const }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        // Prepare: a plane of its own per run
        const plane = `prop${(run += 1)}`;
        const grants: GrantRecord[] = [];
        const stored = async (index: number) => (await stores.grants.getGrant(grants[index]!.id))!;
        const move = async (index: number, status: GrantStatus, inlineRoom = 0) => {
          const current = await stored(index);
          await stores.grants.updateGrant({ ...current, status, version: current.version + 1 }, audit(), {
            previousStatus: current.status,
            inlineRoom,
          });
        };
        // Act
        for (const each of ops) {
          const room = await roomOf(plane);
          const which = each.kind === 'create' || each.kind === 'repair' ? -1 : each.which % Math.max(1, grants.length);
          const status = which < 0 || grants.length === 0 ? undefined : (await stored(which)).status;
          if (each.kind === 'create') {
            const created = grant({
              dataPlane: plane,
              ...pair,
              status: each.desired ? 'approved' : 'pending-approval',
            });
            grants.push(created);
            await stores.grants.createGrant(created, audit(), { inlineRoom: each.room ? room : 0 });
          } else if (each.kind === 'repair') {
            const snapshot = await planes.getPlaneSnapshot(plane);
            await planes.completeInlineMembers(plane, snapshot.units, snapshot.grants);
          } else if (status === undefined) {
            continue;
          } else if (each.kind === 'approve' && status === 'pending-approval') await move(which, 'approved', room);
          else if (each.kind === 'activate' && status === 'approved') await move(which, 'active');
          else if (each.kind === 'revoke' && ['approved', 'active', 'failed'].includes(status))
            await move(which, 'revoking');
          else if (each.kind === 'finish' && status === 'revoking') await move(which, 'revoked');
          else if (each.kind === 'old-writer' && status === 'pending-approval') {
            // What a store without inline copies wrote: the member and the version, nothing inline.
            const current = await stored(which);
            const next = { ...current, status: 'approved' as const, version: current.version + 1 };
            await writeAsOldStore(plane, next);
            await stores.grants.updateGrant(next, audit(), { previousStatus: 'approved' });
          }
        }
        const read = await planes.getDesiredGrants(plane, [unit], []);
        const members = (await planes.getMembers(plane, unit)).filter((x) =>
          ['approved', 'active', 'failed'].includes(x.status),
        );

        // Assess: the desired grants are the members' desired ones; complete copies are exactly those
        expect(read.grants.map((x) => x.id)).toEqual(members.map((x) => x.id));
        if (read.units[0]!.inline!.complete)
          expect(read.units[0]!.inline!.members.map((x) => x.id)).toEqual(members.map((x) => x.id));
      }),
      { numRuns: 60 },
    );
  });

  it('stops taking copies when the item is full, and the repair pass leaves a unit too large for its item to its members', async () => {
    // Prepare: copies of about 2 KB each, more of them than the item may carry
    const plane = 'inl3';
    const big = (n: number) =>
      grant({ dataPlane: plane, ...pair, status: 'approved', justification: `${n} ${'x'.repeat(2_000)}` });
    const grants = Array.from({ length: Math.ceil(MAX_INLINE_BYTES / 2_000) + 2 }, (_, n) => big(n));

    // Act: each created with the room the unit had when read
    for (const each of grants) await stores.grants.createGrant(each, audit(), { inlineRoom: await roomOf(plane) });
    const read = await planes.getDesiredGrants(plane, [unit], []);
    const snapshot = await planes.getPlaneSnapshot(plane);
    const completed = await planes.completeInlineMembers(plane, snapshot.units, snapshot.grants);

    // Assess: every grant is read, from the members partition; the item kept within its budget
    expect(read.units[0]!.inline!.complete).toBe(false);
    expect(read.grants.map((x) => x.id)).toEqual(grants.map((x) => x.id));
    expect(completed).toBe(0);
    expect(read.units[0]!.inline!.members.length).toBeLessThan(grants.length);
  });
});

describe('DynamoDB TargetStore: pages', () => {
  it('serves a page of targets in key order reading at most limit + 1 items, for one plane or all', async () => {
    // Prepare: a table of its own, its client counting the items each request read
    const table = await freshTable();
    let read = 0;
    table.client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        read += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
        return result;
      },
      { step: 'initialize', name: 'countScanned' },
    );
    const own = makeDynamoStores(table.docClient, table.tableName).targets;
    const put = async (plane: string, project: string) => {
      const scope = { type: 'project-domain' as const, project, domain: 'development' };
      await own.putTarget(
        {
          targetKey: targetKey(plane, scope),
          dataPlane: plane,
          scope,
          desired: compiled(project, 'development', `gp-${project}`),
          desiredVersion: 1,
          appliedVersion: 0,
          state: 'pending',
          updatedAt: '2026-11-01T00:00:00Z',
        },
        0,
      );
    };
    for (let i = 0; i < 30; i += 1) await put('big', `p${String(i).padStart(2, '0')}`);
    for (const project of ['a', 'b']) await put('small', project);

    // Act: walk the big plane three at a time, and every plane four at a time
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      read = 0;
      const page = await own.pageTargets('big', { limit: 3, ...(after === undefined ? {} : { after }) });
      expect(read).toBeLessThanOrEqual(4);
      pages.push(page.items.map((target) => target.targetKey));
      after = page.more ? page.items[page.items.length - 1]?.targetKey : undefined;
    } while (after !== undefined);
    const everyPlane: string[] = [];
    after = undefined;
    do {
      read = 0;
      const page = await own.pageTargets(undefined, { limit: 4, ...(after === undefined ? {} : { after }) });
      expect(read).toBeLessThanOrEqual(5);
      everyPlane.push(...page.items.map((target) => target.targetKey));
      after = page.more ? page.items[page.items.length - 1]?.targetKey : undefined;
    } while (after !== undefined);

    // Assess: every target once, in key order, pages of the size asked for
    expect(pages).toHaveLength(10);
    expect(pages.flat()).toEqual(
      Array.from({ length: 30 }, (_, i) => `big#p${String(i).padStart(2, '0')}#development`),
    );
    expect(everyPlane).toEqual([...pages.flat(), 'small#a#development', 'small#b#development']);
  });
});

describe('DynamoDB stores: attributes, updates, audit, deliveries, drift, sources', () => {
  it('stores imported attributes in the plane snapshot and bumps the pair’s unit and the plane version', async () => {
    const before = await planes.getPlaneSnapshot('attrs');
    const record = {
      dataPlane: 'attrs',
      project: 'p',
      domain: 'd',
      attributes: { projectQuotaCpu: '64' },
      importedAt: 'now',
      importedBy: 'root',
    };
    await stores.attributes.putAttributes(record, audit({ actor: 'root', action: 'attributes.imported' }));
    const after = await planes.getPlaneSnapshot('attrs');
    expect(after.version).toBe(before.version + 1);
    expect(after.units.map((unit) => [unit.unit, unit.version, unit.targetKeys])).toEqual([
      ['NS#p-d', 1, ['attrs#p#d']],
    ]);
    expect((await planes.getUnitSnapshot('attrs', 'NS#p-d')).attributes).toEqual([record]);
    expect(after.attributes).toEqual([record]);
    expect(await stores.attributes.getAttributes('attrs', 'p', 'd')).toEqual(record);
    expect(await stores.attributes.listAttributes('attrs')).toEqual([record]);
  });

  it('lists attribute updates by status, finds the latest of a pair, and acknowledges once', async () => {
    const update = (n: number, status: AttributeUpdate['status'] = 'pending'): AttributeUpdate => ({
      id: id('U'),
      dataPlane: 'prod',
      project: 'flytesnacks',
      domain: 'production',
      roleArn: null,
      yaml: `n: ${n}\n`,
      command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
      contentHash: `h${n}`,
      status,
      createdAt: `2026-11-0${n}T00:00:00Z`,
    });
    const u1 = update(1);
    const u2 = update(2);
    await stores.attributes.createAttributeUpdate(u1);
    await stores.attributes.createAttributeUpdate(u2);

    const acked = await stores.attributes.acknowledgeAttributeUpdate(
      u1.id,
      'root',
      '2026-11-03T00:00:00Z',
      audit({ actor: 'root' }),
    );
    await expect(stores.attributes.acknowledgeAttributeUpdate(u1.id, 'root', 'later', audit())).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );

    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'root' });
    expect((await stores.attributes.latestAttributeUpdate('prod', 'flytesnacks', 'production'))?.id).toBe(u2.id);
    expect((await stores.attributes.listAttributeUpdates('pending', { limit: 10 })).items.map((u) => u.id)).toEqual([
      u2.id,
    ]);
    expect(
      (await stores.attributes.listAttributeUpdates('acknowledged', { limit: 10 })).items.map((u) => u.id),
    ).toEqual([u1.id]);
    expect((await stores.attributes.listAttributeUpdates(undefined, { limit: 10 })).items.map((u) => u.id)).toEqual([
      u2.id,
      u1.id,
    ]);
  });

  it('lists audit events by target and actor, newest first', async () => {
    const e1 = audit({ actor: 'auditor-x', targetKey: 'prod#a#b', at: '2026-11-05T00:00:00Z' });
    const e2 = audit({ actor: 'auditor-x', targetKey: 'prod#a#b', at: '2026-11-06T00:00:00Z' });
    const e3 = audit({ actor: 'auditor-y', targetKey: 'prod#a#b', at: '2026-11-07T00:00:00Z' });
    for (const e of [e1, e2, e3]) await stores.audit.appendAudit(e);
    expect((await stores.audit.listAudit({ targetKey: 'prod#a#b' }, { limit: 10 })).items.map((e) => e.id)).toEqual([
      e3.id,
      e2.id,
      e1.id,
    ]);
    expect(
      (await stores.audit.listAudit({ targetKey: 'prod#a#b', actor: 'auditor-x' }, { limit: 10 })).items.map(
        (e) => e.id,
      ),
    ).toEqual([e2.id, e1.id]);
    expect((await stores.audit.listAudit({ actor: 'auditor-y' }, { limit: 10 })).items).toEqual([e3]);
  });

  it('remembers a webhook delivery until its TTL passes', async () => {
    const record = {
      source: 'jira',
      deliveryId: 'd-1',
      at: '2026-11-01T00:00:00Z',
      result: { status: 201, body: { id: 'G1' } },
    };
    await stores.deliveries.rememberDelivery(record, 3600);
    expect(await stores.deliveries.getDelivery('jira', 'd-1', new Date('2026-11-01T00:30:00Z'))).toEqual(record);
    expect(await stores.deliveries.getDelivery('jira', 'd-1', new Date('2026-11-01T01:00:01Z'))).toBeNull();
    expect(await stores.deliveries.getDelivery('generic', 'd-1', new Date('2026-11-01T00:30:00Z'))).toBeNull();
  });

  it('returns the latest drift report, and sources round-trip', async () => {
    expect(await stores.driftReports.getLatestDriftReport()).toBeNull();
    await stores.driftReports.putDriftReport(
      { id: 'r1', checkedAt: '2026-11-01T00:00:00Z', report: { targets: [] } },
      86400,
    );
    await stores.driftReports.putDriftReport(
      { id: 'r2', checkedAt: '2026-11-01T00:15:00Z', report: { targets: [{ status: 'in-sync' }] } },
      86400,
    );
    expect(await stores.driftReports.getLatestDriftReport()).toEqual({
      id: 'r2',
      checkedAt: '2026-11-01T00:15:00Z',
      report: { targets: [{ status: 'in-sync' }] },
    });
    const source = { name: 'grants-repo', createdAt: 'c', updatedAt: 'u', lastRevision: 'abc123' };
    await stores.sources.putSource(source);
    expect(await stores.sources.getSource('grants-repo')).toEqual(source);
    expect(await stores.sources.getSource('other')).toBeNull();
  });
});

describe('DynamoDB stores: stream', () => {
  it('puts each desired-target write on the table stream as a `type = target` image the applier can parse', async () => {
    // Prepare: a table of its own so the stream holds only this test's writes
    const { client, docClient, tableName, endpoint } = await freshTable();
    const own = makeDynamoPlaneStore(docClient, tableName);
    const scope = { type: 'project-domain' as const, project: 'strm', domain: 'development' };
    const key = targetKey('prod', scope);

    // Act
    await own.writeDesiredTargets(
      'prod',
      { kind: 'plane', version: 0 },
      [
        {
          targetKey: key,
          scope,
          desired: compiled('strm', 'development', 'p1'),
          expectedDesiredVersion: 0,
          updatedAt: 'now',
        },
      ],
      [],
    );
    const streams = new DynamoDBStreamsClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: table.Table?.LatestStreamArn ?? '' }));
    const images: unknown[] = [];
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      const iterator = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: table.Table?.LatestStreamArn ?? '',
          ShardId: shard.ShardId ?? '',
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const records = await streams.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator ?? '' }));
      for (const record of records.Records ?? []) {
        const image = record.dynamodb?.NewImage;
        if (image !== undefined) images.push(targetFromItem(unmarshall(image)));
      }
    }
    streams.destroy();

    // Assess
    expect(images).toEqual([await makeDynamoStores(docClient, tableName).targets.getTarget(key)]);
    expect(images[0]).toMatchObject({ desiredVersion: 1, appliedVersion: 0, state: 'pending' });
  });
});
