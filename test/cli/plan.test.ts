// `grantplane plan` in-process (docs/cli.md, C5): options that need no separate process to test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
