import type { AwsDataPlaneConfig } from '../config.js';
import type { PolicyDocument } from '../model.js';
import { oidcProviderArn } from './arns.js';

// C2 trust policy, exactly as seeds 001 and 004 write it: the cluster's OIDC provider may assume
// the role for the `default` service account of the pair's namespace only. StringEquals, never a
// wildcard subject (seed 004's StringLike `system:serviceaccount:*:default` is what this avoids).

/** The web-identity trust policy of the role of (project, domain). */
export function pairTrustPolicy(plane: AwsDataPlaneConfig, project: string, domain: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn(plane) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${plane.oidcProvider}:sub`]: `system:serviceaccount:${project}-${domain}:default`,
            [`${plane.oidcProvider}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  };
}
