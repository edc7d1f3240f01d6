// Applying a GCP or Azure plane's global grants (docs/gcp-azure.md): the plane's desired bindings
// (its global unit's desired members, planned by the engine) converged on each resource through the
// cloud's own API, touching only what grantplane's inventory says it bound; the inventory stored
// per resource in DynamoDB; the plane's grants moved on (approved → active, revoking → revoked) once
// their bindings are there or gone. A converged plane costs one read per resource and no write.
//
// Runs under the applier's lease on `<plane>#global`, woken like an AWS global target: the global
// unit marked compiled (a grant approved, revoked or expired), the schedule's sweep (a failed or
// drifted plane, grants still waiting).
import type { OtherDataPlaneConfig } from '../domain/config.js';
import { roleMember, type RoleMember } from '../domain/cloud/iam-policy.js';
import { planDesired } from '../domain/desired.js';
import type { CloudBinding } from '../domain/model.js';
import type { DriftTarget } from '../domain/reconcile/index.js';
import { GLOBAL_UNIT, type CloudInventoryEntry, type GrantRecord } from '../domain/records.js';
import type { AppDeps } from './deps.js';
import { APPLIER_ACTOR, moveGrants, type MoveDeps } from './grant-moves.js';
import { convergePolicy, PolicyBusyError, type PolicyStore } from './policy-bindings.js';
import { convergeAssignments, type AssignmentRef, type AssignmentStore } from './role-assignments.js';

/** What grantplane talks to on a GCP or Azure plane (lib/adapters/gcp, lib/adapters/azure). */
export interface CloudGateway {
  /** GCP: resources' IAM policies (getIamPolicy / setIamPolicy with etags). */
  policies?: PolicyStore;
  /** Azure: role assignments under deterministic names. */
  assignments?: AssignmentStore;
}

/** The gateway acting on a GCP or Azure plane, from each SDK's standard credentials. */
export type CloudSource = (plane: OtherDataPlaneConfig) => Promise<CloudGateway>;

export interface CloudApplyDeps extends AppDeps, MoveDeps {
  cloudFor?: CloudSource;
  log: MoveDeps['log'] & { error(message: string, attributes?: Record<string, unknown>): void };
}

/** One plane's converge: what changed where, in the words of the cloud's API. */
export interface CloudConverge {
  calls: string[];
  reads: number;
  writes: number;
  bindings: number;
}

export interface CloudOutcome {
  targetKey: string;
  outcome: 'applied' | 'unchanged' | 'failed';
  /** The writes made, one line each (`setIamPolicy <resource> +<role> <member>`, `PUT roleAssignment …`). */
  iamCalls: string[];
  grantChanges: string[];
  error?: string;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Worth a retry with the grants left waiting: throttling, a server error, a network failure, a busy policy. */
export const isTransientCloudError = (error: unknown): boolean => {
  const value = error as { code?: unknown; statusCode?: unknown; status?: unknown; name?: unknown } | null;
  const status = [value?.code, value?.statusCode, value?.status].find((each) => typeof each === 'number');
  if (typeof status === 'number') return status === 429 || status >= 500;
  if (typeof value?.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND)$/.test(value.code))
    return true;
  return error instanceof PolicyBusyError;
};

/** The plane's desired bindings (its desired global members, planned) and the grants they refuse. */
export async function desiredBindings(
  deps: AppDeps,
  plane: OtherDataPlaneConfig,
): Promise<{ members: GrantRecord[]; bindings: CloudBinding[]; refused: Map<string, string> }> {
  const members = await deps.planes.getMembers(plane.name, GLOBAL_UNIT);
  const planned = planDesired(deps.config, plane.name, members, [], deps.clock.now());
  const refused = new Map(Object.entries(planned.refused.get(GLOBAL_UNIT) ?? {}));
  return {
    members,
    bindings: (planned.plan.bindings ?? []).map(({ grants: _grants, ...binding }) => binding),
    refused,
  };
}

