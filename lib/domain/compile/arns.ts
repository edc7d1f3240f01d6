import type { AwsDataPlaneConfig } from '../config.js';

// ARNs of the things grantplane names. The partition follows the region, so a plane in
// cn-north-1 or us-gov-west-1 gets `arn:aws-cn:` / `arn:aws-us-gov:` ARNs.

/** The AWS partition a region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:<partition>:iam::<account>:role<path><name>`. */
export function roleArn(plane: AwsDataPlaneConfig, path: string, name: string): string {
  return `arn:${partitionOf(plane.region)}:iam::${plane.accountId}:role${path}${name}`;
}

/** `arn:<partition>:iam::<account>:policy<path><name>`. */
export function policyArn(plane: AwsDataPlaneConfig, path: string, name: string): string {
  return `arn:${partitionOf(plane.region)}:iam::${plane.accountId}:policy${path}${name}`;
}

/** The `userflyterole` policy every task role carries (seed 000: attached to <UserFlyteRole>). */
export function userFlyteRolePolicyArn(plane: AwsDataPlaneConfig): string {
  return policyArn(plane, '/', plane.userFlyteRolePolicyName);
}

/** The cluster's OIDC provider as an IAM principal (seed 004). */
export function oidcProviderArn(plane: AwsDataPlaneConfig): string {
  return `arn:${partitionOf(plane.region)}:iam::${plane.accountId}:oidc-provider/${plane.oidcProvider}`;
}

/** `arn:<partition>:s3:::<bucket>` (and `<bucket>/<suffix>` when given). */
export function s3Arn(plane: AwsDataPlaneConfig, bucket: string, objectSuffix?: string): string {
  const base = `arn:${partitionOf(plane.region)}:s3:::${bucket}`;
  return objectSuffix === undefined ? base : `${base}/${objectSuffix}`;
}

/** The Secrets Manager ARN prefix of the plane, up to and including `:secret:` (seed 003's SECRET_GROUP). */
export function secretGroupOf(plane: AwsDataPlaneConfig): string {
  return `arn:${partitionOf(plane.region)}:secretsmanager:${plane.region}:${plane.accountId}:secret:`;
}
