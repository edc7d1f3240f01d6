// HTTP API (docs/api.md) through the Lambda handlers, with real API Gateway v2 events, against
// DynamoDB Local (one table per file): grants, approvals, revocation, idempotency, plan, targets,
// attributes and audit.
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import * as YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeAttributesHandler } from '../../functions/http/attributes.js';
import { makeHandler as makeAuditHandler } from '../../functions/http/audit.js';
import { makeHandler as makeGrantsHandler } from '../../functions/http/grants.js';
import { makeHandler as makePlanHandler } from '../../functions/http/plan.js';
import { makeHandler as makeTargetsHandler } from '../../functions/http/targets.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { parseConfig } from '../../lib/domain/config.js';
import { buildDeps, type HttpDeps } from '../../lib/wiring/http.js';
import { freshTable } from '../helpers/dynamo.js';
import { invoke, type Answer, type EventInput } from './events.js';
import { matchRoute } from '../../functions/shared/router.js';

const config = parseConfig(
  YAML.parse(readFileSync(new URL('../../examples/grantplane.config.yaml', import.meta.url), 'utf8')),
);
const options = { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) };

const alice = { sub: 'alice', groups: ['requester', 'approver'] };
const bob = { sub: 'bob', groups: ['approver'] };
const carol = { sub: 'carol', groups: ['requester'] };
const root = { sub: 'root', groups: ['admin'] };

const s3Grant = (domain = 'staging', bucket = 'acme-ml-data') => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain },
  resource: { type: 's3', bucket, prefix: 'team-a/', access: 'read' },
  justification: 'training jobs read features',
});

interface GrantBody {
  id: string;
  status: string;
  requester: string;
  targetKey: string;
}

let deps: HttpDeps;
let call: (input: EventInput) => Promise<Answer>;

beforeAll(async () => {
  const table = await freshTable();
  deps = buildDeps({ client: table.client, tableName: table.tableName, config });
  const handlers = {
    'http/grants': makeGrantsHandler(deps, options),
    'http/plan': makePlanHandler(deps, options),
    'http/targets': makeTargetsHandler(deps, options),
    'http/attributes': makeAttributesHandler(deps, options),
    'http/audit': makeAuditHandler(deps, options),
  };
  call = (input) => {
    const match = matchRoute(input.method, input.path);
    const group = match.kind === 'match' ? match.route.group : 'http/grants';
    return invoke(handlers[group as keyof typeof handlers] ?? handlers['http/grants'], input);
  };
});

/** A GET as `caller`, with query parameters when given. */
const get = (path: string, caller: EventInput['caller'], query?: Record<string, string>) =>
  call({ method: 'GET', path, caller, ...(query === undefined ? {} : { query }) });

const submit = async (caller: EventInput['caller'], body: unknown = s3Grant(), headers: Record<string, string> = {}) =>
  call({ method: 'POST', path: '/v1/grants', caller, body, headers });

