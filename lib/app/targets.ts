// Targets: the compiled desired state per (plane, project-domain) and per plane (global), what was
// last applied, and the pair's uctl file (docs/rules.md, docs/api.md GET /v1/targets).
import { NotFoundError } from '../domain/errors.js';
import { canonicalJson } from '../domain/compile/hash.js';
import { planGrants } from '../domain/engine.js';
import { blastRadius } from '../domain/reconcile/blast-radius.js';
import type { CompiledTarget, Scope } from '../domain/model.js';
import {
  DESIRED_STATUSES,
  targetKey,
  type AttributeRecord,
  type AttributeUpdate,
  type DesiredTargetWrite,
  type GrantRecord,
  type HeldChange,
  type InfrastructureUpdate,
  type Page,
  type TargetRecord,
} from '../domain/ports.js';
import { pageByKey } from './cursor.js';
import { pageLimit, withConflictRetry, type AppDeps } from './deps.js';
import { recordInfrastructureUpdates } from './infrastructure.js';

/** A target as the API shows it: the stored record plus the pair's latest uctl update. */
export interface TargetView extends TargetRecord {
  /** The latest recorded uctl attribute update of the pair (null for the global target or none yet). */
  uctlUpdate: AttributeUpdate | null;
  /** Global target: the plane's tracked infrastructure updates (cross-account ECR repository policies). */
  infrastructureUpdates?: InfrastructureUpdate[];
}

/** The request a stored grant stands for, as the engine plans it. */
export const planRequestOf = (grant: GrantRecord, options: { withExpiry: boolean }) => ({
  dataPlane: grant.dataPlane,
  scope: grant.scope,
  resource: grant.resource,
  ...(grant.justification === undefined ? {} : { justification: grant.justification }),
  // Expiry is the schedule's job (audited status change), so desired state never changes silently
  // with the clock: stored grants are planned without it, only a new request is checked (R8).
  ...(options.withExpiry && grant.expiresAt !== undefined ? { expiresAt: grant.expiresAt } : {}),
  ...(grant.ticket === undefined ? {} : { ticket: grant.ticket }),
});

/** Imported attributes keyed `<dataPlane>/<project>/<domain>`, as planGrants takes them. */
export const attributesInput = (records: readonly AttributeRecord[]): Record<string, Record<string, string>> =>
  Object.fromEntries(records.map((r) => [`${r.dataPlane}/${r.project}/${r.domain}`, r.attributes]));

/** Stable JSON (sorted keys, undefined dropped), so a stored target compares equal to a recompiled one. */
export { canonicalJson };

const sameDesired = (a: CompiledTarget | null, b: CompiledTarget | null): boolean =>
  canonicalJson(a) === canonicalJson(b);

export interface RecomputeResult {
  dataPlane: string;
  /** Target keys whose desired state was written (desiredVersion + 1). */
  changed: string[];
  /** The change held by the blast-radius guard (A6): its targets kept their desired state. */
  held: HeldChange | null;
}

export interface RecomputeOptions {
  /**
   * An admin's release of the plane's held change: the losses it lists (same target, same
   * proposed state) are written; anything else still passes the guard.
   */
  release?: HeldChange;
}

/**
 * Recompiles every target of a plane from its desired grants (DESIRED_STATUSES) and imported
 * attributes, and writes each target whose compiled output changed with desiredVersion + 1 — the
 * write the applier picks up from the stream. A target nothing desires any more gets desired=null.
 * Reads are strongly consistent and the write is conditional on the plane version, so concurrent
 * recomputes never lose a grant; conflicts are retried with jittered backoff.
 *
 * A6: when the change would take access from more than half of the plane's targets (and more than
 * two), those targets are not written — they keep their desired state, so nothing is removed — and
 * the change is stored as the plane's held change (audited `change.held`) for an admin to release
 * (releaseHeldChange). Targets that lose nothing are written as usual. A recompute whose change no
 * longer trips the guard clears the hold (audited `change.hold-cleared`).
 */
