// Section (a): the whole `grantplane plan` process — start-up, file parsing, validation,
// compilation, JSON output — for 10,000 grants over 2,000 project-domains vs 10 grants.
// Goal: the large plan costs at most 3× the small one, i.e. the engine's work is small next to
// the process start-up a CI job pays anyway.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { benchConfig, generateGrants } from '../fixtures.js';
import { defineSection, median, timeRuns } from '../harness.js';

const BIN = fileURLToPath(new URL('../../bin/grantplane.mjs', import.meta.url));
const LARGE = { grants: 10_000, pairs: 2_000 };
const SMALL = { grants: 10, pairs: 2 };
/** Runs per size; medians of several interleaved runs, since CI machines are shared and noisy. */
const RUNS = 5;

interface PlanRun {
  code: number | null;
  bytes: number;
  stderr: string;
}

/** Runs the CLI with stdout drained (counted, not kept) so output size does not skew memory. */
function runPlan(args: string[]): Promise<PlanRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'plan', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, bytes, stderr }));
  });
}

export default defineSection({
  name: 'plan-process',
  description: `grantplane plan process, ${LARGE.grants.toLocaleString('en-US')} grants over ${LARGE.pairs.toLocaleString('en-US')} project-domains vs ${SMALL.grants} grants`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-bench-'));
    try {
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify(benchConfig()));
      const files = { small: join(dir, 'small.json'), large: join(dir, 'large.json') };
      writeFileSync(files.small, JSON.stringify(generateGrants(SMALL.grants, SMALL.pairs)));
      writeFileSync(files.large, JSON.stringify(generateGrants(LARGE.grants, LARGE.pairs)));

      const results: Record<'small' | 'large', PlanRun | undefined> = { small: undefined, large: undefined };
      const measure = (which: 'small' | 'large') => async () => {
        const outcome = await runPlan(['--config', config, '--grants', files[which]]);
        if (outcome.code !== 0 && outcome.code !== 1)
          throw new Error(`plan (${which}) exited ${outcome.code}: ${outcome.stderr.trim()}`);
        results[which] = outcome;
      };
      await measure('small')(); // warm the file system cache and tsx's transform cache
      // Interleave the runs so both sizes see the same machine conditions.
      const small: number[] = [];
      const large: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        small.push(...(await timeRuns(1, measure('small'))));
        large.push(...(await timeRuns(1, measure('large'))));
      }
      // The engine alone, in this process, to tell engine time from start-up and output time.
      const parsedConfig = parseConfig(benchConfig());
      const largeRequests = generateGrants(LARGE.grants, LARGE.pairs);
      const engine = await timeRuns(3, () => {
        planGrants({ config: parsedConfig, requests: largeRequests, now: new Date() });
      });
      const smallMs = median(small);
      const largeMs = median(large);
      const notes: string[] = [];
      for (const which of ['small', 'large'] as const) {
        if (results[which]?.code !== 0)
          notes.push(`the ${which} plan rejected grants (exit ${results[which]?.code}); fix the generator`);
      }
      return {
        measurements: [
          { label: `plan ${SMALL.grants} grants (median of ${small.length})`, value: Math.round(smallMs), unit: 'ms' },
          {
            label: `plan ${LARGE.grants.toLocaleString('en-US')} grants (median of ${large.length})`,
            value: Math.round(largeMs),
            unit: 'ms',
          },
          {
            label: `in-process planGrants, ${LARGE.grants.toLocaleString('en-US')} grants (median of 3)`,
            value: Math.round(median(engine)),
            unit: 'ms',
          },
          { label: 'large plan output', value: Math.round((results.large?.bytes ?? 0) / 1024), unit: 'KiB' },
        ],
        ratios: [{ label: 'large ÷ small process time', value: largeMs / smallMs, goal: { max: 3 } }],
        notes,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
