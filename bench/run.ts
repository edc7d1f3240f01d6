// `npm run bench [-- <name filter>...]`: runs every section in bench/sections/ (alphabetical),
// prints each section's measurements, then one summary table of ratios against their goals.
// Benchmarks report; a missed goal does not change the exit code (a crashed section does).
import { readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { goalMet, goalText, type BenchResult, type BenchSection } from './harness.js';

interface Outcome {
  section: BenchSection;
  result?: BenchResult;
  error?: string;
  seconds: number;
}

async function discover(): Promise<BenchSection[]> {
  const dir = fileURLToPath(new URL('./sections/', import.meta.url));
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort();
  const sections: BenchSection[] = [];
  for (const file of files) {
    const mod = (await import(new URL(`./sections/${file}`, import.meta.url).href)) as {
      default?: unknown;
      section?: unknown;
    };
    const candidate = mod.default ?? mod.section;
    if (!isSection(candidate))
      throw new Error(`bench/sections/${file} exports no BenchSection (default export or "section")`);
    sections.push(candidate);
  }
  return sections;
}

function isSection(value: unknown): value is BenchSection {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BenchSection).name === 'string' &&
    typeof (value as BenchSection).run === 'function'
  );
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((arg) => arg !== '--');
  const sections = (await discover()).filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  const cpus = availableParallelism();
  const load = () => loadavg()[0] ?? 0;
  console.log(
    `grantplane benchmarks — node ${process.version}, ${cpus} CPUs, load ${load().toFixed(1)}, ${sections.length} section(s)\n`,
  );
  const outcomes: Outcome[] = [];
  for (const section of sections) {
    console.log(`## ${section.name}: ${section.description}`);
    const start = performance.now();
    try {
      const result = await section.run();
      const seconds = (performance.now() - start) / 1000;
      outcomes.push({ section, result, seconds });
      for (const m of result.measurements) console.log(`  ${m.label}: ${format(m.value)} ${m.unit}`);
      for (const r of result.ratios)
        console.log(`  ${r.label}: ${r.value.toFixed(2)} (goal ${goalText(r.goal)}) ${goalMet(r) ? 'ok' : 'MISSED'}`);
      for (const note of result.notes ?? []) console.log(`  note: ${note}`);
      console.log(`  (${seconds.toFixed(1)} s)\n`);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      outcomes.push({ section, error: message, seconds: (performance.now() - start) / 1000 });
      console.log(`  FAILED: ${message}\n`);
    }
  }

  const rows: string[][] = [];
  for (const outcome of outcomes) {
    if (outcome.error !== undefined) {
      rows.push([outcome.section.name, 'section crashed', '—', '—', 'ERROR']);
      continue;
    }
    for (const ratio of outcome.result?.ratios ?? []) {
      rows.push([
        outcome.section.name,
        ratio.label,
        ratio.value.toFixed(2),
        goalText(ratio.goal),
        goalMet(ratio) ? 'ok' : 'MISSED',
      ]);
    }
  }
  console.log('## Summary\n');
  console.log(table(['section', 'ratio', 'value', 'goal', 'result'], rows));
  const missed = rows.filter((row) => row[4] === 'MISSED').length;
  const crashed = outcomes.filter((o) => o.error !== undefined).length;
  console.log(`\n${rows.length - missed - crashed} met, ${missed} missed, ${crashed} crashed`);
  if (load() > cpus) {
    console.log(
      `note: load average ${load().toFixed(1)} on ${cpus} CPUs — wall-time ratios are unreliable; compare CPU-time ratios or rerun on a quiet machine`,
    );
  }
  return crashed > 0 ? 1 : 0;
}

process.exitCode = await main();
