// Desired state of one plane (docs/data-model.md): its stored grants and imported attributes, planned
// by the engine. The one place that turns stored state into engine input, for a whole plane (the
// schedule's repair pass, expiry, git sync, a held change's release) and for one planning unit
// (a pair grant's submit, approval or revocation; an attribute import) alike.
import { planGrants } from './engine.js';
import type { GrantplaneConfig } from './config.js';
import type { CompiledTarget, PlanResult } from './model.js';
import {
  isDesiredStatus,
  targetKey,
  unitOf,
  type AttributeRecord,
  type GrantRecord,
  type PlannedGrant,
} from './records.js';

/** The request a stored grant stands for, as the engine plans it. */
export const planRequestOf = (
  grant: Pick<GrantRecord, 'dataPlane' | 'scope' | 'resource' | 'justification' | 'expiresAt' | 'ticket'>,
  options: { withExpiry: boolean },
) => ({
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

/** The pair a raw request names (before validation), or null: a global request or an unreadable scope. */
export const pairOfRequest = (request: unknown): { project: string; domain: string } | null => {
  const scope = typeof request === 'object' && request !== null && 'scope' in request ? request.scope : undefined;
  if (
    typeof scope !== 'object' ||
    scope === null ||
    !('type' in scope) ||
    scope.type !== 'project-domain' ||
    !('project' in scope) ||
    !('domain' in scope) ||
    typeof scope.project !== 'string' ||
    typeof scope.domain !== 'string'
  ) {
    return null;
  }
  return { project: scope.project, domain: scope.domain };
};

export interface DesiredPlan {
  /** The desired grants planned, in id order (the engine's request order). */
  grants: PlannedGrant[];
  plan: PlanResult;
  /** Compiled targets of the plane by target key. */
  targets: Map<string, CompiledTarget>;
  /** Refused desired grants per unit: grant id → `<code>: <message>; …`. */
  refused: Map<string, Record<string, string>>;
}

/**
 * Plans a plane's desired grants (of `grants`, those in a desired status; any order) with its
 * imported attributes. Given a unit's members and the global unit's, the targets of that unit are
 * exactly what planning the whole plane gives them (a test proves it): the narrowing is safe.
 * `checkExpiryOf`: the one grant planned with its expiry (R8), the one being approved.
 */
export function planDesired(
  config: GrantplaneConfig,
  dataPlane: string,
  grants: readonly PlannedGrant[],
  attributes: readonly AttributeRecord[],
  now: Date,
  options: { checkExpiryOf?: string } = {},
): DesiredPlan {
  const desired = grants
    .filter((grant) => grant.dataPlane === dataPlane && (grant.status === undefined || isDesiredStatus(grant.status)))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const plan = planGrants({
    config,
    requests: desired.map((grant) => planRequestOf(grant, { withExpiry: grant.id === options.checkExpiryOf })),
    now,
    attributes: attributesInput(attributes),
  });
  const targets = new Map<string, CompiledTarget>();
  for (const target of plan.targets) {
    if (target.dataPlane === dataPlane) targets.set(targetKey(dataPlane, target.scope), target);
  }
  const refused = new Map<string, Record<string, string>>();
  for (const rejection of plan.rejected) {
    const grant = desired[rejection.index];
    if (grant === undefined) continue;
    const unit = unitOf(grant.scope);
    const reasons = refused.get(unit) ?? {};
    reasons[grant.id] = rejection.errors.map((error) => `${error.code}: ${error.message}`).join('; ');
    refused.set(unit, reasons);
  }
  return { grants: desired, plan, targets, refused };
}

/** How many policies the plan gives the plane's global target (C1): the room it takes on every role. */
export const globalPolicyCount = (plan: PlanResult, dataPlane: string): number =>
  plan.targets.find((target) => target.dataPlane === dataPlane && target.scope.type === 'global')?.policies.length ?? 0;

/**
 * Whether the verdict on a global request, planned with the plane's global grants alone, is the
 * whole plane's (C1, C3): global grants are placed before every pair, so their placement never
 * depends on a pair; a pair depends on them only through the number of global policies its role
 * must carry (its room) and the statements they cover (which only ever shrink a pair's own). So
 * when the request is refused by the global grants, or accepted without adding a global policy,
 * no pair can be displaced and no pair's verdict changes; otherwise the whole plane decides.
 */
export const globalVerdictSuffices = (
  withRequest: PlanResult,
  withoutRequest: PlanResult,
  requestIndex: number,
  dataPlane: string,
): boolean =>
  withRequest.rejected.some((entry) => entry.index === requestIndex) ||
  globalPolicyCount(withRequest, dataPlane) === globalPolicyCount(withoutRequest, dataPlane);
