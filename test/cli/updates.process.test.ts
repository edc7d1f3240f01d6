// `grantplane updates` as an operator runs it (docs/cli.md "uctl updates"): the real CLI process
// against the local server, with a stand-in uctl that records its arguments and serves `get`.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Binding } from '../../lib/domain/compile/uctl.js';
import type { Stores } from '../../lib/domain/ports.js';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import type { LocalServer } from '../../lib/local/server.js';
import { runCli } from '../helpers/cli-process.js';
import { startExampleServer } from '../helpers/local-server.js';
import { localTableStores, recordPendingUpdate } from '../helpers/stand-in-uctl.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAND_IN = join(ROOT, 'examples/stand-in-uctl.mjs');
const dir = mkdtempSync(join(tmpdir(), 'grantplane-updates-'));
const LOG = join(dir, 'uctl.log');
const STATE = join(dir, 'uctl-state');
const admin = mintLocalToken({ sub: 'ops', roles: ['admin'] }, DEV_JWT_SECRET);
const ROLE = 'arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-staging';

let server: LocalServer;
let stores: Stores;

/** `grantplane updates …` against the local server, with the stand-in uctl. */
const grantplane = (args: string[], env: Record<string, string> = {}) =>
  runCli(['updates', ...args], {
    GRANTPLANE_API: server.url,
    GRANTPLANE_TOKEN: admin,
    GRANTPLANE_UCTL: STAND_IN,
    STAND_IN_UCTL_LOG: LOG,
    STAND_IN_UCTL_STATE: STATE,
    ...env,
  });

const calls = (): string[][] =>
  existsSync(LOG)
    ? readFileSync(LOG, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as string[])
    : [];

const pending = (id: string, project: string, roleArn: string | null, binding?: Binding) =>
  recordPendingUpdate(stores, id, project, roleArn, binding);

beforeAll(async () => {
  server = await startExampleServer();
  stores = localTableStores();
});

// Each test reads the calls it made, whatever ran before it; every test leaves nothing pending.
beforeEach(() => {
  rmSync(LOG, { force: true });
  rmSync(STATE, { recursive: true, force: true });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('grantplane updates (process, against the local server, stand-in uctl)', () => {
  it('runs each pending update with --force, verifies the pair with uctl get, and acknowledges only then', async () => {
    const update = await pending('01UPDATEA', 'flytesnacks', ROLE);

    const dry = await grantplane(['run', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would run for prod flytesnacks/staging (01UPDATEA):');
    expect(dry.stdout).toMatch(/update cluster-resource-attribute --attrFile \S+ --force/);
    expect(dry.stdout).toContain('1 update would run');
    expect(calls()).toEqual([]); // a dry run runs nothing

    const listed = await grantplane(['list']);
    expect(listed.stdout).toContain(`01UPDATEA  prod flytesnacks/staging  ${ROLE}  pending`);

    const ran = await grantplane(['run']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('prod flytesnacks/staging: uctl updated, verified, acknowledged 01UPDATEA');
    const [apply, check] = calls();
    expect(apply?.slice(0, 3)).toEqual(['update', 'cluster-resource-attribute', '--attrFile']);
    expect(apply?.at(-1)).toBe('--force');
    expect(check).toEqual(['get', 'cluster-resource-attribute', '-p', 'flytesnacks', '-d', 'staging']);
    const after = await stores.attributes.getAttributeUpdate(update.id);
    expect(after).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'ops' });
    expect((await grantplane(['list'])).stdout).toContain('0 pending updates');
  });

  it('leaves an update pending when uctl fails or the pair does not verify, and exits 1', async () => {
    await pending('01UPDATEB', 'failing', ROLE);
    const failed = await grantplane(['run', '--project', 'failing', '--domain', 'staging'], {
      STAND_IN_UCTL_FAIL: 'update',
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /prod failing\/staging: uctl exited 1: .*connection refused.*; 01UPDATEB stays pending/,
    );
    expect(failed.stdout).toContain('0 updates acknowledged, 1 failed (still pending)');
    expect((await stores.attributes.getAttributeUpdate('01UPDATEB'))?.status).toBe('pending');

    // uctl says it updated, but the pair does not show the role: not acknowledged either
    const lost = await grantplane(['run', '--project', 'failing', '--domain', 'staging'], {
      STAND_IN_UCTL_FAIL: 'lost',
    });
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(
      /not verified: uctl get exited 1: Error: attribute not found for project failing domain staging.*; 01UPDATEB stays pending/,
    );
    expect((await stores.attributes.getAttributeUpdate('01UPDATEB'))?.status).toBe('pending');

    // uctl succeeds this time: the pair verifies and the update is acknowledged
    const retried = await grantplane(['run', '--project', 'failing', '--domain', 'staging', '--json']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject([{ id: '01UPDATEB', result: 'acknowledged' }]);
  });

  it('runs the delete of a pair left with no attribute and verifies the pair is gone', async () => {
    await pending('01UPDATEC', 'flytesnacks', null);
    const ran = await grantplane(['run']);
    expect(ran.code).toBe(0);
    expect(calls().at(-2)?.slice(0, 2)).toEqual(['delete', 'cluster-resource-attribute']);
    expect((await stores.attributes.getAttributeUpdate('01UPDATEC'))?.status).toBe('acknowledged');
  });

  it("runs a Flyte OSS plane's update with flytectl ($GRANTPLANE_FLYTECTL) and verifies defaultIamRole", async () => {
    // Prepare: an update as a plane with binding: flytectl records it; uctl itself is not there
    await pending('01UPDATED', 'oss', ROLE, { tool: 'flytectl', attribute: 'defaultIamRole' });

    // Act
    const ran = await grantplane(['run', '--project', 'oss', '--domain', 'staging'], {
      GRANTPLANE_UCTL: join(dir, 'no-uctl-here'),
      GRANTPLANE_FLYTECTL: STAND_IN,
    });

    // Assess
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('prod oss/staging: flytectl updated, verified, acknowledged 01UPDATED');
    expect(calls()[0]?.slice(0, 2)).toEqual(['update', 'cluster-resource-attribute']);
    expect(readFileSync(join(STATE, 'oss_staging.json'), 'utf8')).toContain(`"defaultIamRole":"${ROLE}"`);
    expect((await stores.attributes.getAttributeUpdate('01UPDATED'))?.status).toBe('acknowledged');
  });

  it('says what is missing: no API, no token, an unknown action', async () => {
    expect((await grantplane(['list'], { GRANTPLANE_API: '' })).stderr).toMatch(/--api <url> or set GRANTPLANE_API/);
    expect((await grantplane(['run'], { GRANTPLANE_TOKEN: '' })).stderr).toMatch(/token with the admin role/);
    const unknown = await grantplane(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown action "frobnicate"/);
  });
});
