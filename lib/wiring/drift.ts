// Composition root of the drift/expiry Lambda: the applier's wiring with IAM read through each plane's
// read-only role, and the policy tags cached in the table (they survive cold starts).
import type { ApplierLog } from '../app/applier.js';
import { makeStorePolicyTagCache, type DriftMetrics, type DriftRunDeps } from '../app/drift-run.js';
import { liveApplierDeps, liveIamSource } from './applier.js';

let live: DriftRunDeps | undefined;

/**
 * Sets the deps liveDriftDeps gives from now on: the local stack (`npm start`) passes its own, whose
 * IAM reaches each plane's account in the emulator, so POST /v1/drift-checks run in-process uses them.
 */
export function useLiveDriftDeps(deps: DriftRunDeps): void {
  live = deps;
}

/** The live deps, built once: reads only, in every account (planes elsewhere through their drift role). */
export function liveDriftDeps(log: ApplierLog, metrics: DriftMetrics): DriftRunDeps {
  if (live !== undefined) return live;
  const base = liveApplierDeps(log);
  live = {
    ...base,
    iamFor: liveIamSource('drift'),
    tagCache: makeStorePolicyTagCache(base.driftReports, base.clock),
    metrics,
  };
  return live;
}
