import type { AwsDataPlaneConfig } from '../config.js';
import {
  HASH_TAG,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  type CompiledPolicy,
  type CompiledTarget,
  type PolicyDocument,
} from '../model.js';
import { policyArn, roleArn, userFlyteRolePolicyArn } from './arns.js';
import { documentHash } from './hash.js';
import { globalPolicyName, pairPolicyName, pairRoleName } from './names.js';
import { toPolicyStatement, type NormStatement } from './statements.js';
import { pairTrustPolicy } from './trust.js';
import { bindingOf, uctlUpdate } from './uctl.js';

// C1/C2/C4/C5: packed statements → the desired state of one target.

/** C4 tags of a managed resource whose desired document is `document`. */
export function managedTags(document: unknown): Record<string, string> {
  return { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [HASH_TAG]: documentHash(document) };
}

function compilePolicies(
  plane: AwsDataPlaneConfig,
  packed: readonly NormStatement[][],
  nameOf: (n: number) => string,
): CompiledPolicy[] {
  return packed.map((statements, index) => {
    const name = nameOf(index + 1);
    const document: PolicyDocument = { Version: '2012-10-17', Statement: statements.map(toPolicyStatement) };
    return {
      name,
      arn: policyArn(plane, plane.managedPath, name),
      path: plane.managedPath,
      document,
      tags: managedTags(document),
    };
  });
}

/** C1: the global policies, attached to <UserFlyteRole> (which grantplane does not own: role.managed false). */
export function compileGlobalTarget(plane: AwsDataPlaneConfig, packed: readonly NormStatement[][]): CompiledTarget {
  const policies = compilePolicies(plane, packed, globalPolicyName);
  return {
    dataPlane: plane.name,
    accountId: plane.accountId,
    scope: { type: 'global' },
    role: {
      name: plane.userFlyteRoleName,
      arn: roleArn(plane, '/', plane.userFlyteRoleName),
      managed: false,
      path: '/',
      trustPolicy: null,
      permissionsBoundaryArn: null,
      tags: {},
    },
    attachedPolicyArns: policies.map((policy) => policy.arn),
    policies,
    uctl: null,
  };
}

/** C2: the role of one pair: trust, userflyterole + global policies + its own, boundary, uctl file. */
export function compilePairTarget(
  plane: AwsDataPlaneConfig,
  project: string,
  domain: string,
  packed: readonly NormStatement[][],
  globalPolicyArns: readonly string[],
  currentAttributes: Readonly<Record<string, unknown>>,
): CompiledTarget {
  const name = pairRoleName(plane, project, domain);
  const arn = roleArn(plane, plane.managedPath, name);
  const trustPolicy = pairTrustPolicy(plane, project, domain);
  const policies = compilePolicies(plane, packed, (n) => pairPolicyName(project, domain, n));
  return {
    dataPlane: plane.name,
    accountId: plane.accountId,
    scope: { type: 'project-domain', project, domain },
    role: {
      name,
      arn,
      managed: true,
      path: plane.managedPath,
      trustPolicy,
      permissionsBoundaryArn: plane.permissionsBoundaryArn,
      // The role's own desired document: its trust policy and boundary (attachments are listed separately).
      tags: managedTags({ trustPolicy, permissionsBoundaryArn: plane.permissionsBoundaryArn }),
    },
    attachedPolicyArns: [userFlyteRolePolicyArn(plane), ...globalPolicyArns, ...policies.map((policy) => policy.arn)],
    policies,
    uctl: uctlUpdate(project, domain, arn, currentAttributes, bindingOf(plane)),
  };
}
