// `grantplane plan --api` as a reviewer's CI job runs it (docs/cli.md "grantplane plan"): the real CLI
// process against the local server — per target the access the grants add or take away against
// what the API stores, what becomes broader, and with --source the grants the sync would remove.
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
const admin = mintLocalToken({ sub: 'ops', roles: ['admin'] }, DEV_JWT_SECRET);
const dir = mkdtempSync(join(tmpdir(), 'grantplane-plan-live-'));
let server: LocalServer;

const grantsFile = (name: string, grants: unknown[]): string => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(grants));
  return file;
};
const pairGrant = (project: string, access: string, prefix = 'live/') => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project, domain: 'development' },
  resource: { type: 's3', bucket: 'acme-ml-data', prefix, access },
  justification: 'the nightly job',
});
const plan = (file: string, ...extra: string[]) =>
  runCli(['plan', '--config', 'grantplane.config.yaml', '--grants', file, '--api', server.url, ...extra], {
    GRANTPLANE_TOKEN: admin,
  });

beforeAll(async () => {
  server = await startExampleServer();
  // live today: livediff/development reads acme-ml-data/live/ (development is auto-approved)
  await callApi(server.url, 'POST', '/v1/grants', alice, pairGrant('livediff', 'read'));
});

afterAll(async () => {
  await server?.close();
});

describe('grantplane plan --api (process, against the local server)', () => {
  it('names the access each target gains against the live desired state, and what becomes broader', async () => {
    // Prepare: read-write where read is live, and a pair nobody has yet
    const file = grantsFile('broader.json', [pairGrant('livediff', 'read-write'), pairGrant('livenew', 'read')]);

    // Act
    const json = await plan(file);
    const text = await plan(file, '--format', 'markdown');

    // Assess
    expect(json.code, json.stderr).toBe(0);
    const { live } = JSON.parse(json.stdout) as {
      live: { changes: { targetKey: string; change: string; added: string[]; removed: string[]; broader: boolean }[] };
    };
    const byKey = Object.fromEntries(live.changes.map((change) => [change.targetKey, change]));
    expect(byKey['prod#livediff#development']).toMatchObject({
      change: 'update',
      added: ['Allow `s3:PutObject` on `arn:aws:s3:::acme-ml-data/live/*`'],
      removed: [],
      broader: true,
    });
    expect(byKey['prod#livenew#development']).toMatchObject({ change: 'create', broader: true, removed: [] });
    expect(byKey['prod#livenew#development']?.added).toContain(
      'Allow `s3:GetObject` on `arn:aws:s3:::acme-ml-data/live/*`',
    );
    expect(text.stdout).toContain('### Against the live desired state');
    expect(text.stdout).toMatch(
      /- prod livediff\/development — \*\*broader\*\*\n {2}- \+ Allow `s3:PutObject` on `arn:aws:s3:::acme-ml-data\/live\/\*`/,
    );
    expect(text.stdout).toContain('- prod livenew/development — new role');
  });

  it('says nothing changes for grants already live, and with --source lists what the sync would remove', async () => {
    // Prepare: a source holding two grants; the repository now declares only one of them
    const both = [pairGrant('sourced', 'read', 'a/'), pairGrant('sourced', 'read', 'b/')];
    const synced = await callApi(server.url, 'PUT', '/v1/sources/live-repo/grants', admin, { grants: both });
    expect(synced.status).toBe(200);
    const file = grantsFile('kept.json', [both[0]]);

    // Act
    const text = await plan(file, '--source', 'live-repo', '--format', 'text');
    const json = await plan(file, '--source', 'live-repo');

    // Assess
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('No access changes: every target these grants reach already allows exactly this.');
    expect(text.stdout).toMatch(
      /Source `live-repo`: would add 0, keep 1, remove 1 grant \(their access goes when the sync revokes them\):\n- `[0-9A-Z]{26}` prod sourced\/development s3 acme-ml-data b\/ read/,
    );
    expect(JSON.parse(json.stdout).live.source).toMatchObject({ name: 'live-repo', added: 0, unchanged: 1 });
  });

  it('refuses --source without --api, and says when the API refuses', async () => {
    const file = grantsFile('one.json', [pairGrant('refused', 'read')]);
    const noApi = await runCli(['plan', '--config', 'grantplane.config.yaml', '--grants', file, '--source', 'x']);
    const noToken = await runCli(['plan', '--config', 'grantplane.config.yaml', '--grants', file, '--api', server.url]);
    const forbidden = await runCli(
      ['plan', '--config', 'grantplane.config.yaml', '--grants', file, '--api', server.url, '--source', 'x'],
      { GRANTPLANE_TOKEN: alice },
    );

    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toContain('--source compares against a live API: pass --api <url> too');
    expect(noToken.stderr).toContain('plan --api: a token is required: pass --token');
    expect(forbidden.code).toBe(2);
    expect(forbidden.stderr).toMatch(/plan --api --source x refused \(HTTP 403/);
  });
});
