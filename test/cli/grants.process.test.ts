// `grantplane grants` as a person runs it (docs/cli.md "Grants from a terminal"): the real CLI
// process against the local server — submit through the API, then list, show, approve, revoke.
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
});
