// What every use case receives: the ports, the parsed configuration, and the nondeterminism.
import type { GrantplaneConfig } from '../domain/config.js';
import { ConcurrentUpdateError, type Clock, type GrantStore, type Ids } from '../domain/ports.js';

export type { Identity, Role } from '../domain/ports.js';

export interface AppDeps {
  store: GrantStore;
  config: GrantplaneConfig;
  clock: Clock;
  ids: Ids;
}

export interface RetryOptions {
  /** Attempts in all (first try included). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` again when it loses a write race (ConcurrentUpdateError), with full-jitter exponential
 * backoff, so concurrent requests on one target all succeed instead of answering 409 (DESIGN §8).
 * `fn` must re-read what it decides on: every attempt starts from fresh state.
 */
export const withConflictRetry = async <T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> => {
  const attempts = options.attempts ?? 40;
  const base = options.baseDelayMs ?? 10;
  const max = options.maxDelayMs ?? 400;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (error: unknown) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= attempts) throw error;
      await sleep(Math.random() * Math.min(max, base * 2 ** attempt));
    }
  }
};