export const recomputePlaneTargets = (
  deps: AppDeps,
  dataPlane: string,
  options: RecomputeOptions = {},
): Promise<RecomputeResult> =>
  withConflictRetry(async () => {
    const snapshot = await deps.store.getPlaneSnapshot(dataPlane);
    const grants = (await deps.store.getGrants(snapshot.desiredGrantIds))
      .filter((grant) => grant.dataPlane === dataPlane && DESIRED_STATUSES.includes(grant.status))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const now = deps.clock.now();
    const plan = planGrants({
      config: deps.config,
      requests: grants.map((grant) => planRequestOf(grant, { withExpiry: false })),
      now,
      attributes: attributesInput(snapshot.attributes),
    });
    const compiled = new Map<string, CompiledTarget>();
    for (const target of plan.targets) {
      if (target.dataPlane === dataPlane) compiled.set(targetKey(dataPlane, target.scope), target);
    }
    const stored = new Map(snapshot.targets.map((target) => [target.targetKey, target]));
    let writes: DesiredTargetWrite[] = [];
    const updatedAt = now.toISOString();
    for (const [key, desired] of compiled) {
      const current = stored.get(key);
      if (current !== undefined && sameDesired(current.desired, desired)) continue;
      writes.push({
        targetKey: key,
        scope: desired.scope,
        desired,
        expectedDesiredVersion: current?.desiredVersion ?? 0,
        updatedAt,
      });
    }
    for (const [key, current] of stored) {
      if (compiled.has(key) || current.desired === null) continue;
      writes.push({
        targetKey: key,
        scope: current.scope,
        desired: null,
        expectedDesiredVersion: current.desiredVersion,
        updatedAt,
      });
    }
    const radius = blastRadius(
      new Map(snapshot.targets.map((target) => [target.targetKey, target.desired])),
      new Map(writes.map((write) => [write.targetKey, write.desired])),
      new Map((options.release?.targets ?? []).map((target) => [target.targetKey, target.proposedHash])),
    );
    let hold: HeldChange | null = null;
    if (radius.trips) {
      const held = new Set(radius.losses.map((loss) => loss.targetKey));
      const scopes = new Map(writes.map((write) => [write.targetKey, write.scope]));
      writes = writes.filter((write) => !held.has(write.targetKey));
      hold = {
        dataPlane,
        heldAt: snapshot.hold?.heldAt ?? updatedAt,
        updatedAt,
        planeVersion: snapshot.version,
        targetsWithAccess: radius.withAccess,
        targets: radius.losses.map((loss) => ({
          targetKey: loss.targetKey,
          scope: scopes.get(loss.targetKey) ?? { type: 'global' },
          removedCount: loss.removedCount,
          removed: loss.removed,
          proposedHash: loss.proposedHash,
        })),
      };
    }
    writes.sort((a, b) => (a.targetKey < b.targetKey ? -1 : 1));
    if (writes.length > 0) await deps.store.writeDesiredTargets(dataPlane, snapshot.version, writes);
    await recordHold(deps, snapshot.hold, hold, snapshot.version, options.release !== undefined);
    await recordInfrastructureUpdates(deps, dataPlane, plan.infrastructure, snapshot.infrastructure);
    return { dataPlane, changed: writes.map((write) => write.targetKey), held: hold };
  });

const sameHold = (a: HeldChange, b: HeldChange): boolean =>
  canonicalJson(a.targets) === canonicalJson(b.targets) && a.targetsWithAccess === b.targetsWithAccess;

/** Stores, refreshes or clears the plane's held change after a recompute, audited when it changes. */
async function recordHold(
  deps: AppDeps,
  previous: HeldChange | null,
  next: HeldChange | null,
  planeVersion: number,
  releasing: boolean,
): Promise<void> {
  if (next !== null) {
    if (previous !== null && sameHold(previous, next)) return;
    await deps.holds.putHold(next);
    await deps.store.appendAudit({
      id: deps.ids.next(),
      at: next.updatedAt,
      actor: 'grantplane',
      action: 'change.held',
      targetKey: `${next.dataPlane}#*`,
      after: { targets: next.targets.map((target) => target.targetKey), targetsWithAccess: next.targetsWithAccess },
      result: 'ok',
      detail: `held: this change would take access from ${next.targets.length} of the ${next.targetsWithAccess} targets of plane ${next.dataPlane} that have access; nothing was removed. An admin reviews it (GET /v1/held-changes/${next.dataPlane}) and releases it (POST /v1/held-changes/${next.dataPlane}/release)`,
    });
    return;
  }
  if (previous === null) return;
  await deps.holds.deleteHold(previous.dataPlane, planeVersion);
  if (releasing) return; // the release audits itself
  await deps.store.appendAudit({
    id: deps.ids.next(),
    at: deps.clock.now().toISOString(),
    actor: 'grantplane',
    action: 'change.hold-cleared',
    targetKey: `${previous.dataPlane}#*`,
    before: { targets: previous.targets.map((target) => target.targetKey) },
    result: 'ok',
    detail: `the held change of plane ${previous.dataPlane} no longer takes access from most of its targets (grants came back, or the held ones changed): nothing is held any more`,
  });
}

const viewOf = async (deps: AppDeps, target: TargetRecord): Promise<TargetView> => {
  const scope = target.scope;
  const uctlUpdate =
    scope.type === 'project-domain'
      ? await deps.store.latestAttributeUpdate(target.dataPlane, scope.project, scope.domain)
      : null;
  if (scope.type === 'global') {
    const infrastructureUpdates = await deps.infrastructure.listInfrastructureUpdates([target.dataPlane]);
    return { ...target, uctlUpdate, infrastructureUpdates };
  }
  return { ...target, uctlUpdate };
};

/**
 * Stored targets (optionally of one plane), ordered by target key, cursor-paged like every list
 * (docs/api.md: `{items, nextCursor}`, limit ≤ 100).
 */
export const listTargets = async (
  deps: AppDeps,
  filter: { dataPlane?: string } = {},
  page: { limit?: number; cursor?: string } = {},
): Promise<Page<TargetView>> => {
  const found = pageByKey(
    await deps.store.listTargets(filter.dataPlane),
    (target) => target.targetKey,
    pageLimit(page.limit),
    page.cursor,
  );
  const items = await Promise.all(found.items.map((target) => viewOf(deps, target)));
  return found.nextCursor === undefined ? { items } : { items, nextCursor: found.nextCursor };
};

/** One target: `GET /v1/targets/{dataPlane}/{project}/{domain}` or `.../{dataPlane}/global`. */
export const getTarget = async (deps: AppDeps, input: { dataPlane: string; scope: Scope }): Promise<TargetView> => {
  if (!deps.config.dataPlanes.some((plane) => plane.name === input.dataPlane)) {
    throw new NotFoundError('data-plane.not-found', `No data plane is named "${input.dataPlane}"`);
  }
  const key = targetKey(input.dataPlane, input.scope);
  const target = await deps.store.getTarget(key);
  if (target === null) {
    throw new NotFoundError('target.not-found', `No target ${key}: no grant of it was ever approved`);
  }
  return viewOf(deps, target);
};