/** GCP: every resource that has desired pairs or inventory, converged on its own policy. */
async function convergeGcp(
  deps: CloudApplyDeps,
  plane: OtherDataPlaneConfig,
  policies: PolicyStore,
  bindings: readonly CloudBinding[],
  inventory: readonly CloudInventoryEntry[],
): Promise<CloudConverge> {
  const desired = new Map<string, Set<RoleMember>>();
  for (const binding of bindings)
    desired.set(
      binding.resource,
      (desired.get(binding.resource) ?? new Set()).add(roleMember(binding.role, binding.member)),
    );
  const owned = new Map(inventory.map((entry) => [entry.resource, new Set(entry.owned as RoleMember[])]));
  const result: CloudConverge = { calls: [], reads: 0, writes: 0, bindings: bindings.length };
  const entry = (resource: string, pairs: readonly string[]): CloudInventoryEntry => ({
    dataPlane: plane.name,
    cloud: 'gcp',
    resource,
    owned: [...pairs],
    updatedAt: deps.clock.now().toISOString(),
  });
  for (const resource of [...new Set([...desired.keys(), ...owned.keys()])].sort()) {
    const before = owned.get(resource) ?? new Set<RoleMember>();
    let converged;
    try {
      converged = await convergePolicy(policies, resource, desired.get(resource) ?? new Set(), before, {
        beforeWrite: (intent) => deps.cloud.putInventory(entry(resource, intent)),
      });
    } catch (error: unknown) {
      // A resource deleted meanwhile holds nothing of grantplane's any more: nothing to remove.
      if (error instanceof Error && error.name === 'PolicyResourceNotFoundError' && !desired.has(resource)) {
        await deps.cloud.putInventory(entry(resource, []));
        result.calls.push(`${resource}: gone, inventory cleared`);
        continue;
      }
      throw error;
    }
    result.reads += converged.reads;
    result.writes += converged.writes;
    for (const pair of converged.added) result.calls.push(`setIamPolicy ${resource} +${pair}`);
    for (const pair of converged.removed) result.calls.push(`setIamPolicy ${resource} -${pair}`);
    if ([...before].sort().join('\n') !== converged.owned.join('\n'))
      await deps.cloud.putInventory(entry(resource, converged.owned));
  }
  return result;
}

/** Azure: the plane's desired assignments created under their names, grantplane's stale ones deleted. */
async function convergeAzure(
  deps: CloudApplyDeps,
  plane: OtherDataPlaneConfig,
  assignments: AssignmentStore,
  bindings: readonly CloudBinding[],
  inventory: readonly CloudInventoryEntry[],
): Promise<CloudConverge> {
  const owned: AssignmentRef[] = inventory.flatMap((entry) =>
    entry.owned.map((name) => ({ scope: entry.resource, name })),
  );
  const converged = await convergeAssignments(assignments, bindings, owned);
  const roleOf = new Map(bindings.map((binding) => [binding.assignmentName, binding.role]));
  const calls = [
    ...converged.created.map(
      (ref) => `PUT roleAssignment ${ref.name} (${roleOf.get(ref.name) ?? '?'}) at ${ref.scope}`,
    ),
    ...converged.deleted.map((ref) => `DELETE roleAssignment ${ref.name} at ${ref.scope}`),
  ];
  const byScope = new Map<string, string[]>(inventory.map((entry) => [entry.resource, []]));
  for (const ref of converged.owned) byScope.set(ref.scope, [...(byScope.get(ref.scope) ?? []), ref.name]);
  const was = new Map(inventory.map((entry) => [entry.resource, [...entry.owned].sort().join('\n')]));
  for (const [scope, names] of byScope) {
    if (was.get(scope) === [...names].sort().join('\n')) continue;
    await deps.cloud.putInventory({
      dataPlane: plane.name,
      cloud: 'azure',
      resource: scope,
      owned: names,
      updatedAt: deps.clock.now().toISOString(),
    });
  }
  return { calls, reads: converged.reads, writes: converged.writes, bindings: bindings.length };
}

/** Converges the plane's bindings once, without moving any grant (the apply, and the drift repair). */
export async function convergeCloudPlane(
  deps: CloudApplyDeps,
  plane: OtherDataPlaneConfig,
  bindings: readonly CloudBinding[],
): Promise<CloudConverge> {
  const inventory = await deps.cloud.listInventory(plane.name);
  // Nothing desired, nothing of grantplane's there: no client needed (a plane with no grants yet).
  if (bindings.length === 0 && inventory.length === 0) return { calls: [], reads: 0, writes: 0, bindings: 0 };
  if (deps.cloudFor === undefined)
    throw new Error(
      `no ${plane.cloud === 'gcp' ? 'Google Cloud' : 'Azure'} client is configured for plane "${plane.name}" (docs/gcp-azure.md "Credentials")`,
    );
  const gateway = await deps.cloudFor(plane);
  if (plane.cloud === 'gcp') {
    if (gateway.policies === undefined) throw new Error(`plane "${plane.name}": no Google Cloud IAM client`);
    return convergeGcp(deps, plane, gateway.policies, bindings, inventory);
  }
  if (gateway.assignments === undefined) throw new Error(`plane "${plane.name}": no Azure role assignment client`);
  return convergeAzure(deps, plane, gateway.assignments, bindings, inventory);
}