describe('POST /v1/grants → approve → read (docs/api.md)', () => {
  it('submits, lists, approves (another approver) and reads the grant and its compiled target', async () => {
    const created = await submit(carol);
    expect(created.status).toBe(201);
    const grant = created.body as GrantBody;
    expect(grant).toMatchObject({
      status: 'pending-approval',
      requester: 'carol',
      source: 'api',
      scope: { project: 'flytesnacks', domain: 'staging' },
    });

    const listed = await get('/v1/grants', bob, { status: 'pending-approval', project: 'flytesnacks' });
    expect(listed.status).toBe(200);
    expect((listed.body as { items: GrantBody[] }).items.map((g) => g.id)).toContain(grant.id);

    const approved = await call({
      method: 'POST',
      path: `/v1/grants/${grant.id}/approve`,
      caller: bob,
      body: { comment: 'ok for training' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: grant.id, status: 'approved', approvedBy: 'bob' });

    const read = await get(`/v1/grants/${grant.id}`, carol);
    expect(read).toMatchObject({ status: 200, body: { id: grant.id, status: 'approved' } });

    const target = await get('/v1/targets/prod/flytesnacks/staging', carol);
    expect(target.status).toBe(200);
    expect(target.body).toMatchObject({
      targetKey: 'prod#flytesnacks#staging',
      desired: { role: { name: 'acme-flytesnacks-staging', managed: true } },
    });
    const listedTargets = await get('/v1/targets', carol);
    expect((listedTargets.body as { items: { targetKey: string }[] }).items.map((t) => t.targetKey)).toContain(
      'prod#flytesnacks#staging',
    );

    const audit = await get('/v1/audit', bob, { grantId: grant.id });
    expect(audit.status).toBe(200);
    expect((audit.body as { items: { action: string }[] }).items.map((e) => e.action)).toEqual(
      expect.arrayContaining(['grant.submitted', 'grant.approved']),
    );
  });

  it('filters the audit by target, written as a key or as a path', async () => {
    for (const target of ['prod#flytesnacks#staging', 'prod/flytesnacks/staging']) {
      const audit = await get('/v1/audit', bob, { target });
      const items = (audit.body as { items: { targetKey?: string }[] }).items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((e) => e.targetKey === 'prod#flytesnacks#staging')).toBe(true);
    }
  });

  it('answers a body without an Idempotency-Key as a new grant every time', async () => {
    const first = await submit(carol);
    const second = await submit(carol);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect((first.body as GrantBody).id).not.toBe((second.body as GrantBody).id);
  });

  it('answers the same Idempotency-Key again with the same grant, and refuses it with another body (422)', async () => {
    const key = { 'Idempotency-Key': 'portal-req-42' };
    const first = await submit(carol, s3Grant('production'), key);
    const again = await submit(carol, s3Grant('production'), key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200); // a replay: the stored first answer
    expect(again.body).toEqual(first.body);
    // The same key from another caller is another request.
    const other = await submit({ sub: 'dave', groups: ['requester'] }, s3Grant('production'), key);
    expect((other.body as GrantBody).id).not.toBe((first.body as GrantBody).id);
    const reused = await submit(carol, s3Grant('production', 'acme-other-data'), key);
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toBe('application/problem+json');
    expect(reused.body).toMatchObject({
      errors: [{ code: 'idempotency.key-reused', path: 'headers.idempotency-key' }],
    });
  });

  it('answers concurrent requests with one Idempotency-Key all with the same grant, never 409 (docs/api.md)', async () => {
    const key = { 'Idempotency-Key': 'portal-req-concurrent' };
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => submit(carol, s3Grant('production'), key)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => (answer.body as GrantBody).id)).size).toBe(1);
  });

  it('keeps nothing for a key whose request was refused, so the corrected request may reuse it', async () => {
    const key = { 'Idempotency-Key': 'portal-req-43' };
    const refused = await submit(carol, s3Grant('staging', 'union-metadata-prod'), key);
    expect(refused.status).toBe(422);
    const fixed = await submit(carol, s3Grant('staging'), key);
    expect(fixed.status).toBe(201);
  });

  it('refuses deciding on your own request with 403 (admins included)', async () => {
    const mine = (await submit(alice)).body as GrantBody;
    const self = await call({ method: 'POST', path: `/v1/grants/${mine.id}/approve`, caller: alice });
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ status: 403, errors: [{ code: 'grant.self-approval' }] });
    const adminSelf = await call({
      method: 'POST',
      path: `/v1/grants/${mine.id}/reject`,
      caller: { sub: 'alice', groups: ['approver', 'admin'] },
    });
    expect(adminSelf.status).toBe(403);
  });

  it('lets an admin-only token decide on another requester\'s grant, never on its own (docs/api.md "admins included")', async () => {
    // Prepare: carol's pending grant; dana asks as requester and then holds only admin.
    const others = (await submit(carol)).body as GrantBody;
    const rejectable = (await submit(carol)).body as GrantBody;
    const danaAsks = { sub: 'dana', groups: ['requester', 'admin'] };
    const danaAdmin = { sub: 'dana', groups: ['admin'] };
    const own = (await submit(danaAsks)).body as GrantBody;
    expect(own.status).toBe('pending-approval');
    // Act
    const approved = await call({ method: 'POST', path: `/v1/grants/${others.id}/approve`, caller: root });
    const rejected = await call({ method: 'POST', path: `/v1/grants/${rejectable.id}/reject`, caller: root });
    const selfApprove = await call({ method: 'POST', path: `/v1/grants/${own.id}/approve`, caller: danaAdmin });
    const selfReject = await call({ method: 'POST', path: `/v1/grants/${own.id}/reject`, caller: danaAdmin });
    // Assess
    expect(approved).toMatchObject({ status: 200, body: { id: others.id, status: 'approved' } });
    expect(rejected).toMatchObject({ status: 200, body: { id: rejectable.id, status: 'rejected' } });
    expect(selfApprove).toMatchObject({ status: 403, body: { errors: [{ code: 'grant.self-approval' }] } });
    expect(selfReject).toMatchObject({ status: 403, body: { errors: [{ code: 'grant.self-approval' }] } });
    const still = await get(`/v1/grants/${own.id}`, danaAdmin);
    expect(still).toMatchObject({ status: 200, body: { status: 'pending-approval' } });
  });

  it('refuses a requester-only token on approve and reject with 403 auth.missing-role', async () => {
    const grant = (await submit(alice)).body as GrantBody;
    for (const verb of ['approve', 'reject']) {
      const answer = await call({ method: 'POST', path: `/v1/grants/${grant.id}/${verb}`, caller: carol });
      expect(answer, verb).toMatchObject({ status: 403, body: { errors: [{ code: 'auth.missing-role' }] } });
    }
    const still = await get(`/v1/grants/${grant.id}`, carol);
    expect(still).toMatchObject({ status: 200, body: { status: 'pending-approval' } });
  });

  it('rejects with a comment; a second decision is a 409 conflict', async () => {
    const grant = (await submit(carol)).body as GrantBody;
    const rejected = await call({
      method: 'POST',
      path: `/v1/grants/${grant.id}/reject`,
      caller: bob,
      body: { comment: 'use the shared bucket' },
    });
    expect(rejected).toMatchObject({ status: 200, body: { status: 'rejected' } });
    const again = await call({ method: 'POST', path: `/v1/grants/${grant.id}/approve`, caller: bob });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ errors: [{ code: 'grant.not-pending' }] });
  });

  it('refuses a decision body of the wrong shape with 400 naming the field', async () => {
    const grant = (await submit(carol)).body as GrantBody;
    const answer = await call({
      method: 'POST',
      path: `/v1/grants/${grant.id}/approve`,
      caller: bob,
      body: { comment: 42 },
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errors: [{ path: 'body.comment' }] });
  });

  it('revokes: 202 for the requester or an admin, 403 for anyone else', async () => {
    const grant = (await submit(carol, s3Grant('development'))).body as GrantBody; // auto-approved domain
    expect(grant.status).toBe('approved');
    const stranger = await call({
      method: 'DELETE',
      path: `/v1/grants/${grant.id}`,
      caller: { sub: 'mallory', groups: ['requester'] },
    });
    expect(stranger.status).toBe(403);
    const revoked = await call({ method: 'DELETE', path: `/v1/grants/${grant.id}`, caller: carol });
    expect(revoked).toMatchObject({ status: 202, body: { id: grant.id, status: 'revoking' } });
    const other = (await submit(carol)).body as GrantBody;
    const byAdmin = await call({ method: 'DELETE', path: `/v1/grants/${other.id}`, caller: root });
    expect(byAdmin).toMatchObject({ status: 202, body: { status: 'revoked' } });
  });

  it('answers 404 problem+json for an unknown grant', async () => {
    const answer = await get('/v1/grants/01NOPE', carol);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 404, errors: [{ code: 'grant.not-found' }] });
  });

  it('answers 422 with the offending field for a rule violation (R4 internal bucket)', async () => {
    const answer = await submit(carol, s3Grant('staging', 'union-metadata-prod'));
    expect(answer.status).toBe(422);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({
      type: 'urn:grantplane:problem:validation',
      title: 'Unprocessable Content',
      status: 422,
    });
    expect((answer.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain('resource.bucket');
  });

  it('answers 403 to a caller without the requester role', async () => {
    expect((await submit(bob)).status).toBe(403);
  });

  it('pages the list with limit and cursor', async () => {
    const first = await get('/v1/grants', carol, { limit: '2' });
    const page = first.body as { items: GrantBody[]; nextCursor?: string };
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await get('/v1/grants', carol, { limit: '2', cursor: page.nextCursor ?? '' });
    const ids = (second.body as { items: GrantBody[] }).items.map((g) => g.id);
    expect(ids.some((id) => page.items.map((g) => g.id).includes(id))).toBe(false);
  });
});

