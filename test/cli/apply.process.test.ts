// `grantplane apply` and `grantplane drift` (docs/cli.md) as CI runs them: the real process, mode aws,
// AWS_ENDPOINT_URL_IAM pointing the SDK at the IAM emulator on loopback.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IamTestContext, startIamTest, TEST_ACCOUNT_ID } from '../helpers/iam.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/grantplane.mjs');
const OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const dir = mkdtempSync(join(tmpdir(), 'grantplane-apply-'));

const planeYaml = (accountId: string): string => `dataPlanes:
  - name: prod
    cloud: aws
    accountId: "${accountId}"
    region: us-west-2
    orgPrefix: acme
    oidcProvider: ${OIDC}
    domains: [development, staging, production]
    projects: "*"
  - name: research-gcp
    cloud: gcp
    region: us-central1
    domains: [development]
    projects: "*"
`;
const grant = (scope: string, bucket: string): string => `- dataPlane: prod
  scope: ${scope}
  resource: { type: s3, bucket: ${bucket}, access: read }
  justification: tests
`;
const GLOBAL = '{ type: global }';
const pair = (project: string, domain: string): string =>
  `{ type: project-domain, project: ${project}, domain: ${domain} }`;

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const CONFIG = file('config.yaml', planeYaml(TEST_ACCOUNT_ID));
const OTHER_ACCOUNT = file('other-account.yaml', planeYaml('999988887777'));
const GRANTS = file(
  'grants.yaml',
  grant(GLOBAL, 'acme-shared') +
    grant(pair('flytesnacks', 'development'), 'acme-ml-data') +
    grant(pair('retired', 'production'), 'acme-old'),
);
const FEWER = file(
  'fewer.yaml',
  grant(GLOBAL, 'acme-shared') + grant(pair('flytesnacks', 'development'), 'acme-ml-data'),
);
const BAD = file(
  'bad.yaml',
  grant(GLOBAL, 'acme-shared') + grant(pair('flytesnacks', 'development'), 'union-metadata'),
);