/**
 * Applies a GCP or Azure plane (`<plane>#global`) and moves its waiting grants on: `candidates` are
 * the plane's grants waiting for the applier. A failure is recorded on the plane's state and
 * audited; a lasting one (a bucket that does not exist, a refused permission) fails the approved
 * grants with the reason, a transient one leaves them waiting for the retry.
 */
export async function applyCloudPlane(
  deps: CloudApplyDeps,
  plane: OtherDataPlaneConfig,
  targetKey: string,
  candidates: readonly GrantRecord[],
): Promise<CloudOutcome> {
  const outcome: CloudOutcome = { targetKey, outcome: 'unchanged', iamCalls: [], grantChanges: [] };
  const now = () => deps.clock.now().toISOString();
  const previous = await deps.cloud.getCloudState(plane.name);
  /** The plane's apply in the audit log, as an AWS target's (`target.applied` / `target.apply-failed`). */
  const audit = (state: 'applied' | 'failed', detail: string) =>
    deps.audit.appendAudit({
      id: deps.ids.next(),
      at: now(),
      actor: APPLIER_ACTOR,
      action: state === 'applied' ? 'target.applied' : 'target.apply-failed',
      targetKey,
      before: { state: previous?.state ?? 'pending' },
      after: { state },
      iamCalls: outcome.iamCalls,
      result: state === 'applied' ? 'ok' : 'error',
      detail,
    });
  let converged: CloudConverge;
  let refused: Map<string, string>;
  try {
    const desired = await desiredBindings(deps, plane);
    refused = desired.refused;
    converged = await convergeCloudPlane(deps, plane, desired.bindings);
    outcome.iamCalls.push(...converged.calls);
  } catch (error: unknown) {
    const message = errorText(error);
    outcome.outcome = 'failed';
    outcome.error = message;
    if (!isTransientCloudError(error))
      await moveGrants(
        deps,
        candidates,
        { status: 'error', iamCalls: outcome.iamCalls, detail: `apply of ${targetKey} failed: ${message}` },
        outcome,
      );
    await deps.cloud.putCloudState({
      dataPlane: plane.name,
      cloud: plane.cloud,
      state: 'failed',
      updatedAt: now(),
      lastError: message,
      bindings: previous?.bindings ?? 0,
      ...(previous?.lastAppliedAt === undefined ? {} : { lastAppliedAt: previous.lastAppliedAt }),
    });
    await audit('failed', message);
    deps.log.error('cloud plane apply failed', {
      targetKey,
      error: message,
      calls: outcome.iamCalls,
      transient: isTransientCloudError(error),
    });
    return outcome;
  }
  if (previous?.state !== 'applied' || previous.bindings !== converged.bindings || converged.writes > 0)
    await deps.cloud.putCloudState({
      dataPlane: plane.name,
      cloud: plane.cloud,
      state: 'applied',
      updatedAt: now(),
      lastAppliedAt: now(),
      bindings: converged.bindings,
    });
  // After the bindings: a grant reads `active` only once its binding is there.
  await moveGrants(
    deps,
    candidates,
    { status: 'ok', iamCalls: outcome.iamCalls, detail: `applied ${targetKey}`, refused },
    outcome,
  );
  if (converged.writes > 0) outcome.outcome = 'applied';
  if (converged.writes > 0 || previous?.state !== 'applied')
    await audit(
      'applied',
      `${converged.writes} ${plane.cloud === 'gcp' ? 'setIamPolicy' : 'role assignment'} write(s), ${converged.reads} read(s), ${converged.bindings} binding(s) desired`,
    );
  deps.log.info('cloud plane applied', {
    targetKey,
    reads: converged.reads,
    writes: converged.writes,
    bindings: converged.bindings,
    grantChanges: outcome.grantChanges,
  });
  return outcome;
}

