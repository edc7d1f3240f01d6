// POST /v1/plan (docs/api.md): the engine's dry run of new requests on top of the stored desired
// state. Nothing is written. The answer is `grantplane plan`'s shape for the new requests (indexes
// are theirs), the targets they would change, and per target what would change.
import * as z from '../domain/zod.js';
import { planGrants } from '../domain/engine.js';
import { scopeSchema } from '../domain/grant.js';
import type { CompiledTarget, PlanResult, Scope } from '../domain/model.js';
import { pairOfRequest } from '../domain/desired.js';
import {
  GLOBAL_UNIT,
  isDesiredStatus,
  targetKey,
  unitOf,
  type AttributeRecord,
  type DesiredMember,
} from '../domain/records.js';
import type { AppDeps } from './deps.js';
import { attributesInput, canonicalJson, planRequestOf } from './targets.js';

export interface TargetChange {
  targetKey: string;
  dataPlane: string;
  scope: Scope;
  /** `create`: no grant reaches it today; `update`: its documents or attachments change; `unchanged`: already desired. */
  change: 'create' | 'update' | 'unchanged';
}

export interface DryRunResult extends PlanResult {
  changes: TargetChange[];
}

const keyOf = (target: CompiledTarget): string => targetKey(target.dataPlane, target.scope);

// Only what locates an accepted request's target; the engine has already validated the rest.
const located = z.looseObject({ dataPlane: z.optional(z.string()), scope: scopeSchema });

/**
 * The stored state the requests can be affected by, read strongly consistent: for a plane whose
 * requests all name pairs, its global grants and those pairs' units with their attributes (what
 * planning the whole plane would give those targets, docs/data-model.md); the whole plane when a
 * request is global or unreadable; every plane when a request's plane cannot be told.
 */
async function storedStateFor(
  deps: AppDeps,
  requests: readonly unknown[],
): Promise<{ grants: DesiredMember[]; attributes: AttributeRecord[] }> {
  const planes = deps.config.dataPlanes.map((plane) => plane.name);
  const onlyPlane = planes.length === 1 ? planes[0] : undefined;
  const whole = new Set<string>();
  const pairs = new Map<string, { project: string; domain: string }[]>();
  for (const request of requests) {
    const named =
      typeof request === 'object' && request !== null && 'dataPlane' in request ? request.dataPlane : undefined;
    const plane = typeof named === 'string' ? named : onlyPlane;
    if (plane === undefined) {
      for (const each of planes) whole.add(each);
      continue;
    }
    const pair = pairOfRequest(request);
    if (pair === null) whole.add(plane);
    else pairs.set(plane, [...(pairs.get(plane) ?? []), pair]);
  }
  const grants: DesiredMember[] = [];
  const attributes: AttributeRecord[] = [];
  for (const plane of planes) {
    if (whole.has(plane)) {
      const snapshot = await deps.planes.getPlaneSnapshot(plane);
      grants.push(...snapshot.grants.filter((grant) => isDesiredStatus(grant.status)));
      attributes.push(...snapshot.attributes);
      continue;
    }
    const wanted = pairs.get(plane);
    if (wanted === undefined) continue;
    // The units' desired grants and the pairs' attributes: one BatchGetItem while the unit items'
    // inline copies are complete (docs/data-model.md).
    const units = [GLOBAL_UNIT, ...new Set(wanted.map((pair) => unitOf({ type: 'project-domain', ...pair })))];
    const read = await deps.planes.getDesiredGrants(plane, units, wanted);
    grants.push(...read.grants);
    attributes.push(...read.attributes);
  }
  return { grants, attributes };
}

/**
 * Plans `requests` together with the stored desired grants they can be affected by and reports the
 * difference: the plan of the new requests and which targets they create, update or leave as is.
 */
export async function planAgainstDesiredState(deps: AppDeps, requests: readonly unknown[]): Promise<DryRunResult> {
  const { grants: stored, attributes } = await storedStateFor(deps, requests);
  stored.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const now = deps.clock.now();
  const storedRequests = stored.map((grant) => planRequestOf(grant, { withExpiry: false }));
  const attrs = attributesInput(attributes);
  const before = planGrants({ config: deps.config, requests: storedRequests, now, attributes: attrs });
  const after = planGrants({ config: deps.config, requests: [...storedRequests, ...requests], now, attributes: attrs });

  const offset = storedRequests.length;
  const mine = <T extends { index: number }>(items: readonly T[]): T[] =>
    items.filter((item) => item.index >= offset).map((item) => ({ ...item, index: item.index - offset }));

  const previous = new Map(before.targets.map((target) => [keyOf(target), canonicalJson(target)]));
  // Targets the new requests land in, plus any whose compiled output they change (a global grant
  // changes every pair role of its plane, C1).
  const onlyPlane = deps.config.dataPlanes.length === 1 ? deps.config.dataPlanes[0]?.name : undefined;
  const touched = new Set<string>();
  for (const accepted of mine(after.accepted)) {
    const request = located.safeParse(requests[accepted.index]);
    if (!request.success) continue;
    const plane = request.data.dataPlane ?? onlyPlane;
    if (plane !== undefined) touched.add(targetKey(plane, request.data.scope));
  }
  const changes: TargetChange[] = [];
  const targets: CompiledTarget[] = [];
  const bindings = (after.bindings ?? []).map((binding) => ({
    ...binding,
    grants: binding.grants.filter((index) => index >= offset).map((index) => index - offset),
  }));
  for (const target of after.targets) {
    const key = keyOf(target);
    const was = previous.get(key);
    const change = was === undefined ? 'create' : was === canonicalJson(target) ? 'unchanged' : 'update';
    if (change === 'unchanged' && !touched.has(key)) continue;
    targets.push(target);
    changes.push({ targetKey: key, dataPlane: target.dataPlane, scope: target.scope, change });
  }
  return {
    accepted: mine(after.accepted),
    rejected: mine(after.rejected),
    notes: mine(after.notes),
    targets,
    infrastructure: after.infrastructure,
    changes,
    // GCP and Azure: stored grants there are none (the API refuses them), so these are the requests'.
    ...(bindings.length === 0 ? {} : { bindings }),
  };
}
