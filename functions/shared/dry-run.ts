// POST /v1/plan (DESIGN §8): the engine's dry run of new requests on top of the stored desired
// state. Nothing is written. The answer is `grantplane plan`'s shape for the new requests (indexes
// are theirs), the targets they would change, and per target what would change.
// (A use case in spirit; it lives here until lib/app grows a home for it.)
import type { AppDeps } from '../../lib/app/deps.js';
import { attributesInput, canonicalJson, planRequestOf } from '../../lib/app/targets.js';
import { planGrants } from '../../lib/domain/engine.js';
import type { CompiledTarget, PlanResult, Scope } from '../../lib/domain/model.js';
import { DESIRED_STATUSES, targetKey, type GrantRecord } from '../../lib/domain/ports.js';

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

/** Plans `requests` together with every stored desired grant and reports the difference. */
export async function dryRunPlan(deps: AppDeps, requests: readonly unknown[]): Promise<DryRunResult> {
  const stored: GrantRecord[] = [];
  const attributes: Parameters<typeof attributesInput>[0][number][] = [];
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
  const touched = new Set<string>();
  for (const accepted of mine(after.accepted)) {
    const request = requests[accepted.index];
    const scope = (request as { scope?: Scope } | undefined)?.scope;
    const plane =
      (request as { dataPlane?: string } | undefined)?.dataPlane ??
      (deps.config.dataPlanes.length === 1 ? deps.config.dataPlanes[0]?.name : undefined);
    if (scope !== undefined && plane !== undefined) touched.add(targetKey(plane, scope));
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
