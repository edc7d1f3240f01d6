// The records of the grant plane's state: grants and their lifecycle statuses, targets and their
// keys, planning units, attribute and infrastructure updates, held changes, audit events, and what
// the stores keep for webhooks, drift and git sources. Plain data: the stores (ports.ts) persist it.
import type { GrantRequest } from './grant.js';
import type { CompiledTarget, PolicyDocument, Scope, Tags } from './model.js';

/** Every grant status, in lifecycle order (docs/api.md): the one list schemas, params and the spec test use. */
export const GRANT_STATUSES = [
  'pending-approval',
  'approved',
  'active',
  'failed',
  'rejected',
  'revoking',
  'revoked',
  'expired',
] as const;

export type GrantStatus = (typeof GRANT_STATUSES)[number];

/** Statuses whose grants are part of the desired state (compiled into IAM). */
export const DESIRED_STATUSES: readonly GrantStatus[] = ['approved', 'active', 'failed'];

/** Statuses the applier moves on once their target is applied (approved/failed → active, revoking → ended). */
export const WAITING_STATUSES: readonly GrantStatus[] = ['approved', 'failed', 'revoking'];

/**
 * Statuses of a planning unit's members: the desired ones and those on their way out (`revoking`),
 * so the applier finds every grant it has work for in its unit with one strongly consistent read.
 */
export const MEMBER_STATUSES: readonly GrantStatus[] = [...DESIRED_STATUSES, 'revoking'];

export const isDesiredStatus = (status: GrantStatus): boolean => DESIRED_STATUSES.includes(status);

/** Statuses of a grant that has not ended nor begun to end: what expiry and a git sync look at. */
export const OPEN_STATUSES: readonly GrantStatus[] = ['pending-approval', 'approved', 'active', 'failed'];

export interface StatusChange {
  status: GrantStatus;
  at: string;
  actor: string;
  comment?: string;
}

/** A stored grant: its request (with `dataPlane` resolved) plus lifecycle fields. */
export interface GrantRecord extends Omit<GrantRequest, 'dataPlane'> {
  id: string;
  dataPlane: string;
  /** `<plane>#global` or `<plane>#<project>#<domain>` (see targetKey()). */
  targetKey: string;
  status: GrantStatus;
  requester: string;
  /** `api`, a webhook source (`jira`, …) or a git source name. */
  source: string;
  createdAt: string;
  updatedAt: string;
  history: StatusChange[];
  approvedBy?: string;
  failureReason?: string;
  /**
   * How a `revoking` grant ends once the applier has removed its statements from IAM (docs/api.md):
   * `expired` when the schedule ended it past `expiresAt`; absent means `revoked`.
   */
  endingAs?: 'revoked' | 'expired';
  /** Engine notes on the request at submission (R6 same-account ECR, R9 duplicate, ...). */
  notes?: { code: string; message: string }[];
  /** For a full secret ARN: the split the docs show (docs/rules.md). */
  secretGroup?: string;
  secretKey?: string;
  /** Optimistic-concurrency counter: every update is conditional on it. */
  version: number;
}

export type TargetState = 'pending' | 'applied' | 'failed' | 'waiting-uctl';

export interface TargetRecord {
  targetKey: string;
  dataPlane: string;
  scope: Scope;
  /** Compiled desired state; null when nothing is desired any more (the target is being removed). */
  desired: CompiledTarget | null;
  desiredVersion: number;
  appliedVersion: number;
  state: TargetState;
  lastAppliedAt?: string;
  lastError?: string;
  /** Set when the role is no longer desired and waits for its uctl update before deletion (A3). */
  roleDeletionRequestedAt?: string;
  /**
   * Policies the last successful apply left in place (the applier's): read again on the next run,
   * so a policy detached by a run that then crashed is still found and deleted (A4).
   */
  appliedPolicyArns?: string[];
  updatedAt: string;
}

export interface AttributeRecord {
  dataPlane: string;
  project: string;
  domain: string;
  attributes: Record<string, string>;
  importedAt: string;
  importedBy: string;
}

