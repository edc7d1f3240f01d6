// `grantplane grants` as a person runs it (docs/cli.md "Grants from a terminal"): the real CLI
// process against the local server — request (or submit through the API), list, show, approve, revoke.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import type { LocalServer } from '../../lib/local/server.js';
import { runCli } from '../helpers/cli-process.js';
import { startExampleServer } from '../helpers/local-server.js';
import { callApi } from '../helpers/local-stack.js';

const alice = mintLocalToken({ sub: 'alice', roles: ['requester'] }, DEV_JWT_SECRET);
const bob = mintLocalToken({ sub: 'bob', roles: ['approver'] }, DEV_JWT_SECRET);
let server: LocalServer;

const grants = (token: string, ...args: string[]) =>
  runCli(['grants', ...args], { GRANTPLANE_API: server.url, GRANTPLANE_TOKEN: token });

beforeAll(async () => {
  server = await startExampleServer();
});

afterAll(async () => {
  await server?.close();
});

describe('grantplane grants (process, against the local server)', () => {
  it('lists what waits, shows it, lets another user approve it and its requester revoke it', async () => {
    const { json } = await callApi(server.url, 'POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'features/', access: 'read' },
      justification: 'training jobs read features',
    });
    const id = String(json.id);

    const waiting = await grants(bob, 'list', '--status', 'pending-approval');
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toContain(`${id}  pending-approval`);
    expect(waiting.stdout).toMatch(/prod flytesnacks\/staging s3 acme-ml-data\/features\/ read .*\(alice\)/);

    const shown = await grants(bob, 'show', id);
    expect(shown.stdout).toContain('justification: training jobs read features');
    expect(shown.stdout).toMatch(/pending-approval by alice/);

    const own = await grants(alice, 'approve', id);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/HTTP 403/);

    const approved = await grants(bob, 'approve', id, '--comment', 'ok for training');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`${id}  approved`);
    expect((await grants(bob, 'show', id)).stdout).toContain('approved by bob — ok for training');

    const revoked = await grants(alice, 'revoke', id, '--json');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id, status: 'revoking' });
  });

  it('says what is wrong: an unknown action, a missing id, an unknown grant', async () => {
    expect((await grants(bob, 'frobnicate')).stderr).toMatch(/unknown action "frobnicate"/);
    expect((await grants(bob, 'approve')).stderr).toMatch(/name the grant: grantplane grants approve <id>/);
    const missing = await grants(bob, 'show', '01NOSUCHGRANT');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404.*\n.*grant.not-found/);
  });

  it('requests a grant from a file: its row, --quiet for its id, the same grant for the same key, and the rules refusal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-request-'));
    const file = join(dir, 'grant.yaml');
    writeFileSync(
      file,
      [
        'dataPlane: prod',
        'scope: { type: project-domain, project: requested, domain: staging }',
        'resource: { type: s3, bucket: acme-ml-data, access: read }',
        'justification: the nightly job reads the data',
        '',
      ].join('\n'),
    );
    const asked = await grants(alice, 'request', '--file', file, '--idempotency-key', 'req-1');
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/^[0-9A-Z]{26} {2}pending-approval {2}prod requested\/staging s3 acme-ml-data read/);
    const id = asked.stdout.slice(0, 26);
    expect(asked.stdout).toContain(`waits for an approver: grantplane grants approve ${id}`);
    const again = await grants(alice, 'request', '--file', file, '--idempotency-key', 'req-1', '--quiet');
    expect(again.stdout).toBe(`${id}\n`);

    writeFileSync(
      file,
      'dataPlane: prod\nscope: { type: global }\nresource: { type: s3, bucket: acme-ml-data, access: write-all }\n',
    );
    const refused = await grants(alice, 'request', '--file', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 4\d\d.*\n.*resource\.access/);
    expect((await grants(alice, 'request')).stderr).toContain(
      'name the request: grantplane grants request --file grant.yaml',
    );
    writeFileSync(file, '- dataPlane: prod\n');
    expect((await grants(alice, 'request', '--file', file)).stderr).toContain('holds a list: give one grant request');
    expect((await grants(alice, 'request', '--file', join(dir, 'nope.yaml'))).stderr).toMatch(
      /cannot read grant file .*nope\.yaml: no such file/,
    );
  });

  it("grantplane audit: a grant's events newest first, one actor's, a target's, --json, and what is wrong", async () => {
    // Prepare: a grant submitted by alice and approved by bob
    const { json } = await callApi(server.url, 'POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'audited', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'audit/', access: 'read' },
      justification: 'audited access',
    });
    const id = String(json.id);
    await callApi(server.url, 'POST', `/v1/grants/${id}/approve`, bob, { comment: 'fine' });
    const audit = (token: string, ...args: string[]) =>
      runCli(['audit', ...args], { GRANTPLANE_API: server.url, GRANTPLANE_TOKEN: token });

    // Act
    const ofGrant = await audit(bob, '--grant', id);
    const ofBob = await audit(bob, '--actor', 'bob', '--json');
    const ofTarget = await audit(bob, '--target', 'prod/audited/staging', '--limit', '1');

    // Assess
    expect(ofGrant.code, ofGrant.stderr).toBe(0);
    const lines = ofGrant.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('2 events');
    expect(lines[0]).toMatch(new RegExp(`^\\S+Z {2}bob +grant\\.approved +grant ${id}`));
    expect(lines[1]).toMatch(new RegExp(`^\\S+Z {2}alice +grant\\.\\S+ +grant ${id}`));
    expect(ofBob.code).toBe(0);
    const events = JSON.parse(ofBob.stdout) as { actor: string; grantId?: string }[];
    expect(events.every((event) => event.actor === 'bob')).toBe(true);
    expect(events.map((event) => event.grantId)).toContain(id);
    expect(ofTarget.code, ofTarget.stderr).toBe(0);
    expect(ofTarget.stdout.trim().split('\n').at(-1)).toMatch(/^[01] events?( \(more: raise --limit\))?$/);
    expect((await audit(alice, '--grant', id)).stderr).toMatch(/audit refused \(HTTP 403/);
    expect((await audit(bob, '--grant', id, '--actor', 'bob')).stderr).toContain('one filter at a time');
    expect((await audit(bob, '--target', 'prod/audited')).stderr).toContain(
      '<plane>/<project>/<domain> or <plane>/global',
    );
    expect((await audit(bob, '--limit', '0')).stderr).toContain('--limit must be a positive whole number, got "0"');
  });
});
