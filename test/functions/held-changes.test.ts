// The blast-radius guard through the HTTP handlers (A6): a confirmed git sync that would take
// access from 3 of a plane's 4 targets is held — the targets keep their desired state — visible
// to any caller, released by an admin only (an approver gets 403), audited.
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeAttributesHandler } from '../../functions/http/attributes.js';
import { makeHandler as makeAuditHandler } from '../../functions/http/audit.js';
import { makeHandler as makeSourcesHandler } from '../../functions/http/sources.js';
import { makeHandler as makeTargetsHandler } from '../../functions/http/targets.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import type { HeldChange } from '../../lib/domain/records.js';
import type { HttpDeps } from '../../lib/wiring/http.js';
import { httpDeps } from '../helpers/dynamo.js';
import { invoke } from './events.js';

const options = { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) };
const ci = { sub: 'ci-bot', groups: ['admin'] };
const root = { sub: 'root', groups: ['admin'] };
const bob = { sub: 'bob', groups: ['approver'] };

let deps: HttpDeps;
let sources: ReturnType<typeof makeSourcesHandler>;
let targets: ReturnType<typeof makeTargetsHandler>;
let audit: ReturnType<typeof makeAuditHandler>;
let holds: ReturnType<typeof makeAttributesHandler>;

beforeAll(async () => {
  deps = await httpDeps('01HOLD');
  sources = makeSourcesHandler(deps, options);
  targets = makeTargetsHandler(deps, options);
  audit = makeAuditHandler(deps, options);
  holds = makeAttributesHandler(deps, options);
});

const grantFor = (project: string) => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project, domain: 'staging' },
  resource: { type: 's3', bucket: `acme-${project}-data`, access: 'read' },
  justification: 'declared in git',
});

const desiredOf = async (project: string): Promise<unknown> => {
  const answer = await invoke(targets, { method: 'GET', path: `/v1/targets/prod/${project}/staging`, caller: bob });
  return (answer.body as { desired: unknown }).desired;
};

describe('held changes over HTTP (A6)', () => {
  it('holds a confirmed sync that would empty 3 of 4 targets; an approver cannot release it, an admin can', async () => {
    // Prepare: four pairs declared in git, then a sync that keeps only one, prune confirmed
    const all = ['alpha', 'beta', 'gamma', 'delta'].map(grantFor);
    const path = '/v1/sources/platform/grants';
    expect((await invoke(sources, { method: 'PUT', path, caller: ci, body: { grants: all } })).status).toBe(200);
    const pruned = await invoke(sources, {
      method: 'PUT',
      path,
      caller: ci,
      body: { grants: all.slice(3), revision: 'abc123' },
      query: { confirmPrune: 'true' },
    });
    expect(pruned.status).toBe(200);

    // Act
    const listed = await invoke(holds, { method: 'GET', path: '/v1/held-changes', caller: bob });
    const one = await invoke(holds, { method: 'GET', path: '/v1/held-changes/prod', caller: bob });
    const byApprover = await invoke(holds, { method: 'POST', path: '/v1/held-changes/prod/release', caller: bob });

    // Assess: held, the targets keep their access, only an admin may release
    expect(listed.status).toBe(200);
    const items = (listed.body as { items: HeldChange[] }).items;
    expect(items.map((hold) => hold.targets.map((target) => target.targetKey))).toEqual([
      ['prod#alpha#staging', 'prod#beta#staging', 'prod#gamma#staging'],
    ]);
    expect(one.body).toEqual(items[0]);
    expect(await desiredOf('alpha')).not.toBeNull();
    expect(byApprover.status).toBe(403);

    // Act: the admin releases it
    const released = await invoke(holds, {
      method: 'POST',
      path: '/v1/held-changes/prod/release',
      caller: root,
      body: { comment: 'team offboarded, reviewed' },
    });

    // Assess
    expect(released.status).toBe(200);
    expect((released.body as { changed: string[] }).changed.sort()).toEqual([
      'prod#alpha#staging',
      'prod#beta#staging',
      'prod#gamma#staging',
    ]);
    expect(await desiredOf('alpha')).toBeNull();
    expect(await desiredOf('delta')).not.toBeNull();
    const again = await invoke(holds, { method: 'GET', path: '/v1/held-changes/prod', caller: bob });
    expect(again.status).toBe(404);
    expect((again.body as { errors: { code: string }[] }).errors[0]?.code).toBe('held-change.not-found');
    const trail = await invoke(audit, { method: 'GET', path: '/v1/audit', caller: bob, query: { actor: 'root' } });
    expect((trail.body as { items: { action: string; detail?: string }[] }).items[0]).toMatchObject({
      action: 'change.released',
      detail: 'team offboarded, reviewed',
    });
  }, 60_000);
});
