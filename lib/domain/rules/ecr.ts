import type { AwsDataPlaneConfig } from '../config.js';
import type { PolicyStatement, RuleViolation, Scope } from '../model.js';
import { partitionOf } from '../compile/arns.js';
import { violation } from './codes.js';

// R6 ECR (seed 003, "Enabling AWS ECR"): same account → "enabled by default", nothing to do;
// another account → that account applies a repository policy naming the plane's
// `unionai-<org>-flyteworker-node-group` role with exactly the three pull actions.

const REPOSITORY_ARN = /^arn:(aws[a-z-]*):ecr:([a-z0-9-]+):(\d{12}):repository\/([a-z0-9][a-z0-9._/-]*)$/;

export const ECR_PULL_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchGetImage',
] as const;

export type CheckedEcr = { sameAccount: true } | { sameAccount: false; account: string };

/** R6: validates an ECR resource; cross-account pulls must be global (infrastructure access). */
export function checkEcr(
  plane: AwsDataPlaneConfig,
  repositoryArn: string,
  scope: Scope,
): { ecr: CheckedEcr } | { errors: RuleViolation[] } {
  const match = REPOSITORY_ARN.exec(repositoryArn);
  if (match === null) {
    return {
      errors: [
        violation(
          'resource.repositoryArn',
          'ecr.invalid-arn',
          'Expected arn:aws:ecr:<region>:<account>:repository/<name> (lowercase repository name).',
        ),
      ],
    };
  }
  const account = match[3] as string;
  if (account === plane.accountId) return { ecr: { sameAccount: true } };
  if (scope.type !== 'global') {
    return {
      errors: [
        violation(
          'scope',
          'ecr.cross-account-requires-global',
          `Pulling from account ${account} is infrastructure access for the whole plane: use scope {"type":"global"}.`,
        ),
      ],
    };
  }
  return { ecr: { sameAccount: false, account } };
}

/** The repository policy statement the repository's account applies (seed 003), for one plane. */
export function ecrPullPrincipal(plane: AwsDataPlaneConfig): string {
  return `arn:${partitionOf(plane.region)}:iam::${plane.accountId}:role/${plane.workerNodeGroupRoleName}`;
}

/** The statement of a cross-account pull policy for the given principals (sorted, de-duplicated). */
export function ecrPullStatement(principals: readonly string[]): PolicyStatement {
  const sorted = [...new Set(principals)].sort();
  return {
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { AWS: sorted.length === 1 ? sorted[0] : sorted },
    Action: [...ECR_PULL_ACTIONS],
  };
}
