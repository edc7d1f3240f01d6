// autocannon (devDependency, CommonJS, no type declarations) through its programmatic API, typed
// to the parts the benchmarks read.
import { createRequire } from 'node:module';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Per-request timeout in seconds. */
  timeout?: number;
}

interface Histogram {
  average: number;
  mean: number;
  min: number;
  max: number;
  total?: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
}

export interface LoadResult {
  requests: Histogram & { sent: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

type Autocannon = (options: LoadOptions & { url: string }) => Promise<LoadResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Runs one bounded load (duration and connections as given) and resolves with autocannon's result. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return autocannon({ timeout: 10, ...options });
}
