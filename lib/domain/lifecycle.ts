// The grant lifecycle (docs/api.md "Grant statuses"): every move a grant may make, and the one
// function that makes it — status, time, history entry and version together — for every use case
// (approve, reject, revoke, expire, the applier's active/failed/revoked).
import { StateConflictError } from './errors.js';
import type { GrantRecord, GrantStatus } from './records.js';

/** From each status, the statuses a grant may move to. Ended statuses lead nowhere. */
export const GRANT_TRANSITIONS: Readonly<Record<GrantStatus, readonly GrantStatus[]>> = {
  'pending-approval': ['approved', 'rejected', 'revoked', 'expired'],
  approved: ['active', 'failed', 'revoking'],
  active: ['revoking'],
  failed: ['active', 'revoking'],
  rejected: [],
  revoking: ['revoked', 'expired'],
  revoked: [],
  expired: [],
};

export interface StatusChangeInput {
  actor: string;
  /** ISO 8601 time of the change. */
  at: string;
  comment?: string;
  /** Set with `approved`. */
  approvedBy?: string;
  /** Set with `failed` (and kept only there). */
  failureReason?: string;
  /** Set with `revoking`: how the grant ends once IAM no longer has it. */
  endingAs?: 'revoked' | 'expired';
}

/**
 * The grant after one move of its lifecycle, or StateConflictError (409 `grant.illegal-transition`)
 * for a move the lifecycle does not have. The caller stores it conditional on the old version.
 */
export function transition(grant: GrantRecord, to: GrantStatus, change: StatusChangeInput): GrantRecord {
  if (!GRANT_TRANSITIONS[grant.status].includes(to)) {
    throw new StateConflictError('grant.illegal-transition', `A ${grant.status} grant cannot become ${to}`);
  }
  const { failureReason: _previous, ...rest } = grant;
  return {
    ...rest,
    ...(change.approvedBy === undefined ? {} : { approvedBy: change.approvedBy }),
    ...(change.endingAs === undefined ? {} : { endingAs: change.endingAs }),
    ...(to === 'failed' && change.failureReason !== undefined ? { failureReason: change.failureReason } : {}),
    status: to,
    updatedAt: change.at,
    history: [
      ...grant.history,
      {
        status: to,
        at: change.at,
        actor: change.actor,
        ...(change.comment === undefined ? {} : { comment: change.comment }),
      },
    ],
    version: grant.version + 1,
  };
}