describe('GET /v1/targets (docs/api.md)', () => {
  it('pages like every list: limit and cursor give {items, nextCursor}; limit above 100 is a 400', async () => {
    // Prepare: two targets (auto-approved development grants)
    await submit(carol, {
      ...s3Grant('development'),
      scope: { type: 'project-domain', project: 'paged-a', domain: 'development' },
    });
    await submit(carol, {
      ...s3Grant('development'),
      scope: { type: 'project-domain', project: 'paged-b', domain: 'development' },
    });
    const first = await get('/v1/targets', carol, { limit: '1', dataPlane: 'prod' });
    expect(first.status).toBe(200);
    const page = first.body as { items: { targetKey: string }[]; nextCursor?: string };
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await get('/v1/targets', carol, { limit: '1', dataPlane: 'prod', cursor: page.nextCursor ?? '' });
    expect((second.body as { items: { targetKey: string }[] }).items[0]?.targetKey).not.toBe(page.items[0]?.targetKey);
    const tooMany = await get('/v1/targets', carol, { limit: '101' });
    expect(tooMany).toMatchObject({ status: 400, body: { errors: [{ path: 'query.limit' }] } });
  });

  it('answers an unknown data plane with 404 data-plane.not-found', async () => {
    const answer = await get('/v1/targets/nope/global', carol);
    expect(answer).toMatchObject({ status: 404, body: { errors: [{ code: 'data-plane.not-found' }] } });
  });
});