// A fresh data plane account per test: each test applies what it starts from (no test order).
let ctx: IamTestContext;
beforeEach(async () => {
  ctx = await startIamTest();
  ctx.emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: OIDC });
});
afterEach(async () => {
  // R3, on every test: no call ever names <AdminFlyteRole>.
  expect(ctx.emulator.calls.filter((call) => JSON.stringify(call.params).includes('adminflyterole'))).toEqual([]);
  await ctx.stop();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function grantplane(...args: string[]): Promise<Run> {
  return grantplaneAt(ctx, ...args);
}

function grantplaneAt(at: IamTestContext, ...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_IAM: at.emulator.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDCLITEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_REGION: 'us-east-1',
  };
  delete env.AWS_PROFILE;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

const writes = (): string[] => ctx.emulator.calls.filter((call) => !call.read).map((call) => call.action);

describe('grantplane apply / drift (process)', () => {
  it('refuses (exit 1) when a grant is rejected, and changes nothing', async () => {
    ctx.emulator.resetCalls();
    const run = await grantplane('apply', '--config', CONFIG, '--grants', BAD);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/grants\[1\] resource\.bucket: s3\.internal-bucket/);
    expect(run.stderr).toMatch(/apply refused: 1 grant rejected/);
    expect(ctx.emulator.calls).toEqual([]);
  });

  it('says what to set when there are no AWS credentials at all (exit 1, nothing called)', async () => {
    ctx.emulator.resetCalls();
    const run = await new Promise<Run>((resolve) => {
      const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
      execFile(
        process.execPath,
        [BIN, 'apply', '--config', CONFIG, '--grants', GRANTS],
        { cwd: ROOT, env },
        (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^grantplane: apply failed: .*Could not load credentials.*: no AWS credentials for IAM; set AWS_PROFILE \(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\) for the plane's account, or AWS_ENDPOINT_URL_IAM to the IAM emulator `npm start` prints\n$/,
    );
    expect(ctx.emulator.calls).toEqual([]);
  });

  it('refuses a plane whose account the credentials do not reach, before any write', async () => {
    ctx.emulator.resetCalls();
    const run = await grantplane('apply', '--config', OTHER_ACCOUNT, '--grants', GRANTS);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^grantplane: warning: skipped plane prod: .*999988887777.*--plane prod\n/);
    expect(run.stderr).toMatch(/\ngrantplane: apply failed: plane prod: .*999988887777/);
    expect(writes()).toEqual([]);
  });

  it('--dry-run prints the calls and changes nothing', async () => {
    ctx.emulator.resetCalls();
    const run = await grantplane('apply', '--config', CONFIG, '--grants', GRANTS, '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('would CreatePolicy grantplane-global-1\n');
    expect(run.stdout).toMatch(/dry run: nothing was changed\n\d+ changes would be made\n$/);
    expect(writes()).toEqual([]);
  });

  it('applies: each call printed, then `N changes`; the second run prints `0 changes`', async () => {
    ctx.emulator.resetCalls();
    const first = await grantplane('apply', '--config', CONFIG, '--grants', GRANTS);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`${lines.length - 1} changes`);
    expect(lines.length - 1).toBe(writes().length);
    expect(lines).toEqual(
      expect.arrayContaining([
        'CreatePolicy grantplane-global-1',
        'CreateRole acme-flytesnacks-development',
        'AttachRolePolicy acme-userflyterole grantplane-global-1',
      ]),
    );

    const second = await grantplane('apply', '--config', CONFIG, '--grants', GRANTS);
    expect(second).toEqual({ code: 0, stdout: '0 changes\n', stderr: '' });

    const drift = await grantplane('drift', '--config', CONFIG, '--grants', GRANTS);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toBe('no drift (3 targets in sync)\n');
  });

  it('drift exits 3 and names the difference', async () => {
    expect((await grantplane('apply', '--config', CONFIG, '--grants', GRANTS)).code).toBe(0);
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-flytesnacks-development-1`;
    await ctx.gateway.detachRolePolicy('acme-flytesnacks-development', arn);
    const drift = await grantplane('drift', '--config', CONFIG, '--grants', GRANTS);
    expect(drift.code).toBe(3);
    expect(drift.stdout).toBe(
      `prod flytesnacks/development: drifted\n  - role acme-flytesnacks-development: policy ${arn} is not attached\n1 targets differ, 2 in sync\n`,
    );
    const json = await grantplane('drift', '--config', CONFIG, '--grants', GRANTS, '--format', 'json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({
      targets: [{ status: 'in-sync' }, { status: 'drifted' }, { status: 'in-sync' }],
    });
    const repair = await grantplane('apply', '--config', CONFIG, '--grants', GRANTS);
    expect(repair.stdout).toBe(
      'AttachRolePolicy acme-flytesnacks-development grantplane-flytesnacks-development-1\n1 changes\n',
    );
  });

  it('a hand-changed tag on a policy whose document is as declared: found and restored with --verify-tags (C4)', async () => {
    expect((await grantplane('apply', '--config', CONFIG, '--grants', GRANTS)).code).toBe(0);
    const arn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-flytesnacks-development-1`;
    await ctx.gateway.untagPolicy(arn, ['grantplane:hash']);
    ctx.emulator.resetCalls();
    // By default the whole-plane read vouches for the tags of a policy whose document is as declared.
    expect(await grantplane('drift', '--config', CONFIG, '--grants', GRANTS)).toMatchObject({ code: 0 });
    expect(ctx.emulator.calls.filter((call) => call.action === 'GetPolicy')).toEqual([]);
    const verified = await grantplane('drift', '--config', CONFIG, '--grants', GRANTS, '--verify-tags');
    expect(verified.code).toBe(3);
    expect(verified.stdout).toMatch(
      /^prod flytesnacks\/development: drifted\n {2}- policy .*grantplane-flytesnacks-development-1.*grantplane:hash/,
    );
    const repair = await grantplane('apply', '--config', CONFIG, '--grants', GRANTS, '--verify-tags');
    expect(repair.stdout).toMatch(/^TagPolicy grantplane-flytesnacks-development-1 grantplane:hash=\S+\n1 changes\n$/);
    expect(await grantplane('drift', '--config', CONFIG, '--grants', GRANTS, '--verify-tags')).toMatchObject({
      code: 0,
    });
  });

  it('an undeclared pair loses its own policies at once, waits with userflyterole and the global ones (A3), and goes with --prune-roles', async () => {
    expect((await grantplane('apply', '--config', CONFIG, '--grants', GRANTS)).code).toBe(0);
    const withdraw = await grantplane('apply', '--config', CONFIG, '--grants', FEWER);
    expect(withdraw.code).toBe(0);
    expect(withdraw.stdout).toBe(
      [
        'DetachRolePolicy acme-retired-production grantplane-retired-production-1',
        'DeletePolicy grantplane-retired-production-1',
        "waiting acme-retired-production: no longer declared; it is deleted by apply --prune-roles once its pair's uctl update has run",
        '2 changes',
        '',
      ].join('\n'),
    );
    const again = await grantplane('apply', '--config', CONFIG, '--grants', FEWER);
    expect(again.stdout).toMatch(/^waiting acme-retired-production: .*\n0 changes\n$/);
    const prune = await grantplane('apply', '--config', CONFIG, '--grants', FEWER, '--prune-roles');
    expect(prune.stdout).toBe(
      [
        'DetachRolePolicy acme-retired-production grantplane-global-1',
        'DetachRolePolicy acme-retired-production userflyterole',
        'DeleteRole acme-retired-production',
        '3 changes',
        '',
      ].join('\n'),
    );
    expect(await grantplane('apply', '--config', CONFIG, '--grants', FEWER, '--prune-roles')).toEqual({
      code: 0,
      stdout: '0 changes\n',
      stderr: '',
    });
  });
});

describe('grantplane apply with the shipped examples (process)', () => {
  it('applies the plane these credentials reach, warns about the plane in another account, then 0 changes', async () => {
    const local = await startIamTest();
    try {
      local.emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: OIDC });
      const args = ['apply', '--config', 'examples/grantplane.config.yaml', '--grants', 'examples/grants.yaml'];
      const first = await grantplaneAt(local, ...args);
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(
        /^grantplane: warning: skipped plane analytics: .*210987654321.*--plane analytics\n$/,
      );
      const lines = first.stdout.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(/^[1-9]\d* changes$/);
      expect(lines.filter((line) => line.startsWith('CreateRole ')).length).toBeGreaterThan(0);
      expect(local.emulator.calls.filter((call) => JSON.stringify(call.params).includes('adminflyterole'))).toEqual([]);
      const second = await grantplaneAt(local, ...args);
      expect(second.code).toBe(0);
      expect(second.stdout).toBe('0 changes\n');
    } finally {
      await local.stop();
    }
  });
});

describe('grantplane apply: the removal guard (A6, process)', () => {
  it('holds an apply that takes access from 3 of 4 roles (exit 1, no write); --confirm-removal applies it', async () => {
    // Prepare: four pairs applied, then a grants file that keeps one
    const own = await startIamTest();
    try {
      own.emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: OIDC });
      const four = file(
        'four.yaml',
        ['alpha', 'beta', 'gamma', 'delta']
          .map((project) => grant(pair(project, 'staging'), `acme-${project}`))
          .join(''),
      );
      const one = file('one.yaml', grant(pair('delta', 'staging'), 'acme-delta'));
      expect((await grantplaneAt(own, 'apply', '--config', CONFIG, '--grants', four)).code).toBe(0);
      own.emulator.resetCalls();

      // Act
      const dry = await grantplaneAt(own, 'apply', '--config', CONFIG, '--grants', one, '--dry-run');
      const held = await grantplaneAt(own, 'apply', '--config', CONFIG, '--grants', one);
      const heldWrites = own.emulator.calls.filter((call) => !call.read);
      const confirmed = await grantplaneAt(own, 'apply', '--config', CONFIG, '--grants', one, '--confirm-removal');

      // Assess
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(
        /note: this would take access from 3 of the 4 targets of plane prod .*--confirm-removal/,
      );
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(
        /^grantplane: apply held: this would take access from 3 of the 4 targets of plane prod that have access \(acme-alpha-staging, acme-beta-staging, acme-gamma-staging\); nothing was changed/,
      );
      expect(heldWrites).toEqual([]);
      expect(confirmed.code).toBe(0);
      expect(confirmed.stdout).toMatch(/DetachRolePolicy acme-alpha-staging /);
    } finally {
      await own.stop();
    }
  }, 60_000);
});
