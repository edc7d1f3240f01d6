// Cluster resource attributes (docs/rules.md C5, docs/api.md) and target views, on DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgeAttributeUpdate,
  importAttributes,
  listAttributeUpdates,
  parseUctlAttributes,
} from '../../lib/app/attributes.js';
import { approveGrant, submitGrant } from '../../lib/app/grants.js';
import { getTarget as getAnyTarget, listTargets, type TargetView } from '../../lib/app/targets.js';
import { BadRequestError, NotFoundError, ValidationError } from '../../lib/domain/errors.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { AttributeUpdate } from '../../lib/domain/records.js';
import { appDeps } from '../helpers/dynamo.js';
import { failure } from '../helpers/failure.js';

/** An AWS plane's target (these tests' planes are all AWS). */
const getTarget = async (...args: Parameters<typeof getAnyTarget>) => (await getAnyTarget(...args)) as TargetView;

let deps: Awaited<ReturnType<typeof appDeps>>;
const admin: Identity = { sub: 'root', roles: ['admin'] };
const alice: Identity = { sub: 'alice', roles: ['requester'] };

/** An auto-approved development grant of `project`: it gives the pair a target. */
const autoApproved = (project: string, on = deps) =>
  submitGrant(on, {
    request: {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project, domain: 'development' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
    },
    actor: alice,
  });

beforeAll(async () => {
  deps = await appDeps();
});

describe('parseUctlAttributes', () => {
  it('reads the YAML and JSON uctl prints, and values as strings', async () => {
    const yaml =
      'attributes:\n  projectQuotaCpu: 64\n  projectQuotaMemory: "256Gi"\ndomain: production\nproject: flytesnacks\n';
    expect(await parseUctlAttributes(yaml)).toEqual({
      attributes: { projectQuotaCpu: '64', projectQuotaMemory: '256Gi' },
      project: 'flytesnacks',
      domain: 'production',
    });
    expect(await parseUctlAttributes({ attributes: { gpu: true } })).toEqual({ attributes: { gpu: 'true' } });
    await expect(parseUctlAttributes('attributes: [1, 2')).rejects.toThrow(BadRequestError);
    await expect(parseUctlAttributes({ attributes: { nested: { no: 1 } } })).rejects.toThrow(BadRequestError);
  });
});

describe('importAttributes', () => {
  it("keeps imported attributes in the pair's uctl file and bumps the target once per change", async () => {
    // Prepare: an auto-approved grant gives the pair a target
    await autoApproved('attr');
    const before = await getTarget(deps, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'attr', domain: 'development' },
    });

    // Act
    const body = 'attributes:\n  projectQuotaCpu: "16"\ndomain: development\nproject: attr\n';
    const first = await importAttributes(deps, {
      dataPlane: 'prod',
      project: 'attr',
      domain: 'development',
      body,
      actor: admin,
    });
    const again = await importAttributes(deps, {
      dataPlane: 'prod',
      project: 'attr',
      domain: 'development',
      body,
      actor: admin,
    });

    // Assess
    expect(before.desired?.uctl?.yaml).not.toContain('projectQuotaCpu');
    expect(first.record).toMatchObject({ attributes: { projectQuotaCpu: '16' }, importedBy: 'root' });
    expect(first.recompute.changed).toEqual(['prod#attr#development']);
    expect(again.recompute.changed).toEqual([]);
    const after = await getTarget(deps, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'attr', domain: 'development' },
    });
    expect(after.desired?.uctl?.yaml).toContain('projectQuotaCpu: "16"');
    expect(after.desired?.uctl?.yaml).toContain('defaultUserRoleValue');
    expect(after.desiredVersion).toBe(before.desiredVersion + 1);
    const audit = await deps.audit.listAudit({ targetKey: 'prod#attr#development' }, { limit: 5 });
    expect(audit.items[0]).toMatchObject({ action: 'attributes.imported', actor: 'root' });
  });

  it('refuses unknown planes (404), unknown domains (422) and a body for another pair (400)', async () => {
    const body = { attributes: { a: '1' } };
    expect(
      await failure(
        importAttributes(deps, { dataPlane: 'nope', project: 'p', domain: 'development', body, actor: admin }),
      ),
    ).toBeInstanceOf(NotFoundError);
    expect(
      await failure(importAttributes(deps, { dataPlane: 'prod', project: 'p', domain: 'qa', body, actor: admin })),
    ).toBeInstanceOf(ValidationError);
    const mismatch = { attributes: { a: '1' }, project: 'other', domain: 'development' };
    expect(
      await failure(
        importAttributes(deps, {
          dataPlane: 'prod',
          project: 'p',
          domain: 'development',
          body: mismatch,
          actor: admin,
        }),
      ),
    ).toBeInstanceOf(BadRequestError);
  });
});

