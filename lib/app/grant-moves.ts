// Moving a target's waiting grants on once the applier knows how its apply ended (docs/api.md grant
// statuses): the one place the applier's grant transitions happen, for AWS targets and for GCP and
// Azure planes alike.
import { transition } from '../domain/lifecycle.js';
import { ConcurrentUpdateError } from '../domain/ports.js';
import type { GrantRecord, GrantStatus } from '../domain/records.js';
import type { AppDeps } from './deps.js';

/** The applier's actor name in grant history and audit events. */
export const APPLIER_ACTOR = 'applier';
const ACTOR = APPLIER_ACTOR;

export interface MoveDeps extends Pick<AppDeps, 'grants' | 'clock' | 'ids'> {
  log: { info(message: string, attributes?: Record<string, unknown>): void };
}

export interface GrantMove {
  status: 'ok' | 'error';
  iamCalls: string[];
  detail: string;
  /** Grants the plane's compilation refuses (grant id → why): never `active`, `failed` instead. */
  refused?: ReadonlyMap<string, string>;
}

/**
 * Moves the target's waiting grants on: after a successful apply approved/failed → active and
 * revoking → revoked (or expired, per its `endingAs`); after a lasting failure approved → failed (with the reason). A grant that
 * changed meanwhile (version moved) is left to the run its own change triggers.
 */
export async function moveGrants(
  deps: MoveDeps,
  candidates: readonly GrantRecord[],
  move: GrantMove,
  outcome: { grantChanges: string[] },
): Promise<void> {
  for (const grant of candidates) {
    let next: GrantStatus | null = null;
    let detail = move.detail;
    const refusal = move.refused?.get(grant.id);
    if (move.status === 'ok') {
      if (refusal !== undefined && grant.status !== 'revoking') {
        // Compiled out (e.g. two concurrent approvals that together exceed the role's policy
        // quota, C3): its statements are not in IAM, so it is not active.
        if (grant.status === 'approved') next = 'failed';
        detail = `not applied: ${refusal}`;
      } else if (grant.status === 'approved' || grant.status === 'failed') next = 'active';
      // Revoked, or expired when the schedule ended it (docs/api.md: once its statements are gone).
      else if (grant.status === 'revoking') next = grant.endingAs ?? 'revoked';
    } else if (grant.status === 'approved') {
      next = 'failed';
    }
    if (next === null) continue;
    const at = deps.clock.now().toISOString();
    const updated = transition(grant, next, {
      actor: ACTOR,
      at,
      comment: detail,
      ...(next === 'failed' ? { failureReason: detail } : {}),
    });
    try {
      await deps.grants.updateGrant(
        updated,
        {
          id: deps.ids.next(),
          at,
          actor: ACTOR,
          action: `grant.${next}`,
          grantId: grant.id,
          targetKey: grant.targetKey,
          before: { status: grant.status },
          after: { status: next },
          iamCalls: move.iamCalls,
          result: next === 'failed' ? 'error' : move.status,
          detail,
        },
        { previousStatus: grant.status },
      );
      outcome.grantChanges.push(`${grant.id} ${grant.status} → ${next}`);
    } catch (error: unknown) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      deps.log.info('grant changed meanwhile: left to its own run', { grantId: grant.id });
    }
  }
}
