// A short-lived, per-container cache of a plane's desired state (its desired grants and imported
// attributes) for the ADVISORY quota check of a submit that lands in `pending-approval` (docs/api.md,
// C3). Why it is safe: a pending grant changes no desired state, and approveGrant re-checks the quota
// against fresh, strongly consistent reads before the grant can reach IAM — so a stale cache can at
// worst let a doomed request wait for approval, where it is refused with the quota code, never let
// one through to IAM. Every submit that changes desired state at once (auto-approved, pre-approved)
// reads fresh state, as do approve, revoke, expire and every recompute.
//
// Why it exists (issue 3: POST /v1/grants median ≤ 1.5 × one raw TransactWriteItems): the submit made
// two round trips, the plane read for the quota check and the create transaction. Measured on
// DynamoDB Local, the read alone put the handler at ~1.9–2.2 × the raw write; trimming CPU could not
// close that gap. Chosen: this cache (the read leaves the hot path: ~1.2–1.3 ×) plus planning only
// the new request's neighbours, not the whole plane (grants.ts `neighboursOf`), so the engine's cost
// per submit no longer grows with the plane. Not chosen: a longer TTL (more doomed requests waiting
// for approval) and caching compiled plans (identical requests are rare outside a benchmark).
// What a stale entry can change on a pending grant besides the quota verdict: the R9 `duplicate.repeat`
// note may be missing (the grant is still compiled once, R9 is enforced when targets are recompiled).
//
// Bounds on staleness: an entry lives at most `ttlMs` (default 5 s) from the moment its read was
// issued; this container's own writes that touch a plane's desired state (through the store that
// `invalidatingStore` wraps) drop the plane's entry at once, and a read that was in flight across
// such a write is never stored.
import type { AttributeRecord, GrantRecord, GrantStore } from '../domain/ports.js';
import { DESIRED_STATUSES } from '../domain/ports.js';
import type { AppDeps } from './deps.js';

/** What the quota check needs of a plane: its desired grants (sorted by id) and its imported attributes. */
export interface PlaneState {
  desired: readonly GrantRecord[];
  attributes: readonly AttributeRecord[];
}

export interface PlaneCache {
  /**
   * The plane's state as read at most the TTL ago, else `load()` (concurrent callers share one read);
   * `fresh`: always `load()` — an authoritative read, which also warms the advisory path.
   */
  get(dataPlane: string, load: () => Promise<PlaneState>, options?: { fresh?: boolean }): Promise<PlaneState>;
  /** Drops the plane's entry: this container changed its desired state. */
  invalidate(dataPlane: string): void;
}

export interface PlaneCacheOptions {
  /** How long an entry serves advisory checks, from when its read started (default 5,000 ms). */
  ttlMs?: number;
  /** Monotonic milliseconds (tests pass their own). */
  now?: () => number;
}

export const DEFAULT_PLANE_CACHE_TTL_MS = 5_000;

interface Entry {
  readStartedAt: number;
  state: Promise<PlaneState>;
}

/** A per-container plane cache (build one per process, next to the store it fronts). */
export const makePlaneCache = (options: PlaneCacheOptions = {}): PlaneCache => {
  const ttlMs = options.ttlMs ?? DEFAULT_PLANE_CACHE_TTL_MS;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  // Bumped by every invalidation: a read that started under an older generation is not stored.
  const generations = new Map<string, number>();
  const generationOf = (dataPlane: string): number => generations.get(dataPlane) ?? 0;

  const cache: PlaneCache = {
    get(dataPlane, load, options = {}) {
      const entry = entries.get(dataPlane);
      if (options.fresh !== true && entry !== undefined && now() - entry.readStartedAt < ttlMs) return entry.state;
      const generation = generationOf(dataPlane);
      const fresh: Entry = { readStartedAt: now(), state: load() };
      // A read that a write of this container overtakes (generation moved) is answered, not stored.
      const store = () => {
        const current = entries.get(dataPlane);
        if (
          generationOf(dataPlane) === generation &&
          (current === undefined || current.readStartedAt <= fresh.readStartedAt)
        ) {
          entries.set(dataPlane, fresh);
        }
      };
      store();
      // A failed read is not remembered; the next caller tries again.
      fresh.state.then(store, () => {
        if (entries.get(dataPlane) === fresh) entries.delete(dataPlane);
      });
      return fresh.state;
    },
    invalidate(dataPlane) {
      generations.set(dataPlane, generationOf(dataPlane) + 1);
      entries.delete(dataPlane);
    },
  };
  return cache;
};

/**
 * The store with every write that can change a plane's desired state (a grant created or updated
 * into or out of a desired status, an attribute import) dropping that plane's cache entry, whichever
 * use case makes it. A pending create changes nothing desired, so it keeps the entry warm.
 */
export const invalidatingStore = (store: GrantStore, cache: PlaneCache): GrantStore => {
  const after = async <T>(dataPlane: string, write: Promise<T>): Promise<T> => {
    // Dropped before and after: a read racing the write is discarded by the generation check, and
    // one issued after the write starts sees it or is dropped again when the write completes.
    cache.invalidate(dataPlane);
    try {
      return await write;
    } finally {
      cache.invalidate(dataPlane);
    }
  };
  const overrides: Partial<GrantStore> = {
    createGrant: (grant, audit) =>
      DESIRED_STATUSES.includes(grant.status)
        ? after(grant.dataPlane, store.createGrant(grant, audit))
        : store.createGrant(grant, audit),
    updateGrant: (next, audit, options) => after(next.dataPlane, store.updateGrant(next, audit, options)),
    putAttributes: (record, audit) => after(record.dataPlane, store.putAttributes(record, audit)),
  };
  // Every other method is the store's own, bound once (the store may be a class instance).
  const bound = new Map<PropertyKey, { of: unknown; fn: unknown }>();
  return new Proxy(store, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property in overrides) return overrides[property as keyof GrantStore];
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const known = bound.get(property);
      if (known !== undefined && known.of === value) return known.fn;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      bound.set(property, { of: value, fn });
      return fn;
    },
  });
};

/** `deps` with a fresh plane cache and the store that keeps it honest (one per container). */
export const withPlaneCache = <D extends AppDeps>(deps: D, options: PlaneCacheOptions = {}): D => {
  const planeCache = makePlaneCache(options);
  return { ...deps, store: invalidatingStore(deps.store, planeCache), planeCache };
};
