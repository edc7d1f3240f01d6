// What every use case receives: the ports, the parsed configuration, and the nondeterminism.
import type { GrantplaneConfig } from '../domain/config.js';
import { BadRequestError } from '../domain/errors.js';
import {
  ConcurrentUpdateError,
  type AttributeStore,
  type AuditLog,
  type Clock,
  type DeliveryStore,
  type DriftStore,
  type GrantStore,
  type HoldStore,
  type Ids,
  type InfrastructureUpdateStore,
  type LeaseStore,
  type Pause,
  type PlaneStore,
  type SourceStore,
  type TargetStore,
} from '../domain/ports.js';

export type { Identity, Role } from '../domain/ports.js';

export interface AppDeps {
  grants: GrantStore;
  /** Each target's desired and applied state. */
  targets: TargetStore;
  /** Imported cluster resource attributes and the uctl updates made from them. */
  attributes: AttributeStore;
  /** The applier's per-target leases. */
  leases: LeaseStore;
  audit: AuditLog;
  /** Webhook deliveries (replay protection). */
  deliveries: DeliveryStore;
  /** Drift reports and the drift run's policy-tag cache. */
  driftReports: DriftStore;
  /** Git sources' last synced commits. */
  sources: SourceStore;
  /** The planes' desired state: unit and plane snapshots to plan from, guarded target writes. */
  planes: PlaneStore;
  /** Held changes (A6): a recompute that would take most of a plane's access waits for an admin. */
  holds: HoldStore;
  /** Cross-account ECR repository policies to apply, tracked and acknowledged like uctl updates. */
  infrastructure: InfrastructureUpdateStore;
  config: GrantplaneConfig;
  clock: Clock;
  ids: Ids;
  /** How retry and lease loops wait and jitter; real time and Math.random unless a test injects its own. */
  pause?: Pause;
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
