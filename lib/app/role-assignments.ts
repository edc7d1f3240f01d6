// Converging an Azure plane's role assignments on its desired bindings (docs/gcp-azure.md): each
// desired binding is one assignment under its deterministic name, created when missing; each
// assignment grantplane made before (its inventory) and no longer desired is deleted. An equal
// assignment someone else made satisfies the binding and is never deleted. A converged plane
// costs one read per binding and no write.
import type { CloudBinding } from '../domain/model.js';

export interface AssignmentRef {
  scope: string;
  name: string;
}

export interface AssignmentStore {
  get(scope: string, name: string): Promise<{ roleDefinitionId: string; principalId: string } | null>;
  create(
    scope: string,
    name: string,
    assignment: { roleDefinitionId: string; principalId: string },
  ): Promise<'created' | 'exists'>;
  delete(scope: string, name: string): Promise<boolean>;
  /** Every assignment made exactly at the scope (the drift check's read). */
  listAt(scope: string): Promise<{ name: string; roleDefinitionId: string; principalId: string }[]>;
}

export interface AssignmentOutcome {
  created: AssignmentRef[];
  /** Desired bindings someone else had already assigned (under their own name): left to them. */
  assignedElsewhere: AssignmentRef[];
  deleted: AssignmentRef[];
  reads: number;
  writes: number;
  /** grantplane's assignments afterwards: the inventory to store. */
  owned: AssignmentRef[];
}

/** The full role definition id ARM takes, in the subscription of the scope. */
export function roleDefinitionIdAt(scope: string, roleDefinitionGuid: string): string {
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
  if (subscription === undefined) throw new Error(`not a subscription scope: ${scope}`);
  return `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`;
}

const refKey = (ref: AssignmentRef): string => `${ref.scope.toLowerCase()}|${ref.name.toLowerCase()}`;
const guidOf = (roleDefinitionId: string): string => (roleDefinitionId.split('/').at(-1) ?? '').toLowerCase();

export async function convergeAssignments(
  store: AssignmentStore,
  desired: readonly CloudBinding[],
  owned: readonly AssignmentRef[],
): Promise<AssignmentOutcome> {
  const outcome: AssignmentOutcome = {
    created: [],
    assignedElsewhere: [],
    deleted: [],
    reads: 0,
    writes: 0,
    owned: [],
  };
  const wanted = new Map<string, AssignmentRef>();
  for (const binding of desired) {
    if (binding.cloud !== 'azure' || binding.assignmentName === undefined || binding.roleDefinitionId === undefined)
      throw new Error(`not an Azure binding: ${binding.resource} ${binding.role}`);
    const ref = { scope: binding.resource, name: binding.assignmentName };
    wanted.set(refKey(ref), ref);
    const found = await store.get(ref.scope, ref.name);
    outcome.reads += 1;
    if (found !== null) {
      if (
        guidOf(found.roleDefinitionId) !== binding.roleDefinitionId ||
        found.principalId.toLowerCase() !== binding.member
      )
        throw new Error(
          `role assignment ${ref.name} at ${ref.scope} is not grantplane's ${binding.role} for ${binding.member}: someone reused its name; delete it or rename it`,
        );
      outcome.owned.push(ref);
      continue;
    }
    outcome.writes += 1;
    const made = await store.create(ref.scope, ref.name, {
      roleDefinitionId: roleDefinitionIdAt(ref.scope, binding.roleDefinitionId),
      principalId: binding.member,
    });
    if (made === 'created') {
      outcome.created.push(ref);
      outcome.owned.push(ref);
    } else outcome.assignedElsewhere.push(ref);
  }
  for (const ref of owned) {
    if (wanted.has(refKey(ref))) continue;
    outcome.writes += 1;
    if (await store.delete(ref.scope, ref.name)) outcome.deleted.push(ref);
  }
  outcome.owned.sort((a, b) => (refKey(a) < refKey(b) ? -1 : 1));
  return outcome;
}
