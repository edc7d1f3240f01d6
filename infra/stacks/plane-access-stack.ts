// Deployed in a data plane's own AWS account (seed 003: one cluster per account): the role the
// applier assumes there (`applierRoleArn`), with exactly the applier's home-account permissions for
// that plane; its read-only twin `<name>-drift` that the drift check assumes (reads only, in every
// account); and, unless one is configured, the permissions boundary every task role carries.
import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { ArnPrincipal, ManagedPolicy, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { InfraConfigError, type PlaneAccess } from '../config.js';
import {
  IAM_LIST_ACKNOWLEDGEMENT,
  acknowledgeApplierWildcards,
  applierStatements,
  createTaskBoundary,
  readOnlyStatements,
} from '../constructs/applier-policy.js';

export interface PlaneAccessStackProps extends StackProps {
  plane: PlaneAccess;
  /** The home account's applier role: the only principal the applier access role trusts. */
  applierPrincipalArn: string;
  /** The home account's drift role: the only principal the read-only drift role trusts. */
  driftPrincipalArn: string;
}

/** Splits `arn:aws:iam::<acct>:role/<path>/<name>` into IAM path and role name. */
export const splitRoleArn = (arn: string): { path: string; name: string } => {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split('/').slice(1);
  const name = parts.pop();
  if (!name) throw new InfraConfigError(`applierRoleArn ${arn}: no role name`);
  return { path: parts.length > 0 ? `/${parts.join('/')}/` : '/', name };
};

export class PlaneAccessStack extends Stack {
  readonly role: Role;
  readonly driftRole: Role;

  constructor(scope: Construct, id: string, props: PlaneAccessStackProps) {
    super(scope, id, props);
    const { plane } = props;
    if (!plane.applierRoleArn)
      throw new InfraConfigError(`plane ${plane.name}: set applierRoleArn to deploy its access role`);
    const { path, name } = splitRoleArn(plane.applierRoleArn);
    // The access role must not be manageable by what it grants: never under the managed path.
    if (`${path}`.startsWith(plane.managedPath)) {
      throw new InfraConfigError(
        `plane ${plane.name}: applierRoleArn must not be under the managed path ${plane.managedPath}`,
      );
    }
    this.role = new Role(this, 'ApplierAccessRole', {
      roleName: name,
      path,
      description: `grantplane applier access to data plane ${plane.name}`,
      assumedBy: new ArnPrincipal(props.applierPrincipalArn),
    });
    // A customer-managed policy (not inline) so the permissions are visible and reviewable by name.
    const policy = new ManagedPolicy(this, 'ApplierAccessPolicy', {
      description: `grantplane: manage roles and policies under ${plane.managedPath} for plane ${plane.name}`,
      statements: applierStatements(plane),
      roles: [this.role],
    });
    acknowledgeApplierWildcards(policy, plane);
    Validations.of(policy).acknowledge(IAM_LIST_ACKNOWLEDGEMENT);

    this.driftRole = new Role(this, 'DriftAccessRole', {
      roleName: `${name}-drift`,
      path,
      description: `grantplane drift check: read-only access to data plane ${plane.name}`,
      assumedBy: new ArnPrincipal(props.driftPrincipalArn),
    });
    const reads = new ManagedPolicy(this, 'DriftAccessPolicy', {
      description: `grantplane: read roles and policies under ${plane.managedPath} for plane ${plane.name}`,
      statements: readOnlyStatements(plane),
      roles: [this.driftRole],
    });
    acknowledgeApplierWildcards(reads, plane);
    Validations.of(reads).acknowledge(IAM_LIST_ACKNOWLEDGEMENT);
    if (plane.createsBoundary) createTaskBoundary(this, 'TaskBoundary');
    new CfnOutput(this, 'DriftRoleArn', { value: this.driftRole.roleArn });
    new CfnOutput(this, 'ApplierRoleArn', { value: this.role.roleArn });
  }
}
