// Small statistics for the benchmark sections: percentiles by nearest rank, so a p95 of 300
// samples is an observed value, never an interpolation between two.

/** The p-th percentile (0 < p ≤ 100) of a non-empty list, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Milliseconds rounded for display: two decimals below 10, one below 100, none above. */
export function ms(value: number): number {
  return value >= 100 ? Math.round(value) : value >= 10 ? Math.round(value * 10) / 10 : Math.round(value * 100) / 100;
}
