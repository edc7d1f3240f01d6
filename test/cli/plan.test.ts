// `grantplane plan` in-process (docs/cli.md, C5): options that need no separate process to test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { captureIo } from '../helpers/cli-io.js';
import type { PlanResult } from '../../lib/domain/model.js';

const dir = mkdtempSync(join(tmpdir(), 'grantplane-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = captureIo;

const ARGS = ['plan', '--grants', 'examples/grants.yaml'];
const CONFIG = ['--config', 'examples/grantplane.config.yaml'];

describe('plan --attributes', () => {
  it("carries a pair's current attributes into its uctl file (C5)", async () => {
    const attributes = join(dir, 'attributes.yaml');
    writeFileSync(attributes, 'prod/flytesnacks/development: { projectQuotaCpu: 8, projectQuotaMemory: 32Gi }\n');
    const io = capture();

    expect(await main([...ARGS, ...CONFIG, '--attributes', attributes], io)).toBe(0);

    const plan = JSON.parse(io.out) as PlanResult;
    const pair = plan.targets.find(
      (t) => t.scope.type === 'project-domain' && t.scope.project === 'flytesnacks' && t.scope.domain === 'development',
    );
    expect(pair?.uctl?.yaml).toContain('projectQuotaCpu: "8"');
    expect(pair?.uctl?.yaml).toContain('projectQuotaMemory: "32Gi"');
  });

  it('takes what uctl get prints, as printed (JSON, a YAML stream), from a folder with a subfolder per plane', async () => {
    // Prepare: `uctl get … -o json` for one pair, two `-o yaml` outputs joined by ---, under attributes/prod/
    const folder = join(dir, 'from-uctl');
    mkdirSync(join(folder, 'prod'), { recursive: true });
    writeFileSync(
      join(folder, 'prod', 'flytesnacks-development.json'),
      JSON.stringify(
        {
          project: 'flytesnacks',
          domain: 'development',
          attributes: { projectQuotaCpu: '8', projectQuotaMemory: '32Gi' },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(folder, 'prod', 'more.yaml'),
      [
        'attributes:',
        '  projectQuotaCpu: "16"',
        'domain: staging',
        'project: flytesnacks',
        '---',
        'attributes:',
        '  projectQuotaGpu: "1"',
        'domain: production',
        'project: flytesnacks',
        '',
      ].join('\n'),
    );
    writeFileSync(join(folder, 'README.txt'), 'not read: only .yaml, .yml and .json files count\n');
    const io = capture();

    // Act
    const code = await main([...ARGS, ...CONFIG, '--attributes', folder], io);

    // Assess
    expect(code, io.err).toBe(0);
    const plan = JSON.parse(io.out) as PlanResult;
    const yamlOf = (domain: string) =>
      plan.targets.find(
        (t) =>
          t.dataPlane === 'prod' &&
          t.scope.type === 'project-domain' &&
          t.scope.project === 'flytesnacks' &&
          t.scope.domain === domain,
      )?.uctl?.yaml;
    expect(yamlOf('development')).toContain('projectQuotaMemory: "32Gi"');
    expect(yamlOf('production')).toContain('projectQuotaGpu: "1"'); // the stream's second document
    expect(yamlOf('production')).not.toContain('projectQuotaCpu'); // the configuration's import is replaced
    expect(yamlOf('staging')).toBeUndefined(); // no grant there: the stream's first document only waits
  });

  it('says what to do with a uctl output that names no plane, and with one that names no pair', async () => {
    const single = join(dir, 'uctl-output.yaml');
    writeFileSync(single, 'attributes:\n  projectQuotaCpu: "8"\ndomain: development\nproject: flytesnacks\n');
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, 'attributes:\n  projectQuotaCpu: "8"\n');
    const twice = join(dir, 'twice.yaml');
    writeFileSync(twice, 'prod/a/development: {}\n---\nprod/a/development: {}\n');
    const [io, ioBare, ioTwice] = [capture(), capture(), capture()];

    expect(await main([...ARGS, ...CONFIG, '--attributes', single], io)).toBe(2);
    expect(await main([...ARGS, ...CONFIG, '--attributes', bare], ioBare)).toBe(2);
    expect(await main([...ARGS, ...CONFIG, '--attributes', twice], ioTwice)).toBe(2);

    expect(io.err).toContain('put the file in a folder named after its plane (attributes/prod/…)');
    expect(ioBare.err).toContain('names no project and domain');
    expect(ioTwice.err).toContain('prod/a/development is given twice');
  });

  it('refuses a key without a plane when several AWS planes are configured', async () => {
    const attributes = join(dir, 'short.yaml');
    writeFileSync(attributes, 'flytesnacks/development: { projectQuotaCpu: "8" }\n');
    const io = capture();

    expect(await main([...ARGS, ...CONFIG, '--attributes', attributes], io)).toBe(2);
    expect(io.err).toContain('key "flytesnacks/development" must be "<dataPlane>/<project>/<domain>"');
  });
});

describe('plan --config', () => {
  it('falls back to $GRANTPLANE_CONFIG, and is required without it', async () => {
    const withEnv = capture({ GRANTPLANE_CONFIG: 'examples/grantplane.config.yaml' });
    const without = capture();

    expect(await main(ARGS, withEnv)).toBe(0);
    expect(await main(ARGS, without)).toBe(2);
    expect(without.err).toBe('grantplane: plan: --config <file> is required (see grantplane plan --help)\n');
  });

  it('gives byte-identical output for the same grants in any order, up to indices (docs/rules.md determinism)', async () => {
    const first = capture();
    await main([...ARGS, ...CONFIG], first);
    const reversedFile = join(dir, 'reversed.json');
    const { loadGrantsFile } = await import('../../lib/cli/files.js');
    writeFileSync(reversedFile, JSON.stringify(loadGrantsFile('examples/grants.yaml').reverse()));
    const second = capture();
    await main(['plan', '--grants', reversedFile, ...CONFIG], second);

    const a = JSON.parse(first.out) as PlanResult;
    const b = JSON.parse(second.out) as PlanResult;
    expect(JSON.stringify(b.targets)).toBe(JSON.stringify(a.targets));
    expect(b.infrastructure).toEqual(a.infrastructure);
  });
});
