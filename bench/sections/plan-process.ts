// Section (a): the whole `grantplane plan` process — start-up, file parsing, validation,
// compilation, JSON output — for 10,000 grants over 2,000 project-domains vs 10 grants.
// Goal: the large plan costs at most 3× the small one, i.e. the engine's work stays small next to
// the process start-up a CI job pays anyway. Wall time is the goal; CPU time (user + system, via
// /usr/bin/time when present) is shown beside it because it barely moves when the machine is shared.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { benchConfig, generateGrants } from '../fixtures.js';
import { defineSection, median, timeRuns, type BenchMeasurement, type BenchRatio } from '../harness.js';

const BIN = fileURLToPath(new URL('../../bin/grantplane.mjs', import.meta.url));
const LARGE = { grants: 10_000, pairs: 2_000 };
const SMALL = { grants: 10, pairs: 2 };
/** Runs per size; medians of several interleaved runs, since CI machines are shared and noisy. */
const RUNS = 5;
const TIME = '/usr/bin/time';
const CPU_MARK = 'GRANTPLANE_BENCH_CPU';

interface PlanRun {
  code: number | null;
  bytes: number;
  stderr: string;
  wallMs: number;
  /** user + system CPU of the CLI process, when /usr/bin/time is available. */
  cpuMs: number | undefined;
}

/** Runs the CLI with stdout drained (counted, not kept) so output size does not skew memory. */
function runPlan(args: string[]): Promise<PlanRun> {
  const command = [process.execPath, BIN, 'plan', ...args];
  const withTime = existsSync(TIME);
  const [file, ...argv] = withTime ? [TIME, '-f', `${CPU_MARK} %U %S`, ...command] : command;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      const match = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(stderr);
      const cpuMs = match ? (Number(match[1]) + Number(match[2])) * 1000 : undefined;
      resolve({ code, bytes, stderr: stderr.replace(/^.*GRANTPLANE_BENCH_CPU.*$/m, '').trim(), wallMs, cpuMs });
    });
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

      const runs: Record<'small' | 'large', PlanRun[]> = { small: [], large: [] };
      const measure = async (which: 'small' | 'large') => {
        const outcome = await runPlan(['--config', config, '--grants', files[which]]);
        if (outcome.code !== 0 && outcome.code !== 1) {
          throw new Error(`plan (${which}) exited ${outcome.code}: ${outcome.stderr}`);
        }
        return outcome;
      };
      await measure('small'); // warm the file system cache and tsx's transform cache
      // Interleave the runs so both sizes see the same machine conditions.
      for (let i = 0; i < RUNS; i += 1) {
        runs.small.push(await measure('small'));
        runs.large.push(await measure('large'));
      }
      // The engine alone, in this process, to tell engine time from start-up and output time.
      const parsedConfig = parseConfig(benchConfig());
      const largeRequests = generateGrants(LARGE.grants, LARGE.pairs);
      const engine = await timeRuns(3, () => {
        planGrants({ config: parsedConfig, requests: largeRequests, now: new Date() });
      });

      const wall = { small: median(runs.small.map((r) => r.wallMs)), large: median(runs.large.map((r) => r.wallMs)) };
      const large = LARGE.grants.toLocaleString('en-US');
      const measurements: BenchMeasurement[] = [
        { label: `plan ${SMALL.grants} grants, wall (median of ${RUNS})`, value: Math.round(wall.small), unit: 'ms' },
        { label: `plan ${large} grants, wall (median of ${RUNS})`, value: Math.round(wall.large), unit: 'ms' },
      ];
      const ratios: BenchRatio[] = [
        { label: 'large ÷ small process wall time', value: wall.large / wall.small, goal: { max: 3 } },
      ];
      const cpuSmall = runs.small.map((r) => r.cpuMs);
      const cpuLarge = runs.large.map((r) => r.cpuMs);
      if (cpuSmall.every((v) => v !== undefined) && cpuLarge.every((v) => v !== undefined)) {
        const cpu = { small: median(cpuSmall as number[]), large: median(cpuLarge as number[]) };
        measurements.push(
          { label: `plan ${SMALL.grants} grants, CPU (median of ${RUNS})`, value: Math.round(cpu.small), unit: 'ms' },
          { label: `plan ${large} grants, CPU (median of ${RUNS})`, value: Math.round(cpu.large), unit: 'ms' },
        );
        ratios.push({ label: 'large ÷ small process CPU time', value: cpu.large / cpu.small, goal: { max: 3 } });
      }
      measurements.push(
        {
          label: `in-process planGrants, ${large} grants (median of 3)`,
          value: Math.round(median(engine)),
          unit: 'ms',
        },
        { label: 'large plan output', value: Math.round((runs.large[0]?.bytes ?? 0) / 1024), unit: 'KiB' },
      );
      const notes: string[] = [];
      for (const which of ['small', 'large'] as const) {
        const code = runs[which][0]?.code;
        if (code !== 0) notes.push(`the ${which} plan rejected grants (exit ${code}); fix the generator`);
      }
      return { measurements, ratios, notes };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
