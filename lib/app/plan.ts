// POST /v1/plan (docs/api.md): the engine's dry run of new requests on top of the stored desired
// state. Nothing is written. The answer is `grantplane plan`'s shape for the new requests (indexes
// are theirs), the targets they would change, and per target what would change.
import * as z from 'zod';
import { planGrants } from '../domain/engine.js';
import { scopeSchema } from '../domain/grant.js';
import type { CompiledTarget, PlanResult, Scope } from '../domain/model.js';
import { DESIRED_STATUSES, targetKey, type AttributeRecord, type GrantRecord } from '../domain/ports.js';
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
const located = z.looseObject({ dataPlane: z.string().optional(), scope: scopeSchema });

/**
 * Plans `requests` together with every stored desired grant (all planes) and reports the
 * difference: the plan of the new requests and which targets they create, update or leave as is.
 */
export async function planAgainstDesiredState(deps: AppDeps, requests: readonly unknown[]): Promise<DryRunResult> {
  const stored: GrantRecord[] = [];
  const attributes: AttributeRecord[] = [];
  for (const plane of deps.config.dataPlanes) {
    stored.push(...(await deps.store.listGrantsByStatus(plane.name, DESIRED_STATUSES)));
    attributes.push(...(await deps.store.listAttributes(plane.name)));
  }
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
  };
}