describe('POST /v1/plan (docs/api.md)', () => {
  it('dry-runs new grants against the stored desired state and says what would change', async () => {
    const answer = await call({
      method: 'POST',
      path: '/v1/plan',
      caller: carol,
      body: { grants: [s3Grant('production', 'acme-new-data'), s3Grant('staging', 'union-meta')] },
    });
    expect(answer.status).toBe(200);
    const plan = answer.body as {
      accepted: { index: number }[];
      rejected: { index: number }[];
      changes: { targetKey: string; change: string }[];
    };
    expect(plan.accepted.map((a) => a.index)).toEqual([0]);
    expect(plan.rejected.map((r) => r.index)).toEqual([1]);
    expect(plan.changes).toContainEqual(
      expect.objectContaining({ targetKey: 'prod#flytesnacks#production', change: 'create' }),
    );
  });

  it('plans a GCP global grant as its bindings; the grants API stores it ("Enabling Google Cloud Storage"), and an Artifact Registry grant in another project', async () => {
    const gcs = {
      dataPlane: 'research-gcp',
      scope: { type: 'global' },
      resource: { type: 'gcs', bucket: 'acme-research-data', access: 'read' },
    };
    const planned = await call({ method: 'POST', path: '/v1/plan', caller: carol, body: { grants: [gcs] } });
    expect(planned.status).toBe(200);
    expect((planned.body as { bindings?: unknown[] }).bindings).toEqual([
      expect.objectContaining({
        resource: 'projects/_/buckets/acme-research-data',
        role: 'roles/storage.objectViewer',
        member: 'serviceAccount:acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com',
        grants: [0],
      }),
    ]);
    const submitted = await call({ method: 'POST', path: '/v1/grants', caller: carol, body: gcs });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'pending-approval', targetKey: 'research-gcp#global' });
    const elsewhere = await call({
      method: 'POST',
      path: '/v1/grants',
      caller: carol,
      body: {
        ...gcs,
        resource: {
          type: 'artifact-registry',
          repository: 'projects/acme-shared-images/locations/us-central1/repositories/base',
        },
      },
    });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(201);
    // Its own rules still speak first.
    const internal = await call({
      method: 'POST',
      path: '/v1/grants',
      caller: carol,
      body: { ...gcs, resource: { ...gcs.resource, bucket: 'union-acme-meta' } },
    });
    expect(internal.status).toBe(422);
    expect(JSON.stringify(internal.body)).toContain('gcs.internal-bucket');
  });

  it('refuses a body without a grants array (400)', async () => {
    const answer = await call({ method: 'POST', path: '/v1/plan', caller: carol, body: [s3Grant()] });
    expect(answer.status).toBe(400);
  });
});

