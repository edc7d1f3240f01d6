// docs/cli.md, tested from outside exactly as CI runs it: the real `grantplane` process, its
// stdout, stderr and exit code. Each spawn costs about half a second, so the cases are few.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { benchConfig, generateGrants } from '../../bench/fixtures.js';
import type { PlanResult } from '../../lib/domain/model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/grantplane.mjs');
const CONFIG = 'examples/grantplane.config.yaml';
const dir = mkdtempSync(join(tmpdir(), 'grantplane-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/grantplane.mjs ...args` with the Node that runs the tests (Node 24 from node_modules under npx). */
function grantplane(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^grantplane: [^\n]+\n$/);
  expect(run.stderr).not.toContain('    at ');
  expect(run.stderr).toMatch(pattern);
}

describe('grantplane plan (process)', () => {
  it('plans GCP and Azure global grants as bindings with the gcloud and az commands (docs/gcp-azure.md)', async () => {
    const json = await grantplane('plan', '--config', CONFIG, '--grants', 'examples/grants-gcp-azure.yaml');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as PlanResult;
    expect(plan.rejected).toEqual([]);
    expect(plan.targets).toEqual([]);
    expect(plan.bindings?.map((binding) => `${binding.dataPlane} ${binding.role} ${binding.grants.join(',')}`)).toEqual(
      [
        'lab-azure Storage Blob Data Reader 3',
        'lab-azure Key Vault Secrets User 4',
        'research-gcp roles/storage.objectCreator 0',
        'research-gcp roles/storage.objectViewer 0',
        'research-gcp roles/artifactregistry.reader 1',
      ],
    );
    expect(plan.notes.map((note) => note.code)).toEqual(['gcp-secret.same-project']);

    const text = await grantplane(
      'plan',
      '--config',
      CONFIG,
      '--grants',
      'examples/grants-gcp-azure.yaml',
      '--format',
      'text',
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('### GCP and Azure bindings (5)');
    expect(text.stdout).toContain(
      'gcloud storage buckets add-iam-policy-binding gs://acme-research-data --member=serviceAccount:acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com --role=roles/storage.objectViewer',
    );
    expect(text.stdout).toMatch(
      /az role assignment create --name [0-9a-f-]{36} --assignee-object-id 4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8 --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope "\/subscriptions\/2b6c9e14-5f3a-4d7b-8c1e-0a9f8e7d6c5b\/resourceGroups\/secrets\/providers\/Microsoft.KeyVault\/vaults\/acmevault\/secrets\/api-token"/,
    );
  });

  it('prints the PlanResult as 2-space JSON and exits 0 for the shipped examples', async () => {
    const run = await grantplane('plan', '--config', CONFIG, '--grants', 'examples/grants.yaml');

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as PlanResult;
    expect(run.stdout).toBe(`${JSON.stringify(plan, null, 2)}\n`);
    expect(plan.rejected).toEqual([]);
    expect(plan.accepted.map((grant) => grant.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The secret by full ARN carries its group and key (docs/rules.md).
    expect(plan.accepted[2]).toMatchObject({ secretKey: 'flytesnacks/db-password-AbC123' });
    expect(plan.notes.map((note) => [note.index, note.code])).toContainEqual([4, 'ecr.same-account']);
    expect(plan.infrastructure).toHaveLength(1);
    expect(plan.infrastructure[0]?.repositoryArn).toBe(
      'arn:aws:ecr:us-west-2:555555555555:repository/shared/base-images',
    );
    const pair = plan.targets.find(
      (t) => t.scope.type === 'project-domain' && t.scope.project === 'flytesnacks' && t.scope.domain === 'development',
    );
    expect(pair?.uctl?.command).toBe(
      'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
    );
    const global = plan.targets.find((t) => t.dataPlane === 'prod' && t.scope.type === 'global');
    expect(global?.role).toMatchObject({ name: 'acme-userflyterole', managed: false, trustPolicy: null });
    expect(global?.uctl).toBeNull();
  });

  it('exits 1 and names every mistake in examples/grants-with-mistakes.yaml', async () => {
    const run = await grantplane('plan', '--config', CONFIG, '--grants', 'examples/grants-with-mistakes.yaml');

    expect(run.code).toBe(1);
    const plan = JSON.parse(run.stdout) as PlanResult;
    expect(plan.accepted.map((grant) => grant.index)).toEqual([0]);
    expect(plan.rejected.map((grant) => grant.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const paths = Object.fromEntries(plan.rejected.map((grant) => [grant.index, grant.errors.map((e) => e.path)]));
    expect(paths[1]).toContain('resource.bucket');
    expect(paths[2]).toContain('scope.domain');
    expect(paths[3]).toContain('resource.secretArn');
    expect(paths[7]).toContain('expiresAt');
    // Each example shows the rule its comment names (docs/rules.md R1, R2, R4–R8).
    const codes = Object.fromEntries(plan.rejected.map((grant) => [grant.index, grant.errors.map((e) => e.code)]));
    expect(codes).toEqual({
      1: ['s3.internal-bucket'],
      2: ['scope.unknown-domain'],
      3: ['secret.wrong-region'],
      4: ['ecr.cross-account-requires-global'],
      // `*` on `*` also reaches Union's internal buckets (R4 by glob intersection).
      5: [
        'guardrail.privileged-service',
        'guardrail.permissions-management',
        'guardrail.write-on-wildcard-resource',
        's3.internal-bucket',
      ],
      6: ['cloud.domain-scoping-union-only'],
      7: ['expiry.in-past'],
    });
  });

  it('prints a Markdown plan with --format text', async () => {
    const run = await grantplane(
      'plan',
      '--config',
      CONFIG,
      '--grants',
      'examples/grants-with-mistakes.yaml',
      '--format',
      'text',
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^## grantplane plan: 7 rejected/);
    for (const section of [
      '### Rejected (7)',
      '`resource.bucket`',
      '### Targets',
      '```yaml',
      'uctl update cluster-resource-attribute',
    ]) {
      expect(run.stdout).toContain(section);
    }
  });

  it('exits 2 with one line naming a missing grants file', async () => {
    const run = await grantplane('plan', '--config', CONFIG, '--grants', 'examples/nope.yaml');
    expectOneLineError(run, /cannot read grants file examples\/nope\.yaml: no such file/);
  });

  it('exits 2 with one line for invalid YAML', async () => {
    const grants = join(dir, 'broken.yaml');
    writeFileSync(grants, '- scope: { type: global\n  resource: [\n');
    const run = await grantplane('plan', '--config', CONFIG, '--grants', grants);
    expectOneLineError(run, /invalid YAML at line \d+/);
  });

  it('exits 2 with one line naming the key of an invalid configuration (docs/configuration.md: two AWS planes in one account)', async () => {
    const config = join(dir, 'config.yaml');
    const plane = (name: string) =>
      `  - { name: ${name}, cloud: aws, accountId: "123456789012", region: us-west-2, orgPrefix: acme, oidcProvider: oidc.example/id/X, domains: [development], projects: "*" }\n`;
    writeFileSync(config, `dataPlanes:\n${plane('a')}${plane('b')}`);
    const run = await grantplane('plan', '--config', config, '--grants', 'examples/grants.yaml');
    expectOneLineError(run, /^grantplane: config error: dataPlanes\[1\]\.accountId: /);
  });

  it('stops quietly when the reader closes the pipe early (`grantplane plan | head`)', async () => {
    const config = join(dir, 'bench-config.json');
    const grants = join(dir, 'many.json');
    writeFileSync(config, JSON.stringify(benchConfig()));
    writeFileSync(grants, JSON.stringify(generateGrants(2_000, 400))); // megabytes of output: more than a pipe holds

    const child = spawn(process.execPath, [BIN, 'plan', '--config', config, '--grants', grants], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
