// What every use case receives: the ports, the parsed configuration, and the nondeterminism.
import type { GrantplaneConfig } from '../domain/config.js';
import { BadRequestError } from '../domain/errors.js';
import { ConcurrentUpdateError, type Clock, type Ids, type Pause, type Stores } from '../domain/ports.js';
import type { DesiredCache } from './desired-cache.js';

export type { Identity, Role } from '../domain/ports.js';

export interface AppDeps extends Stores {
  config: GrantplaneConfig;
  clock: Clock;
  ids: Ids;
  /** How retry and lease loops wait and jitter; real time and Math.random unless a test injects its own. */
  pause?: Pause;
  /** A warm container's reads for submits, checked against the unit versions when it writes (desired-cache.ts). */
  desiredCache?: DesiredCache;
}

/** Real waiting: setTimeout and Math.random. */
export const realPause: Pause = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export interface RetryOptions {
  /** Attempts in all (first try included). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `fn` again when it loses a write race (ConcurrentUpdateError), with full-jitter exponential
 * backoff, so concurrent requests on one target all succeed instead of answering 409 (docs/api.md).
 * `fn` must re-read what it decides on: every attempt starts from fresh state.
 */
export const withConflictRetry = async <T>(
  deps: { pause?: Pause },
  fn: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> => {
  const pause = deps.pause ?? realPause;
  const attempts = options.attempts ?? 40;
  const base = options.baseDelayMs ?? 10;
  const max = options.maxDelayMs ?? 400;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (error: unknown) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= attempts) throw error;
      await pause.sleep(pause.random() * Math.min(max, base * 2 ** attempt));
    }
  }
};

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 50;

/** The page size of every list (docs/api.md: limit ≤ 100, default 50); anything else is a 400. */
export const pageLimit = (limit: number | undefined): number => {
  const checked = limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(checked) || checked < 1 || checked > MAX_PAGE_LIMIT) {
    throw new BadRequestError([
      { path: 'limit', code: 'limit.invalid', message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` },
    ]);
  }
  return checked;
};