describe('targets', () => {
  // Two targets of their own (a global one, approved, and an auto-approved pair), so these tests
  // hold whichever tests ran before them
  beforeAll(async () => {
    const grant = await submitGrant(deps, {
      request: {
        dataPlane: 'prod',
        scope: { type: 'global' },
        resource: { type: 's3', bucket: 'acme-shared', access: 'read' },
      },
      actor: alice,
    });
    await approveGrant(deps, { id: grant.id, actor: { sub: 'bob', roles: ['approver'] } });
    await autoApproved('listed');
  });

  it('lists targets with their desired and applied versions, and 404s an unknown target', async () => {
    const all = await listTargets(deps);
    const prod = await listTargets(deps, { dataPlane: 'prod' });
    const global = await getTarget(deps, { dataPlane: 'prod', scope: { type: 'global' } });

    expect(all.items.map((t) => t.targetKey)).toEqual(
      expect.arrayContaining(['prod#global', 'prod#listed#development']),
    );
    expect(prod.items.map((t) => t.targetKey)).toEqual([...prod.items.map((t) => t.targetKey)].sort());
    expect(global).toMatchObject({ targetKey: 'prod#global', appliedVersion: 0, uctlUpdate: null });
    expect(global.desired?.role.managed).toBe(false);
    expect(
      await failure(
        getTarget(deps, { dataPlane: 'prod', scope: { type: 'project-domain', project: 'none', domain: 'staging' } }),
      ),
    ).toBeInstanceOf(NotFoundError);
  });
  it('pages targets like every list: {items, nextCursor}, limit ≤ 100 (docs/api.md)', async () => {
    const all = await listTargets(deps);
    expect(all.items.length).toBeGreaterThanOrEqual(2);
    expect(all.nextCursor).toBeUndefined();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listTargets(deps, {}, { limit: 1, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.items).toHaveLength(1);
      seen.push(...page.items.map((t) => t.targetKey));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(all.items.map((t) => t.targetKey));
    expect(await failure(listTargets(deps, {}, { limit: 101 }))).toBeInstanceOf(BadRequestError);
    expect(await failure(listTargets(deps, {}, { cursor: 'not-a-cursor' }))).toBeInstanceOf(BadRequestError);
  });

  it('answers an unknown data plane with a 404 that names it, not as a missing target', async () => {
    const error = await failure(getTarget(deps, { dataPlane: 'nope', scope: { type: 'global' } }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'data-plane.not-found' });
  });
});

describe('attribute updates', () => {
  it('lists pending updates, shows the latest on the target, and acknowledges idempotently', async () => {
    // Prepare: its own table and pair (an auto-approved grant gives it a target), so no other
    // test's updates or targets change what it lists; then the applier records an update
    const deps = await appDeps();
    await autoApproved('attr', deps);
    const update: AttributeUpdate = {
      id: 'U1',
      dataPlane: 'prod',
      project: 'attr',
      domain: 'development',
      roleArn: 'arn:aws:iam::123456789012:role/grantplane/acme-attr-development',
      yaml: 'attributes: {}\n',
      command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
      contentHash: 'h1',
      status: 'pending',
      createdAt: '2026-11-23T00:00:00Z',
    };
    await deps.attributes.createAttributeUpdate(update);

    // Act
    const pending = await listAttributeUpdates(deps, { status: 'pending' });
    const view = await getTarget(deps, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'attr', domain: 'development' },
    });
    const acked = await acknowledgeAttributeUpdate(deps, { id: 'U1', actor: admin });
    const again = await acknowledgeAttributeUpdate(deps, { id: 'U1', actor: { sub: 'other', roles: ['admin'] } });

    // Assess
    expect(pending.items.map((u) => u.id)).toEqual(['U1']);
    expect(view.uctlUpdate?.id).toBe('U1');
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'root' });
    expect(again).toEqual(acked);
    expect((await listAttributeUpdates(deps, { status: 'pending' })).items).toEqual([]);
    expect(await failure(acknowledgeAttributeUpdate(deps, { id: 'nope', actor: admin }))).toBeInstanceOf(NotFoundError);
    expect(await failure(listAttributeUpdates(deps, { limit: 0 }))).toBeInstanceOf(BadRequestError);
  });
});

describe('superseded uctl updates', () => {
  const update = (id: string, createdAt: string, roleArn: string | null): AttributeUpdate => ({
    id,
    dataPlane: 'prod',
    project: 'superseded',
    domain: 'staging',
    roleArn,
    yaml: `attributes: {}\n# ${id}\n`,
    command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
    contentHash: id,
    status: 'pending',
    createdAt,
  });

  it('lists only the newest pending update of a pair, and acknowledging it settles the older ones', async () => {
    // Prepare: the role was pointed at (S1), then the last grant went and the file dropped it (S2)
    await deps.attributes.createAttributeUpdate(
      update('S1', '2026-11-23T02:00:00Z', 'arn:aws:iam::123456789012:role/grantplane/acme-superseded-staging'),
    );
    await deps.attributes.createAttributeUpdate(update('S2', '2026-11-23T03:00:00Z', null));

    // Act
    const pending = await listAttributeUpdates(deps, { status: 'pending' });
    const acked = await acknowledgeAttributeUpdate(deps, { id: 'S2', actor: admin });

    // Assess: running S1 now would point pods at a role about to be deleted, so it is not offered
    expect(pending.items.map((u) => u.id)).toContain('S2');
    expect(pending.items.map((u) => u.id)).not.toContain('S1');
    expect(acked).toMatchObject({ id: 'S2', status: 'acknowledged' });
    expect(await deps.attributes.getAttributeUpdate('S1')).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'root',
    });
    const all = await listAttributeUpdates(deps, {});
    expect(all.items.filter((u) => u.project === 'superseded').map((u) => u.status)).toEqual([
      'acknowledged',
      'acknowledged',
    ]);
  });

  it('never acknowledges a newer update when an older one is acknowledged', async () => {
    await deps.attributes.createAttributeUpdate({ ...update('T1', '2026-11-23T04:00:00Z', null), project: 'older' });
    await deps.attributes.createAttributeUpdate({ ...update('T2', '2026-11-23T05:00:00Z', null), project: 'older' });
    await acknowledgeAttributeUpdate(deps, { id: 'T1', actor: admin });
    expect(await deps.attributes.getAttributeUpdate('T2')).toMatchObject({ status: 'pending' });
  });
});
