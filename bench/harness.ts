// The benchmark registration API. A section is a file bench/sections/<name>.ts whose default
// export (or `section` export) is a BenchSection; bench/run.ts discovers and runs them in one
// process, so ratios compare numbers measured on the same machine at the same time.

/** A raw measurement, printed as-is. */
export interface BenchMeasurement {
  label: string;
  value: number;
  unit: string;
}

/** A ratio with its goal; the final summary shows whether the goal was met. */
export interface BenchRatio {
  label: string;
  value: number;
  /** Met when value ≤ max (and ≥ min, when given). */
  goal: { max?: number; min?: number };
}

export interface BenchResult {
  measurements: BenchMeasurement[];
  ratios: BenchRatio[];
  notes?: string[];
}

export interface BenchSection {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

/** Identity helper so section files type-check their export. */
export function defineSection(section: BenchSection): BenchSection {
  return section;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) throw new Error('median of nothing');
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` `runs` times and returns each duration in milliseconds. */
export async function timeRuns(runs: number, fn: () => Promise<void> | void): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** Whether a ratio meets its goal. */
export function goalMet(ratio: BenchRatio): boolean {
  return (
    (ratio.goal.max === undefined || ratio.value <= ratio.goal.max) &&
    (ratio.goal.min === undefined || ratio.value >= ratio.goal.min)
  );
}

/** A goal as text: `≤ 3`, `≥ 0.9`, `0.9–1.1`. */
export function goalText(goal: BenchRatio['goal']): string {
  if (goal.max !== undefined && goal.min !== undefined) return `${goal.min}–${goal.max}`;
  if (goal.max !== undefined) return `≤ ${goal.max}`;
  if (goal.min !== undefined) return `≥ ${goal.min}`;
  return '—';
}
