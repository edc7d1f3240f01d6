// One target's actual state taken from a whole-plane read (docs/applier.md A1): the apply reads the plane
// once, diffs every target against that snapshot, and reads a target again on its own only when the
// snapshot says it needs writes (so every write is still based on a fresh read, A4).
import type { CompiledTarget } from '../model.js';
import type { ActualPolicy, ActualTarget, PlaneGuard, TargetRef } from './diff.js';
import { isManagedPathArn, isOwned, policiesToRead } from './diff.js';
import type { IamPlaneState } from './drift.js';

/**
 * The ActualTarget of `ref` as the snapshot holds it, or null when the snapshot cannot say: a policy
 * of interest lies outside the managed path (the snapshot holds only managed-path policies). A role
 * or managed-path policy absent from the snapshot does not exist (the snapshot holds every role and
 * policy under the managed path, and <UserFlyteRole> by name). A role of the same name outside the
 * managed path is not in it either: the diff then asks for CreateRole, i.e. writes, and the caller's
 * fresh read of that target finds the role (and refuses it, as reconcileTarget always did).
 */
export function targetFromSnapshot(
  snapshot: IamPlaneState,
  desired: CompiledTarget | null,
  ref: TargetRef,
  guard: PlaneGuard,
  extraPolicyArns: readonly string[] = [],
): ActualTarget | null {
  const entry = snapshot.roles.get(ref.roleName);
  const attached = entry?.attached ?? [];
  const desiredArns = new Set(desired?.policies.map((policy) => policy.arn) ?? []);
  const policies: ActualPolicy[] = [];
  for (const arn of policiesToRead(desired, attached, guard, extraPolicyArns)) {
    if (!isManagedPathArn(arn, guard)) return null;
    const held = snapshot.policies.get(arn);
    if (held === undefined) continue;
    const actual: ActualPolicy = { policy: held.policy };
    // As reconcileTarget reads it: the default document only for policies this target keeps.
    if (desiredArns.has(arn) && isOwned(held.policy, guard)) actual.defaultDocument = held.defaultDocument;
    policies.push(actual);
  }
  return { role: entry?.role ?? null, attached, policies };
}
