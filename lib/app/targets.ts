// Targets: the compiled desired state per (plane, project-domain) and per plane (global), what was
// last applied, and the pair's uctl file (docs/rules.md, docs/api.md GET /v1/targets).
import type { OtherDataPlaneConfig } from '../domain/config.js';
import { NotFoundError } from '../domain/errors.js';
import { canonicalJson } from '../domain/compile/hash.js';
import { planDesired, type DesiredPlan } from '../domain/desired.js';
import { blastRadius } from '../domain/reconcile/blast-radius.js';
import type { CloudBinding, CompiledTarget, Scope } from '../domain/model.js';
import {
  planeOfTargetKey,
  targetKey,
  unitOf,
  type AttributeUpdate,
  type CloudInventoryEntry,
  type CloudPlaneState,
  globalTargetKey,
  type DesiredTargetWrite,
  type GrantRecord,
  type HeldChange,
  type InfrastructureUpdate,
  type Page,
  type TargetRecord,
  type UnitSnapshot,
} from '../domain/records.js';
import { desiredBindings } from './cloud-apply.js';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.js';
import { pageLimit, withConflictRetry, type AppDeps } from './deps.js';
import { recordInfrastructureUpdates } from './infrastructure.js';

/** A target as the API shows it: the stored record plus the pair's latest uctl update. */
export interface TargetView extends TargetRecord {
  /** The latest recorded uctl attribute update of the pair (null for the global target or none yet). */
  uctlUpdate: AttributeUpdate | null;
  /** Global target: the plane's tracked infrastructure updates (cross-account ECR repository policies). */
  infrastructureUpdates?: InfrastructureUpdate[];
}

/**
 * A GCP or Azure plane's one target, `<plane>#global` (docs/gcp-azure.md): the bindings its desired
 * global grants make, the last apply, and what grantplane holds on each resource (its inventory,
 * the only bindings it ever removes).
 */
export interface CloudTargetView {
  targetKey: string;
  dataPlane: string;
  cloud: 'gcp' | 'azure';
  scope: { type: 'global' };
  /** `pending`: desired bindings the applier has not applied yet (no apply recorded). */
  state: CloudPlaneState['state'] | 'pending';
  updatedAt?: string;
  lastAppliedAt?: string;
  lastError?: string;
  /** The bindings the plane's desired global grants make (resource, role, member), as planned now. */
  bindings: CloudBinding[];
  /** Per resource, what grantplane bound there: `<role> <member>` pairs (GCP), assignment names (Azure). */
  inventory: Omit<CloudInventoryEntry, 'dataPlane' | 'cloud'>[];
}

export { attributesInput, planRequestOf } from '../domain/desired.js';

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
  /** Desired grants the recomputed units' compilation refuses: grant id → codes and messages. */
  refused: Record<string, string>;
}

/** A whole plane's recompute (recomputePlaneTargets). */
export interface PlaneRecomputeResult extends RecomputeResult {
  /**
   * The plane's targets the applier still owes work after this recompute: behind their desired
   * version (the ones just written among them), failed, or waiting for their uctl update. Read
   * from the same snapshot, so the schedule's sweep needs no second read of the plane's targets.
   */
  unsettled: string[];
}

export interface RecomputeOptions {
  /**
   * An admin's release of the plane's held change: the losses it lists (same target, same
   * proposed state) are written; anything else still passes the guard.
   */
  release?: HeldChange;
}

/** The writes that bring stored targets to the compiled ones; a stored target nothing compiles goes to null. */
const targetWrites = (
  compiled: ReadonlyMap<string, CompiledTarget>,
  stored: readonly TargetRecord[],
  updatedAt: string,
): DesiredTargetWrite[] => {
  const byKey = new Map(stored.map((target) => [target.targetKey, target]));
  const writes: DesiredTargetWrite[] = [];
  for (const [key, desired] of compiled) {
    const current = byKey.get(key);
    if (current !== undefined && sameDesired(current.desired, desired)) continue;
    writes.push({
      targetKey: key,
      scope: desired.scope,
      desired,
      expectedDesiredVersion: current?.desiredVersion ?? 0,
      updatedAt,
    });
  }
  for (const [key, current] of byKey) {
    if (compiled.has(key) || current.desired === null) continue;
    writes.push({
      targetKey: key,
      scope: current.scope,
      desired: null,
      expectedDesiredVersion: current.desiredVersion,
      updatedAt,
    });
  }
  return writes.sort((a, b) => (a.targetKey < b.targetKey ? -1 : 1));
};

