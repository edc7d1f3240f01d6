// Held changes (A6): a recompute that would take access from more than half of a plane's targets
// (and more than two) keeps those targets as they are and stores the change; an admin reads it and
// releases it here (audited), or it clears itself when the grants behind it come back.
import { NotFoundError, StateConflictError } from '../domain/errors.js';
import type { HeldChange, Page } from '../domain/records.js';
import { pageLimit, type AppDeps, type Identity } from './deps.js';
import { pageByKey } from './cursor.js';
import { recomputePlaneTargets } from './targets.js';

/** The configured planes' held changes by plane name, cursor-paged like every list. */
export const listHeldChanges = async (
  deps: AppDeps,
  page: { limit?: number | undefined; cursor?: string | undefined } = {},
): Promise<Page<HeldChange>> => {
  const holds = await deps.holds.getHolds(deps.config.dataPlanes.map((plane) => plane.name));
  return pageByKey(holds, (hold) => hold.dataPlane, pageLimit(page.limit), page.cursor);
};

const mustGetHold = async (deps: AppDeps, dataPlane: string): Promise<HeldChange> => {
  if (!deps.config.dataPlanes.some((plane) => plane.name === dataPlane)) {
    throw new NotFoundError('data-plane.not-found', `No data plane is named "${dataPlane}"`);
  }
  const [hold] = await deps.holds.getHolds([dataPlane]);
  if (hold === undefined) {
    throw new NotFoundError(
      'held-change.not-found',
      `Plane ${dataPlane} has no held change: nothing waits for a release`,
    );
  }
  return hold;
};

/** `GET /v1/held-changes/{dataPlane}`. */
export const getHeldChange = (deps: AppDeps, dataPlane: string): Promise<HeldChange> => mustGetHold(deps, dataPlane);

export interface ReleaseResult {
  released: HeldChange;
  /** Target keys written by the release: the applier removes their access now. */
  changed: string[];
}

/**
 * Releases the plane's held change: the recompute writes exactly the losses the hold lists (same
 * target, same proposed desired state). When the plane moved on since (other removals on top, or
 * a held target now heading somewhere else), the guard holds the new change instead and this
 * answers 409 `held-change.changed`: review it again.
 */
export const releaseHeldChange = async (
  deps: AppDeps,
  input: { dataPlane: string; actor: Identity; comment?: string },
): Promise<ReleaseResult> => {
  const hold = await mustGetHold(deps, input.dataPlane);
  const result = await recomputePlaneTargets(deps, input.dataPlane, { release: hold });
  if (result.held !== null) {
    throw new StateConflictError(
      'held-change.changed',
      `The held change of plane ${input.dataPlane} changed since it was read (${result.held.targets.length} targets would lose access now): review it again (GET /v1/held-changes/${input.dataPlane}) before releasing it`,
    );
  }
  await deps.audit.appendAudit({
    id: deps.ids.next(),
    at: deps.clock.now().toISOString(),
    actor: input.actor.sub,
    action: 'change.released',
    targetKey: `${input.dataPlane}#*`,
    before: { targets: hold.targets.map((target) => target.targetKey), heldAt: hold.heldAt },
    after: { changed: result.changed },
    result: 'ok',
    detail: input.comment ?? `released the held change of plane ${input.dataPlane}`,
  });
  return { released: hold, changed: result.changed };
};
