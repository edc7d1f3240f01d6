// Shared shapes of the engine's output (docs/cli.md): the contract between the compiler,
// the applier, the drift check, the CLI and the HTTP API. Pure types, no behaviour.

/** One rejected field: stable `code`, the offending `path`, and a message that says what to do. */
export interface RuleViolation {
  path: string;
  code: string;
  message: string;
}

export type GlobalScope = { type: 'global' };
export type ProjectDomainScope = { type: 'project-domain'; project: string; domain: string };
export type Scope = GlobalScope | ProjectDomainScope;

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

/** An IAM policy statement as grantplane writes and reads it (arrays normalised on compile). */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export type Tags = Record<string, string>;

/** Tag keys grantplane puts on everything it owns (C4). */
export const MANAGED_BY_TAG = 'managed-by';
export const MANAGED_BY_VALUE = 'grantplane';
export const HASH_TAG = 'grantplane:hash';

export interface CompiledRole {
  name: string;
  arn: string;
  /** false for the global target: `<UserFlyteRole>` belongs to Union, grantplane only attaches to it. */
  managed: boolean;
  path: string;
  trustPolicy: PolicyDocument | null;
  permissionsBoundaryArn: string | null;
  tags: Tags;
}

export interface CompiledPolicy {
  name: string;
  arn: string;
  path: string;
  document: PolicyDocument;
  tags: Tags;
}

export interface UctlUpdate {
  file: 'cluster_resource_attributes.yaml';
  yaml: string;
  command: string;
}

/** Desired state of one target: the global target of a plane, or one project-domain role. */
export interface CompiledTarget {
  dataPlane: string;
  accountId: string;
  scope: Scope;
  role: CompiledRole;
  /** Global: grantplane's global policies only. Project-domain: userflyterole, the global policies, its own. */
  attachedPolicyArns: string[];
  /** The policies this target owns (global target: the global policies; pair: its own). */
  policies: CompiledPolicy[];
  uctl: UctlUpdate | null;
}

export interface InfrastructureOutput {
  kind: 'ecr-repository-policy';
  repositoryArn: string;
  policy: PolicyDocument;
}

export interface AcceptedGrant {
  index: number;
  secretGroup?: string;
  secretKey?: string;
}

export interface RejectedGrant {
  index: number;
  errors: RuleViolation[];
}

export interface GrantNote {
  index: number;
  code: string;
  message: string;
}

/** The output of `grantplane plan` (docs/cli.md), byte-identical for the same grants in any order. */
export interface PlanResult {
  accepted: AcceptedGrant[];
  rejected: RejectedGrant[];
  notes: GrantNote[];
  targets: CompiledTarget[];
  infrastructure: InfrastructureOutput[];
  /** GCP and Azure planes: the role bindings the accepted global grants need (present when any). */
  bindings?: PlannedBinding[];
}

/** One role binding a grant needs on a GCP or Azure plane. */
export interface CloudBinding {
  dataPlane: string;
  cloud: 'gcp' | 'azure';
  /**
   * `task`: the identity task code runs as (<UserFlyteGSA>, the `userflyterole` managed identity);
   * `infrastructure`: the node pool's (<FlyteWorkerGSA>, the AKS kubelet identity) — image pulls.
   */
  access: 'task' | 'infrastructure';
  /**
   * What the role is granted on, as its API names it: GCP `projects/_/buckets/<bucket>`,
   * `projects/<p>/locations/<l>/repositories/<r>`, `projects/<p>/secrets/<name>`; Azure the
   * role assignment's scope (a resource id).
   */
  resource: string;
  /** GCP: `roles/…`; Azure: the built-in role's name. */
  role: string;
  /** Azure: the built-in role definition's id (the same in every tenant). */
  roleDefinitionId?: string;
  /** GCP: `serviceAccount:<email>`; Azure: the principal (object) id. */
  member: string;
  /** Azure: the role assignment's name, a GUID derived from scope, role and principal, so a re-run finds it. */
  assignmentName?: string;
  /** The command that makes the binding by hand. */
  command: string;
}

/** One binding of a GCP or Azure plane, with the requests (indices) that need it. */
export type PlannedBinding = CloudBinding & { grants: number[] };
