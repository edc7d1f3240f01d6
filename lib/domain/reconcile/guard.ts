// R3 as a last line of defence: whatever the diff computed, no action may touch <AdminFlyteRole>,
// change the userflyterole policy, or change <UserFlyteRole> beyond attaching grantplane's policies.
import type { IamAction } from './actions.js';
import { actionPolicyArn, actionRoleName, describeAction } from './actions.js';
import { policyArnPath } from './normalize.js';

/** What grantplane must never break on a plane, and where it owns things (R3). */
export interface PlaneGuard {
  accountId: string;
  managedPath: string;
  userFlyteRoleName: string;
  adminFlyteRoleName: string;
  /** `arn:aws:iam::<account>:policy/<userFlyteRolePolicyName>`. */
  userFlyteRolePolicyArn: string;
  /** Attached-policy quota per role; when known, detaches go first if attaching first would exceed it. */
  maxPoliciesPerRole?: number;
}

/** An action would break R3; nothing of the batch may run. */
export class ForbiddenActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenActionError';
  }
}

/** Throws ForbiddenActionError if any action breaks R3 (checked before the first call is made). */
export function assertSafeActions(actions: readonly IamAction[], guard: PlaneGuard): void {
  for (const action of actions) {
    const text = describeAction(action);
    const roleName = actionRoleName(action);
    const policyArn = actionPolicyArn(action);
    const ownPolicy = policyArn !== null && policyArnPath(policyArn).startsWith(guard.managedPath);
    if (roleName !== null && roleName.toLowerCase() === guard.adminFlyteRoleName.toLowerCase()) {
      throw new ForbiddenActionError(
        `refusing ${text}: grantplane never touches <AdminFlyteRole> ${guard.adminFlyteRoleName}`,
      );
    }
    if (
      policyArn === guard.userFlyteRolePolicyArn &&
      action.kind !== 'AttachRolePolicy' &&
      action.kind !== 'DetachRolePolicy'
    ) {
      throw new ForbiddenActionError(`refusing ${text}: grantplane never changes the userflyterole policy`);
    }
    if (roleName !== null && roleName.toLowerCase() === guard.userFlyteRoleName.toLowerCase()) {
      const attachment = action.kind === 'AttachRolePolicy' || action.kind === 'DetachRolePolicy';
      if (!attachment || !ownPolicy) {
        throw new ForbiddenActionError(
          `refusing ${text}: on <UserFlyteRole> grantplane only attaches and detaches its own policies`,
        );
      }
    }
    if (action.kind === 'DetachRolePolicy' && !ownPolicy && policyArn !== guard.userFlyteRolePolicyArn) {
      throw new ForbiddenActionError(`refusing ${text}: grantplane only detaches its own policies`);
    }
    if (action.kind === 'CreateRole' && !action.path.startsWith(guard.managedPath)) {
      throw new ForbiddenActionError(`refusing ${text}: grantplane creates roles only under ${guard.managedPath}`);
    }
    const policyWrite =
      action.kind === 'CreatePolicy' ||
      action.kind === 'CreatePolicyVersion' ||
      action.kind === 'DeletePolicyVersion' ||
      action.kind === 'DeletePolicy' ||
      action.kind === 'TagPolicy' ||
      action.kind === 'UntagPolicy';
    if (policyWrite && !ownPolicy) {
      throw new ForbiddenActionError(`refusing ${text}: grantplane changes policies only under ${guard.managedPath}`);
    }
  }
}
