// Expiry of time-bound grants (docs/drift-and-expiry.md, R8): the schedule ends every grant past its `expiresAt`
// that has not ended yet. Each one goes through the normal path — expireGrant (audited; `expired`
// at once when pending, else `revoking` with `endingAs: 'expired'`) → target recompute → the applier
// removes the access and only then moves it to `expired` (docs/api.md) — so nothing here touches IAM.
import { OPEN_STATUSES, type GrantRecord, type GrantStatus } from '../domain/records.js';
import type { AppDeps } from './deps.js';
import { expireGrant } from './grants.js';
import { recomputePlaneTargets } from './targets.js';

/**
 * Statuses a grant can expire from: not ended yet. `failed` is included (besides pending,
 * approved and active): a failed grant is still desired and retried, so it must end with its time too.
 */

/** One grant the run ended. */
export interface ExpiredGrant {
  grantId: string;
  dataPlane: string;
  targetKey: string;
  expiresAt: string;
  /** The status it had before (`active`, `approved`, …). */
  previousStatus: GrantStatus;
  /** True when it was part of the desired state: its target was recomputed and must be applied. */
  desiredBefore: boolean;
}

export interface ExpiryResult {
  expired: ExpiredGrant[];
  /** Targets whose desired state changed because a desired grant expired (for the applier). */
  targetKeys: string[];
  /** Grants that could not be expired this run (the next run tries again). */
  errors: { grantId: string; error: string }[];
}

const isDue = (grant: GrantRecord, nowMs: number): boolean =>
  grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= nowMs;

/**
 * Ends every due grant of every configured plane (GCP/Azure planes too: their grants are stored the
 * same way). The status index is read per plane and each grant re-read strongly by expireGrant, so
 * a grant revoked or approved meanwhile is decided on its current state. One grant's failure does
 * not stop the others; it is reported and retried by the next run.
 */
export async function expireDueGrants(deps: AppDeps, actor = 'schedule'): Promise<ExpiryResult> {
  const nowMs = deps.clock.now().getTime();
  const result: ExpiryResult = { expired: [], targetKeys: [], errors: [] };
  const keys = new Set<string>();
  for (const plane of deps.config.dataPlanes) {
    const due = (await deps.grants.listGrantsByStatus(plane.name, OPEN_STATUSES))
      .filter((grant) => isDue(grant, nowMs))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const grant of due) {
      try {
        const ended = await expireGrant(deps, { id: grant.id, actor, deferRecompute: true });
        if (ended === null) continue; // ended meanwhile, or its expiresAt was moved
        const previous = [...ended.history].reverse()[1]?.status ?? grant.status;
        const desiredBefore = previous === 'approved' || previous === 'active' || previous === 'failed';
        result.expired.push({
          grantId: ended.id,
          dataPlane: ended.dataPlane,
          targetKey: ended.targetKey,
          expiresAt: ended.expiresAt ?? '',
          previousStatus: previous,
          desiredBefore,
        });
        if (desiredBefore) keys.add(ended.targetKey);
      } catch (error: unknown) {
        result.errors.push({ grantId: grant.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    // The plane's expiries are one change: one recompute, one blast-radius check (A6). A crash
    // before it leaves the grants `revoking`; the applier's repair recompute finishes it (A4).
    if (result.expired.some((entry) => entry.dataPlane === plane.name && entry.desiredBefore))
      await recomputePlaneTargets(deps, plane.name);
  }
  result.targetKeys = [...keys].sort();
  return result;
}
