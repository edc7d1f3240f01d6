// `grantplane sync` (docs/git-sync.md) end to end, as a CI job runs it: the real `grantplane` process
// against a running local server (lib/local/server.ts) on DynamoDB Local — stdout, stderr, exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import type { LocalServer } from '../../lib/local/server.js';
import { runCli } from '../helpers/cli-process.js';
import { startExampleServer } from '../helpers/local-server.js';

const dir = mkdtempSync(join(tmpdir(), 'grantplane-sync-'));
let server: LocalServer;

const admin = mintLocalToken({ sub: 'ci-bot', roles: ['admin'] }, DEV_JWT_SECRET);
const requester = mintLocalToken({ sub: 'carol', roles: ['requester'] }, DEV_JWT_SECRET);

const grantplane = runCli;

const s3 = (bucket: string, access = 'read') =>
  `  - dataPlane: prod\n    scope: { type: project-domain, project: flytesnacks, domain: staging }\n    resource: { type: s3, bucket: ${bucket}, access: ${access} }\n`;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  server = await startExampleServer();
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('grantplane sync (process, against the local server)', () => {
  it('adds, reports unchanged, dry-runs, is refused by the prune guard (exit 1) and prunes with --confirm-prune', async () => {
    const four = file('four.yaml', `${s3('acme-a')}${s3('acme-b')}${s3('acme-c')}${s3('acme-d')}`);
    const base = ['sync', '--api', server.url, '--source', 'grants-repo'];

    const first = await grantplane([...base, '--grants', four], { GRANTPLANE_TOKEN: admin, GITHUB_SHA: 'c0ffee1' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe('source grants-repo at c0ffee1: 4 added, 0 unchanged, 0 removed');
    expect(first.stdout).toMatch(/^\+ prod flytesnacks\/staging s3 acme-a read {2}\(\w+, approved\)$/m);

    const again = await grantplane([...base, '--grants', four, '--token', admin]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('source grants-repo: 0 added, 4 unchanged, 0 removed\n');

    const one = file(
      'one.json',
      JSON.stringify({
        grants: [
          {
            dataPlane: 'prod',
            scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
            resource: { type: 's3', bucket: 'acme-a', access: 'read' },
          },
        ],
      }),
    );
    const dry = await grantplane([...base, '--grants', one, '--dry-run'], { GRANTPLANE_TOKEN: admin });
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('would add 0, keep 1, remove 3 (dry run: nothing changed)');
    expect(dry.stdout).toMatch(/^! sync\.prune-guard: .*repeat with --confirm-prune$/m); // the CLI's flag, not the API's query

    const refused = await grantplane([...base, '--grants', one], { GRANTPLANE_TOKEN: admin });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^grantplane: sync refused \(HTTP 409 Conflict\)\ngrants: sync\.prune-guard: This sync would revoke 3 of the 4 grants .+ repeat with --confirm-prune\n$/,
    );

    const pruned = await grantplane([...base, '--grants', one, '--confirm-prune'], { GRANTPLANE_TOKEN: admin });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout.split('\n')[0]).toBe('source grants-repo: 0 added, 1 unchanged, 3 removed');
    expect(pruned.stdout.match(/^- prod flytesnacks\/staging s3 acme-[bcd] read {2}\(\w+, revoking\)$/gm)).toHaveLength(
      3,
    );
  });

  it('prints each error of a refused set on its own line (422), exit 1', async () => {
    const bad = file('bad.yaml', `${s3('acme-a')}${s3('union-internal')}${s3('Not_A_Bucket')}`);
    const run = await grantplane(['sync', '--api', server.url, '--source', 'grants-repo', '--grants', bad], {
      GRANTPLANE_TOKEN: admin,
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^grantplane: sync refused \(HTTP 422 Unprocessable Content\): .*nothing was applied$/);
    expect(lines).toContainEqual(expect.stringMatching(/^grants\[1\]\.resource\.bucket: s3\.internal-bucket: /));
    expect(lines).toContainEqual(expect.stringMatching(/^grants\[2\]\.resource\.bucket: /));
  });

  it('a token without the admin role → 403, exit 1', async () => {
    const one = file('ok.yaml', s3('acme-a'));
    const run = await grantplane([
      'sync',
      '--api',
      server.url,
      '--source',
      'grants-repo',
      '--grants',
      one,
      '--token',
      requester,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^grantplane: sync refused \(HTTP 403 Forbidden\)\n\(request\): auth\.missing-role: .*needs the role admin.*\n$/,
    );
  });

  it('exit 2: no token, unreadable file, unreachable API, bad usage', async () => {
    const one = file('ok2.yaml', s3('acme-a'));
    const noToken = await grantplane(['sync', '--api', server.url, '--source', 's', '--grants', one]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/GRANTPLANE_TOKEN/);
    const missing = await grantplane(
      ['sync', '--api', server.url, '--source', 's', '--grants', join(dir, 'nope.yaml')],
      { GRANTPLANE_TOKEN: admin },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^grantplane: cannot read grants file .*: no such file\n$/);
    const unreachable = await grantplane(['sync', '--api', 'http://127.0.0.1:9', '--source', 's', '--grants', one], {
      GRANTPLANE_TOKEN: admin,
    });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/^grantplane: sync: cannot reach the API at http:\/\/127\.0\.0\.1:9: [^\n]+\n$/);
    const usage = await grantplane(['sync', '--source', 's', '--grants', one], { GRANTPLANE_TOKEN: admin });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--api/);
  });
});
