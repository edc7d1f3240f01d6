// The IAM write calls the applier can make, as data: the pure diff returns them in a safe order,
// the app layer executes them one call each, and the guard checks them before any is made.
import type { PolicyDocument, Tags } from '../model.js';
import { policyArnName } from './normalize.js';

export type IamAction =
  | { kind: 'CreatePolicy'; name: string; path: string; arn: string; document: PolicyDocument; tags: Tags }
  | { kind: 'CreatePolicyVersion'; arn: string; document: PolicyDocument }
  | { kind: 'DeletePolicyVersion'; arn: string; versionId: string }
  | { kind: 'TagPolicy'; arn: string; tags: Tags }
  | { kind: 'UntagPolicy'; arn: string; keys: string[] }
  | { kind: 'DeletePolicy'; arn: string }
  | {
      kind: 'CreateRole';
      name: string;
      path: string;
      trustPolicy: PolicyDocument;
      permissionsBoundaryArn: string | null;
      tags: Tags;
    }
  | { kind: 'UpdateAssumeRolePolicy'; roleName: string; trustPolicy: PolicyDocument }
  | { kind: 'PutRolePermissionsBoundary'; roleName: string; boundaryArn: string }
  | { kind: 'DeleteRolePermissionsBoundary'; roleName: string }
  | { kind: 'TagRole'; roleName: string; tags: Tags }
  | { kind: 'UntagRole'; roleName: string; keys: string[] }
  | { kind: 'AttachRolePolicy'; roleName: string; policyArn: string }
  | { kind: 'DetachRolePolicy'; roleName: string; policyArn: string }
  | { kind: 'DeleteRole'; roleName: string };

const tagText = (tags: Tags): string =>
  Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');

/** One human-readable line per IAM call, e.g. `CreatePolicy grantplane-flytesnacks-development-1`. */
export function describeAction(action: IamAction): string {
  switch (action.kind) {
    case 'CreatePolicy':
      return `CreatePolicy ${action.name}`;
    case 'CreatePolicyVersion':
      return `CreatePolicyVersion ${policyArnName(action.arn)} (default)`;
    case 'DeletePolicyVersion':
      return `DeletePolicyVersion ${policyArnName(action.arn)} ${action.versionId}`;
    case 'TagPolicy':
      return `TagPolicy ${policyArnName(action.arn)} ${tagText(action.tags)}`;
    case 'UntagPolicy':
      return `UntagPolicy ${policyArnName(action.arn)} ${action.keys.join(',')}`;
    case 'DeletePolicy':
      return `DeletePolicy ${policyArnName(action.arn)}`;
    case 'CreateRole':
      return `CreateRole ${action.name}`;
    case 'UpdateAssumeRolePolicy':
      return `UpdateAssumeRolePolicy ${action.roleName}`;
    case 'PutRolePermissionsBoundary':
      return `PutRolePermissionsBoundary ${action.roleName} ${action.boundaryArn}`;
    case 'DeleteRolePermissionsBoundary':
      return `DeleteRolePermissionsBoundary ${action.roleName}`;
    case 'TagRole':
      return `TagRole ${action.roleName} ${tagText(action.tags)}`;
    case 'UntagRole':
      return `UntagRole ${action.roleName} ${action.keys.join(',')}`;
    case 'AttachRolePolicy':
      return `AttachRolePolicy ${action.roleName} ${policyArnName(action.policyArn)}`;
    case 'DetachRolePolicy':
      return `DetachRolePolicy ${action.roleName} ${policyArnName(action.policyArn)}`;
    case 'DeleteRole':
      return `DeleteRole ${action.roleName}`;
  }
}

/** The role an action changes, if any (for the guard and the call log). */
export function actionRoleName(action: IamAction): string | null {
  if (action.kind === 'CreateRole') return action.name;
  return 'roleName' in action ? action.roleName : null;
}

/** The policy an action names, if any. */
export function actionPolicyArn(action: IamAction): string | null {
  if ('policyArn' in action) return action.policyArn;
  if ('arn' in action) return action.arn;
  return null;
}