describe('attributes and uctl updates (docs/rules.md C5, docs/api.md)', () => {
  it('imports the YAML uctl prints (admin), lists updates (approver) and acknowledges one (admin)', async () => {
    const yaml = 'attributes:\n  projectQuotaCpu: "32"\ndomain: staging\nproject: flytesnacks\n';
    const imported = await call({
      method: 'PUT',
      path: '/v1/attributes/prod/flytesnacks/staging',
      caller: root,
      body: yaml,
      headers: { 'Content-Type': 'application/yaml' },
    });
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ record: { attributes: { projectQuotaCpu: '32' } } });
    const asRequester = await call({
      method: 'PUT',
      path: '/v1/attributes/prod/flytesnacks/staging',
      caller: carol,
      body: { attributes: {} },
    });
    expect(asRequester.status).toBe(403);

    // The applier records uctl updates as it applies a target (C5); record one as it would.
    await deps.app.attributes.createAttributeUpdate({
      id: '01UCTLUPDATE0000000000000A',
      dataPlane: 'prod',
      project: 'flytesnacks',
      domain: 'staging',
      roleArn: 'arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-staging',
      yaml: 'attributes:\n  defaultUserRoleValue: "arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-staging"\n',
      command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
      contentHash: 'h1',
      status: 'pending',
      createdAt: '2026-11-23T04:00:00.000Z',
    });
    const updates = await get('/v1/attribute-updates', bob, { status: 'pending' });
    expect(updates.status).toBe(200);
    expect((updates.body as { items: { id: string }[] }).items.map((u) => u.id)).toContain(
      '01UCTLUPDATE0000000000000A',
    );
    const notAdmin = await call({
      method: 'POST',
      path: '/v1/attribute-updates/01UCTLUPDATE0000000000000A/ack',
      caller: bob,
    });
    expect(notAdmin.status).toBe(403);
    const ack = await call({
      method: 'POST',
      path: '/v1/attribute-updates/01UCTLUPDATE0000000000000A/ack',
      caller: root,
    });
    expect(ack).toMatchObject({
      status: 200,
      body: { id: '01UCTLUPDATE0000000000000A', status: 'acknowledged', acknowledgedBy: 'root' },
    });
    const acknowledged = await get('/v1/attribute-updates', root, { status: 'acknowledged' });
    expect((acknowledged.body as { items: { id: string }[] }).items.map((u) => u.id)).toContain(
      '01UCTLUPDATE0000000000000A',
    );
  });

  it('refuses a bad status filter with 400', async () => {
    const answer = await get('/v1/attribute-updates', bob, { status: 'done' });
    expect(answer).toMatchObject({ status: 400, body: { errors: [{ path: 'query.status' }] } });
  });
});