const sameRefusals = (a: Record<string, string>, b: Record<string, string>): boolean =>
  canonicalJson(a) === canonicalJson(b);

/**
 * A unit already planned by the change that is about to write it (an approval checks its grant
 * with exactly the state the recompute needs): the snapshot as it will be once the change is
 * stored (`unit.version` the one the change's transaction leaves) and its plan. The recompute
 * writes with it at once — one engine run per change — and plans afresh only if anything else
 * moved in between (its guard fails).
 */
export interface PreparedUnit {
  snapshot: UnitSnapshot;
  planned: DesiredPlan;
}

/** Reads a unit and plans it. */
export const prepareUnit = async (
  deps: AppDeps,
  dataPlane: string,
  unit: string,
  options: { checkExpiryOf?: string; with?: GrantRecord } = {},
): Promise<PreparedUnit> => {
  const snapshot = await deps.planes.getUnitSnapshot(dataPlane, unit);
  const grants =
    options.with === undefined
      ? snapshot.grants
      : [...snapshot.grants.filter((grant) => grant.id !== options.with!.id), options.with];
  const planned = planDesired(deps.config, dataPlane, grants, snapshot.attributes, deps.clock.now(), {
    ...(options.checkExpiryOf === undefined ? {} : { checkExpiryOf: options.checkExpiryOf }),
  });
  return { snapshot, planned };
};

/**
 * Recomputes what a change of a grant with this scope can affect (docs/data-model.md): a pair
 * grant's planning unit (its namespace, planned with the plane's global grants), or the whole plane
 * for a global grant, whose policies every role of the plane attaches.
 */
export const recomputeScope = (
  deps: AppDeps,
  dataPlane: string,
  scope: Scope,
  prepared?: PreparedUnit,
): Promise<RecomputeResult> =>
  scope.type === 'global'
    ? recomputePlaneTargets(deps, dataPlane)
    : recomputeUnit(deps, dataPlane, unitOf(scope), prepared);

/**
 * Recompiles one planning unit from its members, the global grants and the unit's imported
 * attributes — a handful of reads and one transaction at any plane size — and writes the unit's
 * targets whose compiled output changed, with the unit marked compiled (and what it refuses), all
 * conditional on the unit's and the global unit's versions. The applier moves the unit's grants on
 * once the mark is there. A change that could trip the blast-radius guard (more than two targets
 * losing access), or any change while the plane has a held change, is planned with the whole plane.
 */
export const recomputeUnit = (
  deps: AppDeps,
  dataPlane: string,
  unit: string,
  prepared?: PreparedUnit,
): Promise<RecomputeResult> => {
  let ready = prepared;
  return withConflictRetry(deps, async () => {
    const { snapshot, planned } = ready ?? (await prepareUnit(deps, dataPlane, unit));
    ready = undefined; // a retry re-reads: whatever failed the guard moved
    if (snapshot.hold !== null) return recomputePlaneTargets(deps, dataPlane);
    const compiled = new Map([...planned.targets].filter(([, target]) => target.scope.type !== 'global'));
    const stored = snapshot.targets.filter((target) => target.scope.type !== 'global');
    const writes = targetWrites(compiled, stored, deps.clock.now().toISOString());
    const radius = blastRadius(
      new Map(stored.map((target) => [target.targetKey, target.desired])),
      new Map(writes.map((write) => [write.targetKey, write.desired])),
    );
    if (radius.losses.length > 2) return recomputePlaneTargets(deps, dataPlane);
    const refused = planned.refused.get(unit) ?? {};
    const current = snapshot.unit;
    if (writes.length > 0 || current.compiled !== current.version || !sameRefusals(current.refused, refused)) {
      await deps.planes.writeDesiredTargets(
        dataPlane,
        { kind: 'unit', unit, version: current.version, globalVersion: snapshot.global.version },
        writes,
        [{ unit, version: current.version, refused }],
      );
    }
    return { dataPlane, changed: writes.map((write) => write.targetKey), held: null, refused };
  });
};