/** A GCP or Azure plane's drift: its desired bindings against what its resources hold now. */
export interface CloudDrift {
  target: DriftTarget;
  /** Reads made, by call (`getIamPolicy`, `listRoleAssignments`). */
  calls: Record<string, number>;
}

/**
 * Compares a plane's desired bindings with its resources (docs/gcp-azure.md "Drift"): a desired
 * binding that is not there (removed by hand, say) and a binding grantplane made that nothing
 * desires any more are differences; a binding someone else made is none of grantplane's business.
 * Reads only: one IAM policy per GCP resource, one assignment list per Azure scope.
 */
export async function checkCloudDrift(deps: CloudApplyDeps, plane: OtherDataPlaneConfig): Promise<CloudDrift> {
  const [{ bindings }, inventory] = await Promise.all([
    desiredBindings(deps, plane),
    deps.cloud.listInventory(plane.name),
  ]);
  const differences: string[] = [];
  const calls: Record<string, number> = {};
  const target = (): DriftTarget => ({
    dataPlane: plane.name,
    scope: { type: 'global' },
    status: differences.length === 0 ? 'in-sync' : 'drifted',
    differences,
  });
  if (bindings.length === 0 && inventory.length === 0) return { target: target(), calls };
  if (deps.cloudFor === undefined)
    throw new Error(
      `no ${plane.cloud === 'gcp' ? 'Google Cloud' : 'Azure'} client is configured for plane "${plane.name}"`,
    );
  const gateway = await deps.cloudFor(plane);
  const count = (call: string) => {
    calls[call] = (calls[call] ?? 0) + 1;
  };
  if (plane.cloud === 'gcp') {
    if (gateway.policies === undefined) throw new Error(`plane "${plane.name}": no Google Cloud IAM client`);
    const desired = new Map<string, Set<string>>();
    for (const binding of bindings)
      desired.set(
        binding.resource,
        (desired.get(binding.resource) ?? new Set()).add(roleMember(binding.role, binding.member)),
      );
    const owned = new Map(inventory.map((entry) => [entry.resource, entry.owned]));
    for (const resource of [...new Set([...desired.keys(), ...owned.keys()])].sort()) {
      const policy = await gateway.policies.getPolicy(resource);
      count('getIamPolicy');
      const bound = new Set(
        policy.bindings
          .filter((binding) => binding.condition === undefined)
          .flatMap((binding) => binding.members.map((member) => roleMember(binding.role, member))),
      );
      const wanted = desired.get(resource) ?? new Set<string>();
      for (const pair of [...wanted].sort())
        if (!bound.has(pair as RoleMember)) differences.push(`${resource}: ${pair} missing`);
      for (const pair of owned.get(resource) ?? [])
        if (!wanted.has(pair) && bound.has(pair as RoleMember))
          differences.push(`${resource}: ${pair} bound by grantplane, no longer desired`);
    }
  } else {
    if (gateway.assignments === undefined) throw new Error(`plane "${plane.name}": no Azure role assignment client`);
    const scopes = [
      ...new Set([...bindings.map((b) => b.resource), ...inventory.map((entry) => entry.resource)]),
    ].sort();
    const desiredNames = new Set(bindings.map((binding) => binding.assignmentName?.toLowerCase()));
    for (const scope of scopes) {
      const present = await gateway.assignments.listAt(scope);
      count('listRoleAssignments');
      for (const binding of bindings.filter((each) => each.resource === scope)) {
        const there = present.some(
          (each) =>
            (each.roleDefinitionId.split('/').at(-1) ?? '').toLowerCase() === binding.roleDefinitionId &&
            each.principalId.toLowerCase() === binding.member,
        );
        if (!there) differences.push(`${scope}: ${binding.role} for ${binding.member} missing`);
      }
      const owned = new Set(
        inventory
          .filter((entry) => entry.resource === scope)
          .flatMap((entry) => entry.owned.map((n) => n.toLowerCase())),
      );
      for (const each of present)
        if (owned.has(each.name.toLowerCase()) && !desiredNames.has(each.name.toLowerCase()))
          differences.push(`${scope}: role assignment ${each.name} made by grantplane, no longer desired`);
    }
  }
  return { target: target(), calls };
}
