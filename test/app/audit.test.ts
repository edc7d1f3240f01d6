// GET /v1/audit's use case (docs/api.md, A5): audit events by grant, target or actor, newest first.
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../lib/app/audit.js';
import { approveGrant, submitGrant } from '../../lib/app/grants.js';
import { BadRequestError } from '../../lib/domain/errors.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { appDeps } from '../helpers/dynamo.js';

let deps: Awaited<ReturnType<typeof appDeps>>;
let grant: GrantRecord;
const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };

beforeAll(async () => {
  deps = await appDeps();
  grant = await submitGrant(deps, {
    request: {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
    },
    actor: alice,
  });
  deps.clock.set('2026-11-23T01:00:00.000Z');
  await approveGrant(deps, { id: grant.id, actor: bob, comment: 'fine' });
});

describe('listAudit', () => {
  it("answers a grant's events newest first", async () => {
    const page = await listAudit(deps, { grantId: grant.id });
    expect(page.items.map((event) => [event.action, event.actor])).toEqual([
      ['grant.approved', 'bob'],
      ['grant.submitted', 'alice'],
    ]);
  });

  it('filters by target and by actor', async () => {
    const byTarget = await listAudit(deps, { targetKey: 'prod#flytesnacks#staging' });
    expect(byTarget.items).toHaveLength(2);
    const byActor = await listAudit(deps, { actor: 'bob' });
    expect(byActor.items.map((event) => event.action)).toEqual(['grant.approved']);
    expect((await listAudit(deps, { targetKey: 'prod#global' })).items).toEqual([]);
  });

  it('pages with limit and cursor, and refuses a limit above 100', async () => {
    const first = await listAudit(deps, {}, { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await listAudit(
      deps,
      {},
      { limit: 1, ...(first.nextCursor === undefined ? {} : { cursor: first.nextCursor }) },
    );
    expect(second.items.map((event) => event.id)).not.toContain(first.items[0]?.id);
    await expect(listAudit(deps, {}, { limit: 101 })).rejects.toThrow(BadRequestError);
  });
});