export interface AttributeUpdate {
  id: string;
  dataPlane: string;
  project: string;
  domain: string;
  /** Role the file points at; null when the file drops defaultUserRoleValue. */
  roleArn: string | null;
  yaml: string;
  command: string;
  contentHash: string;
  status: 'pending' | 'acknowledged';
  createdAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  /**
   * Set when the pair's current attributes were never imported nor configured: the file carries
   * only what grantplane knows, and running it resets every other key of the pair (C5).
   */
  warning?: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  grantId?: string;
  targetKey?: string;
  before?: unknown;
  after?: unknown;
  iamCalls?: string[];
  result?: 'ok' | 'error';
  detail?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageRequest {
  limit: number;
  /** Absent or undefined: the first page. */
  cursor?: string | undefined;
}

export interface GrantFilter {
  project?: string;
  domain?: string;
  status?: GrantStatus;
  source?: string;
}

/**
 * A planning unit: what one change can affect (docs/data-model.md). A pair's grants are planned with
 * the plane's global grants (they take room on every role and cover statements) and with the grants
 * of every pair that spells the same namespace `<project>-<domain>` (the namespace rule); nothing
 * else. So a plane's units are its namespaces plus one global unit, and a change of one pair grant
 * reads and plans its unit and the global grants only, whatever the size of the plane.
 */
export const GLOBAL_UNIT = 'GLOBAL';

/** The planning unit of a scope: `GLOBAL`, or `NS#<project>-<domain>` (the namespace). */
export const unitOf = (scope: Scope): string =>
  scope.type === 'global' ? GLOBAL_UNIT : `NS#${scope.project}-${scope.domain}`;

/** A unit's bookkeeping: which input version its targets were last compiled from, and what that refused. */
export interface UnitState {
  dataPlane: string;
  unit: string;
  /** Bumped whenever the unit's desired grants or imported attributes change. */
  version: number;
  /** The version the last recompute of the unit covered; behind `version` while a recompute is due. */
  compiled: number;
  /** Every target key the unit's grants ever compiled into (a target nothing desires any more included). */
  targetKeys: string[];
  /** Desired grants that compilation refused (grant id → codes and messages), as of `compiled`. */
  refused: Record<string, string>;
  /** The copies of its desired grants the unit's item carries (absent: not read, so not known). */
  inline?: InlineMembers;
}

/** What the engine plans from of a desired grant: its request as stored, without its history. */
export type DesiredMember = Pick<
  GrantRecord,
  'id' | 'dataPlane' | 'targetKey' | 'scope' | 'resource' | 'justification' | 'ticket'
>;

/**
 * A grant as planning takes it: a stored grant (its status says whether it is desired), or a
 * unit item's inline copy of a desired one (no status: desired by being there).
 */
export type PlannedGrant = DesiredMember & Partial<Pick<GrantRecord, 'status' | 'expiresAt'>>;

/**
 * A unit item's inline copies of its desired grants (docs/data-model.md), so a submit reads a
 * unit's desired grants with the unit itself in one request.
 */
export interface InlineMembers {
  /** The copies are exactly the unit's desired grants; otherwise its members partition decides. */
  complete: boolean;
  /** Bytes of further copies the item may take (0 while not complete: nothing is added then). */
  room: number;
  /** The copies the item carries, in id order (complete or not). */
  members: DesiredMember[];
}

/** The whole plane as the schedule's repair pass, expiry, git sync and held-change release plan it. */
export interface PlaneSnapshot {
  dataPlane: string;
  /** Bumped whenever the desired grant set or an imported attribute map of the plane changes. */
  version: number;
  units: UnitState[];
  /** The plane's unit members (desired and `revoking` grants), in id order. */
  grants: GrantRecord[];
  targets: TargetRecord[];
  /** Imported cluster resource attributes of the plane's pairs. */
  attributes: AttributeRecord[];
  /** The plane's held change (A6), if one waits for an admin. */
  hold: HeldChange | null;
  /** The plane's tracked infrastructure updates (cross-account ECR repository policies), one per repository. */
  infrastructure: InfrastructureUpdate[];
}

/** One unit and the global unit: what a change of a pair grant reads (a handful of requests at any plane size). */
export interface UnitSnapshot {
  dataPlane: string;
  unit: UnitState;
  global: UnitState;
  /**
   * The desired grants of the global unit and of this unit, in id order: their inline copies when
   * both units' are complete, else their members (desired and `revoking`, with their statuses).
   */
  grants: PlannedGrant[];
  /** The stored targets of the unit's target keys and the plane's global target. */
  targets: TargetRecord[];
  /** Imported attributes of the unit's pairs. */
  attributes: AttributeRecord[];
  hold: HeldChange | null;
}

/**
 * What a target write is valid for: the plane version a whole-plane recompute read, or the unit
 * and global versions a unit recompute read. Every change of a desired set bumps both its unit and
 * its plane, so a write from stale input always fails and is recomputed.
 */
export type DesiredGuard =
  { kind: 'plane'; version: number } | { kind: 'unit'; unit: string; version: number; globalVersion: number };

/** Marks a unit compiled at `version` with what that compilation refused. */
export interface CompiledMark {
  unit: string;
  version: number;
  refused: Record<string, string>;
}

/**
 * A change someone else applies outside grantplane's reach: the repository policy a cross-account
 * ECR grant needs in the repository's account (R6). One per (plane, repository), the latest
 * content; acknowledged by whoever applied it, like a uctl update.
 */
export interface InfrastructureUpdate {
  /** `<dataPlane>:<repository hash>:<content hash>` (16 hex digits each). */
  id: string;
  dataPlane: string;
  kind: 'ecr-repository-policy';
  repositoryArn: string;
  /** The account that owns the repository: its owner applies the policy. */
  accountId: string;
  /** The statement(s) to put into the repository policy; null: remove grantplane's statement. */
  policy: PolicyDocument | null;
  contentHash: string;
  status: 'pending' | 'acknowledged';
  createdAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
}

/** One target of a held change: the access the change would take from it. */
export interface HeldTarget {
  targetKey: string;
  scope: Scope;
  /** Action × resource entries the change would take away. */
  removedCount: number;
  /** The first of them, `<action> on <resource>`. */
  removed: string[];
  /** Hash of the desired state the change proposes: a release applies exactly this. */
  proposedHash: string;
}

/**
 * A change that would take access from more than half of a plane's targets (and more than two),
 * held by the recompute (A6): those targets keep their desired state until an admin releases it.
 */
export interface HeldChange {
  dataPlane: string;
  /** When the change was first held. */
  heldAt: string;
  updatedAt: string;
  /** The plane version the hold was computed at (a newer recompute replaces it). */
  planeVersion: number;
  /** Targets of the plane that held access before the change. */
  targetsWithAccess: number;
  targets: HeldTarget[];
}

export interface DesiredTargetWrite {
  targetKey: string;
  scope: Scope;
  desired: CompiledTarget | null;
  /** The stored desiredVersion this write replaces (0 = the target does not exist yet). */
  expectedDesiredVersion: number;
  updatedAt: string;
}

export interface DeliveryRecord {
  source: string;
  deliveryId: string;
  at: string;
  /** What the first delivery answered (status and body), replayed as is. */
  result: unknown;
}

/** What the drift run remembers of a plane's policies between runs, by policy ARN. */
export interface PolicyTagsRecord {
  dataPlane: string;
  /** `versionId`: the default version the tags were read at; `readAt`: epoch milliseconds. */
  policies: Record<string, { versionId: string; tags: Tags; readAt: number }>;
  updatedAt: string;
}

/**
 * What grantplane bound on one GCP or Azure resource (its inventory, docs/gcp-azure.md): only what
 * is listed here is ever removed, so a binding someone else made is never touched. GCP: `role
 * member` pairs on the resource's IAM policy; Azure: the names of its role assignments at the scope.
 */
export interface CloudInventoryEntry {
  dataPlane: string;
  cloud: 'gcp' | 'azure';
  /** The IAM resource (`projects/_/buckets/<b>`, …) or the role assignments' scope. */
  resource: string;
  owned: string[];
  updatedAt: string;
}

/** The last apply of a GCP or Azure plane's bindings: what the sweep and GET /v1/targets read. */
export interface CloudPlaneState {
  dataPlane: string;
  cloud: 'gcp' | 'azure';
  /** `drifted`: a drift check in enforce mode found bindings missing; the applier's sweep repairs them. */
  state: 'applied' | 'failed' | 'drifted';
  updatedAt: string;
  lastAppliedAt?: string;
  lastError?: string;
  /** Desired bindings at the last apply. */
  bindings: number;
}

export interface DriftReportRecord {
  id: string;
  checkedAt: string;
  /** The report as GET /v1/drift-checks/latest serves it. */
  report: unknown;
}

export interface SourceRecord {
  name: string;
  createdAt: string;
  updatedAt: string;
  lastRevision?: string;
}

/** `<plane>#global` or `<plane>#<project>#<domain>`. */
export const targetKey = (dataPlane: string, scope: Scope): string =>
  scope.type === 'global' ? globalTargetKey(dataPlane) : `${dataPlane}#${scope.project}#${scope.domain}`;

/** A plane's global target: `<plane>#global`. */
export const globalTargetKey = (dataPlane: string): string => `${dataPlane}#global`;

/** The plane of a target key (plane names hold no `#`). */
export const planeOfTargetKey = (key: string): string => key.split('#')[0] ?? key;

/** Whether a target key is its plane's global target. */
export const isGlobalTargetKey = (key: string): boolean => key === globalTargetKey(planeOfTargetKey(key));