/**
 * Recompiles every target of a plane from its desired grants (DESIRED_STATUSES) and imported
 * attributes, and writes each target whose compiled output changed with desiredVersion + 1 — the
 * write the applier picks up from the stream — and marks every unit compiled that was behind. A
 * target nothing desires any more gets desired=null. Reads are strongly consistent and the writes
 * are conditional on the plane version, so concurrent recomputes never lose a grant; conflicts are
 * retried with jittered backoff. For the schedule's repair pass, expiry, git sync and a global
 * grant's change; a pair grant's change plans only its unit (recomputeUnit).
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
): Promise<PlaneRecomputeResult> =>
  withConflictRetry(deps, async () => {
    const snapshot = await deps.planes.getPlaneSnapshot(dataPlane);
    const now = deps.clock.now();
    const planned = planDesired(deps.config, dataPlane, snapshot.grants, snapshot.attributes, now);
    const updatedAt = now.toISOString();
    let writes = targetWrites(planned.targets, snapshot.targets, updatedAt);
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
    const marks = snapshot.units
      .map((unit) => ({ unit, refused: planned.refused.get(unit.unit) ?? {} }))
      .filter(({ unit, refused }) => unit.compiled !== unit.version || !sameRefusals(unit.refused, refused))
      .map(({ unit, refused }) => ({ unit: unit.unit, version: unit.version, refused }));
    if (writes.length > 0 || marks.length > 0)
      await deps.planes.writeDesiredTargets(dataPlane, { kind: 'plane', version: snapshot.version }, writes, marks);
    await recordHold(deps, snapshot.hold, hold, snapshot.version, options.release !== undefined);
    await recordInfrastructureUpdates(deps, dataPlane, planned.plan.infrastructure, snapshot.infrastructure);
    // Units whose inline copies of their desired grants fell behind (docs/data-model.md) get them
    // afresh from this snapshot, so the submits of their pairs read them in one request again.
    await deps.planes.completeInlineMembers(dataPlane, snapshot.units, snapshot.grants);
    const changed = writes.map((write) => write.targetKey);
    return {
      dataPlane,
      changed,
      unsettled: [...new Set([...snapshot.targets.filter(isUnsettled).map((target) => target.targetKey), ...changed])],
      held: hold,
      refused: Object.assign({}, ...planned.refused.values()) as Record<string, string>,
    };
  });

/** A target the applier still owes work: behind its desired version, failed, or waiting for uctl. */
export const isUnsettled = (target: TargetRecord): boolean =>
  target.appliedVersion < target.desiredVersion || target.state !== 'applied';

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
    await deps.audit.appendAudit({
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
  await deps.audit.appendAudit({
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
      ? await deps.attributes.latestAttributeUpdate(target.dataPlane, scope.project, scope.domain)
      : null;
  if (scope.type === 'global') {
    const infrastructureUpdates = await deps.infrastructure.listInfrastructureUpdates([target.dataPlane]);
    return { ...target, uctlUpdate, infrastructureUpdates };
  }
  return { ...target, uctlUpdate };
};

/** A GCP or Azure plane's target, or null when it has nothing desired, applied or held. */
async function cloudTargetOf(deps: AppDeps, plane: OtherDataPlaneConfig): Promise<CloudTargetView | null> {
  const [state, inventory, desired] = await Promise.all([
    deps.cloud.getCloudState(plane.name),
    deps.cloud.listInventory(plane.name),
    desiredBindings(deps, plane),
  ]);
  const held = inventory.filter((entry) => entry.owned.length > 0);
  if (state === null && held.length === 0 && desired.bindings.length === 0) return null;
  return {
    targetKey: globalTargetKey(plane.name),
    dataPlane: plane.name,
    cloud: plane.cloud,
    scope: { type: 'global' },
    state: state?.state ?? 'pending',
    ...(state === null ? {} : { updatedAt: state.updatedAt }),
    ...(state?.lastAppliedAt === undefined ? {} : { lastAppliedAt: state.lastAppliedAt }),
    ...(state?.lastError === undefined ? {} : { lastError: state.lastError }),
    bindings: desired.bindings,
    inventory: held.map(({ resource, owned, updatedAt }) => ({ resource, owned, updatedAt })),
  };
}

const cloudPlanes = (deps: AppDeps): OtherDataPlaneConfig[] =>
  deps.config.dataPlanes.filter((plane): plane is OtherDataPlaneConfig => plane.cloud !== 'aws');

/**
 * Targets (optionally of one plane), ordered by target key, cursor-paged like every list
 * (docs/api.md: `{items, nextCursor}`, limit ≤ 100): the stored AWS targets, and each GCP or Azure
 * plane's one target in its place in key order.
 */
export const listTargets = async (
  deps: AppDeps,
  filter: { dataPlane?: string } = {},
  page: { limit?: number; cursor?: string } = {},
): Promise<Page<TargetView | CloudTargetView>> => {
  const limit = pageLimit(page.limit);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  // A cursor of another plane's listing names a key this one never returned.
  if (after !== undefined && filter.dataPlane !== undefined && planeOfTargetKey(after) !== filter.dataPlane)
    throw invalidCursor();
  const clouds = cloudPlanes(deps).filter(
    (plane) =>
      (filter.dataPlane === undefined || plane.name === filter.dataPlane) &&
      (after === undefined || globalTargetKey(plane.name) > after),
  );
  const onlyCloud = filter.dataPlane !== undefined && clouds.some((plane) => plane.name === filter.dataPlane);
  const found = onlyCloud
    ? { items: [], more: false }
    : await deps.targets.pageTargets(filter.dataPlane, { limit, ...(after === undefined ? {} : { after }) });
  // A cloud plane whose key sorts after a full page's last stored key belongs to a later page.
  const bound = found.more ? found.items[found.items.length - 1]?.targetKey : undefined;
  const [stored, cloud] = await Promise.all([
    Promise.all(found.items.map((target) => viewOf(deps, target))),
    Promise.all(
      clouds
        .filter((plane) => bound === undefined || globalTargetKey(plane.name) <= bound)
        .map((plane) => cloudTargetOf(deps, plane)),
    ),
  ]);
  const merged = [...stored, ...cloud.filter((view): view is CloudTargetView => view !== null)].sort((a, b) =>
    a.targetKey < b.targetKey ? -1 : 1,
  );
  const items = merged.slice(0, limit);
  const last = items[items.length - 1];
  return (found.more || merged.length > limit) && last !== undefined
    ? { items, nextCursor: encodeCursor(last.targetKey) }
    : { items };
};

/** One target: `GET /v1/targets/{dataPlane}/{project}/{domain}` or `.../{dataPlane}/global`. */
export const getTarget = async (
  deps: AppDeps,
  input: { dataPlane: string; scope: Scope },
): Promise<TargetView | CloudTargetView> => {
  const plane = deps.config.dataPlanes.find((each) => each.name === input.dataPlane);
  if (plane === undefined) {
    throw new NotFoundError('data-plane.not-found', `No data plane is named "${input.dataPlane}"`);
  }
  const key = targetKey(input.dataPlane, input.scope);
  if (plane.cloud !== 'aws') {
    // Project-domain access on GCP and Azure is set up by the Union.ai team, never by grantplane.
    const cloud = input.scope.type === 'global' ? await cloudTargetOf(deps, plane) : null;
    if (cloud === null)
      throw new NotFoundError(
        'target.not-found',
        input.scope.type === 'global'
          ? `No target ${key}: no grant of it was ever approved`
          : `No target ${key}: on ${plane.cloud === 'gcp' ? 'GCP' : 'Azure'} planes grantplane applies global grants only; see /v1/targets/${plane.name}/global`,
      );
    return cloud;
  }
  const target = await deps.targets.getTarget(key);
  if (target === null) {
    throw new NotFoundError('target.not-found', `No target ${key}: no grant of it was ever approved`);
  }
  return viewOf(deps, target);
};
