import type { RuleViolation } from '../model.js';
import { listGuardrailCodes } from './guardrails.js';

// Every code the engine can answer with. Codes are part of the API (docs/rules.md): README and
// openapi.yaml list this table; a code, once published, never changes meaning.

export interface RuleCodeInfo {
  code: string;
  /** `rejection`: the grant is refused. `note`: the grant is accepted and the note explains something. */
  kind: 'rejection' | 'note';
  /** The documented rule it implements (docs/rules.md/docs/rules.md). */
  rule: string;
  description: string;
}

const ENGINE_CODES = [
  {
    code: 'request.invalid',
    kind: 'rejection',
    rule: 'request',
    description: 'The request does not match the grant request schema (the path names the field).',
  },
  {
    code: 'plane.unknown',
    kind: 'rejection',
    rule: 'plane',
    description: '`dataPlane` names no configured data plane.',
  },
  {
    code: 'plane.required',
    kind: 'rejection',
    rule: 'plane',
    description: 'Several data planes are configured and the request names none.',
  },
  {
    code: 'scope.invalid-project',
    kind: 'rejection',
    rule: 'R1',
    description: 'The project is not a DNS label (lowercase letters, digits, "-").',
  },
  {
    code: 'scope.namespace-too-long',
    kind: 'rejection',
    rule: 'R1',
    description: 'The namespace `<project>-<domain>` is longer than 63 characters.',
  },
  {
    code: 'scope.unknown-domain',
    kind: 'rejection',
    rule: 'R1',
    description: "The domain is not one of the plane's `domains`.",
  },
  {
    code: 'scope.namespace-collision',
    kind: 'rejection',
    rule: 'R1',
    description:
      'Another project-domain pair of the plane already makes the same namespace `<project>-<domain>` (a-b/c and a/b-c).',
  },
  {
    code: 'scope.project-not-served',
    kind: 'rejection',
    rule: 'R1',
    description: "The plane's `projects` list does not include the project.",
  },
  {
    code: 'cloud.domain-scoping-union-only',
    kind: 'rejection',
    rule: 'R2',
    description:
      'Project-domain scoping on a GCP or Azure plane: only the Union.ai team can configure domain-scoped access there.',
  },
  {
    code: 'cloud.resource-type',
    kind: 'rejection',
    rule: 'R2',
    description:
      "The resource type is not one of the plane's cloud: AWS planes take s3, secretsmanager, ecr, iam-statements; GCP planes gcs, artifact-registry, gcp-secret; Azure planes azure-blob, acr, azure-key-vault.",
  },
  {
    code: 'cloud.identity-missing',
    kind: 'rejection',
    rule: 'R2',
    description:
      'The GCP or Azure plane lacks the configuration key the grant needs (userFlyteGsa, flyteWorkerGsa, projectId, subscriptionId, userFlyteIdentityPrincipalId, kubeletPrincipalId, tenantId); the message names it.',
  },
  {
    code: 'gcs.invalid-bucket',
    kind: 'rejection',
    rule: 'R2',
    description: "The bucket name breaks Cloud Storage's bucket naming rules.",
  },
  {
    code: 'gcs.internal-bucket',
    kind: 'rejection',
    rule: 'R2',
    description: "The bucket matches the GCP plane's `internalBucketPatterns` (a Union.ai internal bucket).",
  },
  {
    code: 'artifact-registry.invalid-repository',
    kind: 'rejection',
    rule: 'R2',
    description: 'The repository is not `projects/<project>/locations/<location>/repositories/<repository>`.',
  },
  {
    code: 'artifact-registry.same-project',
    kind: 'note',
    rule: 'R2',
    description: "The repository is in the plane's own project: access is enabled by default, nothing to change.",
  },
  {
    code: 'gcp-secret.invalid-secret',
    kind: 'rejection',
    rule: 'R2',
    description: 'The secret is not `projects/<project>/secrets/<name>` nor a bare secret name.',
  },
  {
    code: 'gcp-secret.same-project',
    kind: 'note',
    rule: 'R2',
    description: "The secret is in the plane's own project: <UserFlyteGSA> reads it out of the box, nothing to change.",
  },
  {
    code: 'azure-blob.invalid-container',
    kind: 'rejection',
    rule: 'R2',
    description: "The storage account or container name breaks Azure's naming rules.",
  },
  {
    code: 'azure-blob.internal-container',
    kind: 'rejection',
    rule: 'R2',
    description: "The container matches the Azure plane's `internalContainerPatterns` (a Union.ai internal container).",
  },
  {
    code: 'acr.invalid-registry',
    kind: 'rejection',
    rule: 'R2',
    description:
      'The registry is not a `/subscriptions/…/providers/Microsoft.ContainerRegistry/registries/<name>` resource id.',
  },
  {
    code: 'acr.cross-tenant',
    kind: 'rejection',
    rule: 'R2',
    description: 'The registry is in another Azure tenant: that access goes through Union.ai support.',
  },
  {
    code: 'acr.same-subscription',
    kind: 'note',
    rule: 'R2',
    description: "The registry is in the plane's own subscription: nothing for grantplane to change.",
  },
  {
    code: 'azure-key-vault.invalid-secret',
    kind: 'rejection',
    rule: 'R2',
    description: "The vault or secret name breaks Key Vault's naming rules.",
  },
  {
    code: 's3.invalid-bucket',
    kind: 'rejection',
    rule: 'R4',
    description: "The bucket name breaks S3's bucket naming rules.",
  },
  {
    code: 's3.internal-bucket',
    kind: 'rejection',
    rule: 'R4',
    description:
      'The bucket matches `internalBucketPatterns` (a Union.ai internal bucket), or an `iam-statements` Resource of a statement that can act on S3 can match one: decided by glob intersection, reads included (`*`, `arn:aws:s3:::*/*`, `?nion-*` all reach `union-*`).',
  },
  {
    code: 's3.invalid-prefix',
    kind: 'rejection',
    rule: 'R4',
    description: 'The prefix contains a wildcard or policy variable, or is longer than 1,024 characters.',
  },
  {
    code: 'secret.one-of',
    kind: 'rejection',
    rule: 'R5',
    description: 'Give exactly one of `secretArn` and `secretName`.',
  },
  {
    code: 'secret.invalid-arn',
    kind: 'rejection',
    rule: 'R5',
    description: '`secretArn` is not a Secrets Manager secret ARN or ARN pattern.',
  },
  {
    code: 'secret.wrong-service',
    kind: 'rejection',
    rule: 'R5',
    description: "The ARN's service is not `secretsmanager`.",
  },
  {
    code: 'secret.wrong-region',
    kind: 'rejection',
    rule: 'R5',
    description: "The secret is not in the data plane's region.",
  },
  {
    code: 'secret.wrong-account',
    kind: 'rejection',
    rule: 'R5',
    description: "The secret is not in the data plane's account.",
  },
  {
    code: 'secret.too-broad',
    kind: 'rejection',
    rule: 'R5',
    description:
      "A secret pattern (or an `iam-statements` Resource on Secrets Manager) reaches every secret of the account: it must name at least the start of the secret's name (`…:secret:team-a/*`), not `*`, `?*`, `**`.",
  },
  {
    code: 'secret.missing-suffix',
    kind: 'rejection',
    rule: 'R5',
    description: 'A full secret ARN lacks the 6-character suffix `-AbC123`.',
  },
  {
    code: 'secret.invalid-name',
    kind: 'rejection',
    rule: 'R5',
    description: '`secretName` is not a valid Secrets Manager secret name.',
  },
  {
    code: 'ecr.invalid-arn',
    kind: 'rejection',
    rule: 'R6',
    description: '`repositoryArn` is not an ECR repository ARN.',
  },
  {
    code: 'ecr.cross-account-requires-global',
    kind: 'rejection',
    rule: 'R6',
    description: 'A repository in another account is infrastructure access: the scope must be global.',
  },
  {
    code: 'ecr.same-account',
    kind: 'note',
    rule: 'R6',
    description: 'Same-account ECR pulls are enabled by default: nothing to change.',
  },
  {
    code: 'ecr.cross-account',
    kind: 'note',
    rule: 'R6',
    description: "Apply the repository policy in `infrastructure` in the repository's account.",
  },
  {
    code: 'uctl.attributes-unknown',
    kind: 'note',
    rule: 'C5',
    description:
      "The pair's current cluster resource attributes were never imported: its uctl update would reset keys nobody imported; import `uctl get cluster-resource-attribute` output first.",
  },
  {
    code: 'expiry.invalid',
    kind: 'rejection',
    rule: 'R8',
    description: '`expiresAt` is not an ISO 8601 date-time with a time zone.',
  },
  { code: 'expiry.in-past', kind: 'rejection', rule: 'R8', description: '`expiresAt` is not in the future.' },
  {
    code: 'expiry.too-far',
    kind: 'rejection',
    rule: 'R8',
    description: "`expiresAt` is further away than the plane's `maxGrantDays`.",
  },
  {
    code: 'duplicate.repeat',
    kind: 'note',
    rule: 'R9',
    description: 'The same grant as an earlier request: accepted, compiled once.',
  },
  {
    code: 'quota.statement-too-large',
    kind: 'rejection',
    rule: 'C3',
    description: 'One statement of the grant cannot fit in a managed policy (6,144 characters).',
  },
  {
    code: 'quota.policies-per-role',
    kind: 'rejection',
    rule: 'C3',
    description: "The target's role would need more managed policies than `maxPoliciesPerRole` allows.",
  },
] as const satisfies readonly RuleCodeInfo[];

/** The codes the engine itself writes (R7's `guardrail.*` codes come from guardrails.ts). */
export type RuleCode = (typeof ENGINE_CODES)[number]['code'];

/** Every code planGrants can answer with, R7's included, in README order. */
export const RULE_CODES: readonly RuleCodeInfo[] = [
  ...ENGINE_CODES.filter(
    (info) =>
      !info.code.startsWith('quota.') && !info.code.startsWith('duplicate.') && !info.code.startsWith('expiry.'),
  ),
  ...listGuardrailCodes().map((info): RuleCodeInfo => ({
    code: info.code,
    kind: 'rejection',
    rule: 'R7',
    description: info.description,
  })),
  ...ENGINE_CODES.filter(
    (info) => info.code.startsWith('expiry.') || info.code.startsWith('duplicate.') || info.code.startsWith('quota.'),
  ),
];

/** Builds one violation; `code` is typed so a typo cannot reach the API. */
export function violation(path: string, code: RuleCode, message: string): RuleViolation {
  return { path, code, message };
}
