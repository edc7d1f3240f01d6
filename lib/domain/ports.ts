// Ports: what the domain and the use cases need from the outside world — time, ids, callers, IAM,
// and the stores of the records (records.ts) — and adapters implement. Nothing here imports an
// adapter, an SDK, or reads the environment.
import type { PolicyDocument, Tags } from './model.js';
import type {
  AttributeRecord,
  AttributeUpdate,
  AuditEvent,
  CloudInventoryEntry,
  CloudPlaneState,
  CompiledMark,
  DeliveryRecord,
  DesiredGuard,
  DesiredMember,
  DesiredTargetWrite,
  DriftReportRecord,
  GrantFilter,
  GrantRecord,
  GrantStatus,
  HeldChange,
  InfrastructureUpdate,
  Page,
  PageRequest,
  PlaneSnapshot,
  PolicyTagsRecord,
  SourceRecord,
  TargetRecord,
  UnitSnapshot,
  UnitState,
} from './records.js';

export interface Clock {
  /** Current time. */
  now(): Date;
}

/** A change of the stored state the applier reacts to, as the table's stream reports it. */
export type TableChange =
  | { kind: 'target-desired'; targetKey: string }
  | { kind: 'unit-compiled'; dataPlane: string; unit: string; targetKeys: string[] }
  | { kind: 'attribute-update-acknowledged'; dataPlane: string; project: string; domain: string };

/** How loops that retry or wait for a lease pause, and their jitter (injected, so tests need no real time). */
export interface Pause {
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

export interface Ids {
  /** A new unique, URL-safe id (ULID-like: sortable by creation time). */
  next(): string;
}

/** Roles a caller may hold (docs/api.md); functions/shared/routes.ts re-exports this type. */
export type Role = 'requester' | 'approver' | 'admin';

/** Every role, in the order the docs list them. */
export const ROLES: readonly Role[] = ['requester', 'approver', 'admin'];

/** Who calls a use case: the token's subject and roles (or a webhook's / sync's actor). */
export interface Identity {
  sub: string;
  roles: readonly Role[];
}

// A thin typed view of IAM's own operations. Documents are always decoded (IAM returns them
// URL-encoded) and parsed; `null` means NoSuchEntity. Every method is exactly one IAM call
// (list methods: one call per page), so callers can count and print the calls they make.

export interface IamRole {
  name: string;
  arn: string;
  path: string;
  trustPolicy: PolicyDocument;
  /** null: none. ListRoles does not return boundaries (IAM API reference): undefined there. */
  permissionsBoundaryArn?: string | null;
  /** GetRole returns tags; ListRoles does not (undefined there). */
  tags?: Tags;
}

export interface IamPolicy {
  name: string;
  arn: string;
  path: string;
  defaultVersionId: string;
  attachmentCount: number;
  /** GetPolicy returns tags; ListPolicies does not (undefined there). */
  tags?: Tags;
}

export interface IamPolicyVersion {
  versionId: string;
  isDefault: boolean;
  createDate: string;
  /** Present from GetPolicyVersion and GetAccountAuthorizationDetails; absent from ListPolicyVersions. */
  document?: PolicyDocument;
}

export interface IamAttachedPolicy {
  name: string;
  arn: string;
}

/** One role as GetAccountAuthorizationDetails describes it. */
export interface IamRoleDetail extends IamRole {
  tags: Tags;
  attachedPolicies: IamAttachedPolicy[];
}

/** One customer-managed policy as GetAccountAuthorizationDetails describes it, with all versions. */
export interface IamPolicyDetail extends IamPolicy {
  versions: IamPolicyVersion[];
}

export interface IamGateway {
  getRole(name: string): Promise<IamRole | null>;
  listRoles(pathPrefix: string): Promise<IamRole[]>;
  createRole(input: {
    name: string;
    path: string;
    trustPolicy: PolicyDocument;
    permissionsBoundaryArn: string | null;
    tags: Tags;
    description?: string;
  }): Promise<IamRole>;
  updateAssumeRolePolicy(roleName: string, trustPolicy: PolicyDocument): Promise<void>;
  putRolePermissionsBoundary(roleName: string, boundaryArn: string): Promise<void>;
  deleteRolePermissionsBoundary(roleName: string): Promise<void>;
  tagRole(roleName: string, tags: Tags): Promise<void>;
  untagRole(roleName: string, keys: string[]): Promise<void>;
  deleteRole(roleName: string): Promise<void>;

  listAttachedRolePolicies(roleName: string): Promise<IamAttachedPolicy[]>;
  attachRolePolicy(roleName: string, policyArn: string): Promise<void>;
  detachRolePolicy(roleName: string, policyArn: string): Promise<void>;

  /** GetPolicy (with tags); only a policy without tags costs a second call, ListPolicyTags. */
  getPolicy(arn: string): Promise<IamPolicy | null>;
  listPolicies(pathPrefix: string): Promise<IamPolicy[]>;
  createPolicy(input: {
    name: string;
    path: string;
    document: PolicyDocument;
    tags: Tags;
    description?: string;
  }): Promise<IamPolicy>;
  getPolicyVersion(arn: string, versionId: string): Promise<IamPolicyVersion | null>;
  listPolicyVersions(arn: string): Promise<IamPolicyVersion[]>;
  createPolicyVersion(arn: string, document: PolicyDocument, setAsDefault: boolean): Promise<IamPolicyVersion>;
  deletePolicyVersion(arn: string, versionId: string): Promise<void>;
  deletePolicy(arn: string): Promise<void>;
  tagPolicy(arn: string, tags: Tags): Promise<void>;
  untagPolicy(arn: string, keys: string[]): Promise<void>;

  /**
   * Whole-account read for drift checks: roles and local managed policies (all pages). With a
   * filter, only roles and policies under `pathPrefix` (plus the roles named in `roleNames`, e.g.
   * <UserFlyteRole>) are returned and parsed — the account may hold documents grantplane does not
   * model, e.g. Version 2008-10-17; the IAM calls are the same.
   */
  getAccountAuthorizationDetails(filter?: {
    pathPrefix: string;
    roleNames?: readonly string[];
  }): Promise<{ roles: IamRoleDetail[]; policies: IamPolicyDetail[] }>;
}

/** IAM error codes the engine tells apart; anything else arrives as `Other`. */
export type IamErrorCode =
  | 'NoSuchEntity'
  | 'EntityAlreadyExists'
  | 'DeleteConflict'
  | 'LimitExceeded'
  | 'MalformedPolicyDocument'
  | 'InvalidInput'
  | 'Throttling'
  | 'ServiceFailure'
  | 'UnparseableDocument'
  | 'Other';

/** A failed IamGateway call (after the SDK's retries): the IAM operation, IAM's code, the SDK error as cause. */
export class IamGatewayError extends Error {
  readonly operation: string;
  readonly code: IamErrorCode;
  constructor(operation: string, code: IamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IamGatewayError';
    this.operation = operation;
    this.code = code;
  }
}

/** Thrown by conditional writes when another writer got there first; use cases retry. */
export class ConcurrentUpdateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConcurrentUpdateError';
  }
}

/** Grants: their records, ticket links and planning-unit membership (written with the grant). */
export interface GrantStore {
  /**
   * Creates the grant and its audit event atomically. `inlineRoom`: the room for inline copies its
   * unit had when read (UnitState.inline), for a grant created desired. `unitVersions`: units of the
   * grant's plane that must still be at these versions (ConcurrentUpdateError otherwise, nothing written).
   */
  createGrant(
    grant: GrantRecord,
    audit: AuditEvent,
    options?: { inlineRoom?: number; unitVersions?: readonly { unit: string; version: number }[] },
  ): Promise<void>;
  getGrant(id: string): Promise<GrantRecord | null>;
  findGrantByTicket(source: string, system: string, key: string): Promise<GrantRecord | null>;
  listGrants(filter: GrantFilter, page: PageRequest): Promise<Page<GrantRecord>>;
  /** Every grant of a plane in one of the given statuses (index query, all pages). */
  listGrantsByStatus(dataPlane: string, statuses: readonly GrantStatus[]): Promise<GrantRecord[]>;
  /**
   * Writes `next` only if the stored version is `next.version - 1`, with the audit event, atomically.
   * Also keeps the grant's planning unit in step (its member copy, and the unit and plane versions
   * when the grant enters or leaves the desired set): pass `previousStatus` when known so a change
   * that keeps the grant in (or out of) the desired set does not bump the versions, and, for a grant
   * that enters it, `inlineRoom` (UnitState.inline) so its unit item can carry its copy.
   */
  updateGrant(
    next: GrantRecord,
    audit: AuditEvent,
    options?: { previousStatus?: GrantStatus; inlineRoom?: number },
  ): Promise<void>;
  /** Strongly consistent read of several grants (missing ids are left out). */
  getGrants(ids: readonly string[]): Promise<GrantRecord[]>;
}

/** Targets: what a project-domain (or a plane's global role) should have, and what was applied. */
export interface TargetStore {
  getTarget(targetKey: string): Promise<TargetRecord | null>;
  listTargets(dataPlane?: string): Promise<TargetRecord[]>;
  /**
   * One page of targets (of one plane, or of all) in target-key order after `after`: reads
   * `limit + 1` items at most, whatever the plane holds; `more` when targets follow the page.
   */
  pageTargets(
    dataPlane: string | undefined,
    page: { limit: number; after?: string },
  ): Promise<{ items: TargetRecord[]; more: boolean }>;
  /** Conditional on `expectedDesiredVersion` (0 = must not exist yet). */
  putTarget(target: TargetRecord, expectedDesiredVersion: number): Promise<void>;
}

/** Imported cluster resource attributes of each pair, and the uctl updates made from them. */
export interface AttributeStore {
  getAttributes(dataPlane: string, project: string, domain: string): Promise<AttributeRecord | null>;
  /** Every imported attribute record of a plane. */
  listAttributes(dataPlane: string): Promise<AttributeRecord[]>;
  /** Stores the import with its audit event and bumps the plane version (the uctl files' input). */
  putAttributes(record: AttributeRecord, audit: AuditEvent): Promise<void>;
  createAttributeUpdate(update: AttributeUpdate): Promise<void>;
  getAttributeUpdate(id: string): Promise<AttributeUpdate | null>;
  latestAttributeUpdate(dataPlane: string, project: string, domain: string): Promise<AttributeUpdate | null>;
  listAttributeUpdates(
    status: AttributeUpdate['status'] | undefined,
    page: PageRequest,
  ): Promise<Page<AttributeUpdate>>;
  /** Conditional on the update still being pending. */
  acknowledgeAttributeUpdate(id: string, actor: string, at: string, audit: AuditEvent): Promise<AttributeUpdate>;
}

/** The applier's per-target leases: one applier at a time drives a target's IAM. */
export interface LeaseStore {
  /**
   * The applier's per-target lease (a separate item, conditional put): true when `owner` now holds
   * it until now + ttlMs — free, expired, or already `owner`'s; false while another owner holds it.
   */
  acquireTargetLease(targetKey: string, owner: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Gives the lease back (only if `owner` still holds it). */
  releaseTargetLease(targetKey: string, owner: string): Promise<void>;
}

/** The audit trail: append-only events, listed by grant, target or actor. */
export interface AuditLog {
  appendAudit(event: AuditEvent): Promise<void>;
  listAudit(
    filter: { grantId?: string; targetKey?: string; actor?: string },
    page: PageRequest,
  ): Promise<Page<AuditEvent>>;
}

/** Webhook deliveries remembered for replay protection. */
export interface DeliveryStore {
  /** Remembers a webhook delivery's result for `ttlSeconds` (replay protection, docs/webhooks.md). */
  rememberDelivery(record: DeliveryRecord, ttlSeconds: number): Promise<void>;
  /** The remembered delivery, or null (also null once expired, even before DynamoDB's TTL sweep). */
  getDelivery(source: string, deliveryId: string, now: Date): Promise<DeliveryRecord | null>;
  /**
   * Claims a delivery for processing with a conditional put: writes `record` (kept `ttlSeconds`)
   * only when no unexpired record of it exists and returns null; otherwise writes nothing and
   * returns the remembered record — so concurrent duplicates are processed once.
   */
  claimDelivery(record: DeliveryRecord, ttlSeconds: number, now: Date): Promise<DeliveryRecord | null>;
}

/** The drift run's reports and its cache of policy tags. */
export interface DriftStore {
  putDriftReport(report: DriftReportRecord, ttlSeconds: number): Promise<void>;
  getLatestDriftReport(): Promise<DriftReportRecord | null>;
  /** Policy tags the drift run read last, per plane (GetAccountAuthorizationDetails does not return them). */
  getPolicyTags(dataPlane: string): Promise<PolicyTagsRecord | null>;
  putPolicyTags(record: PolicyTagsRecord): Promise<void>;
}

/** Git sources: the last commit each repository synced. */
export interface SourceStore {
  getSource(name: string): Promise<SourceRecord | null>;
  putSource(record: SourceRecord): Promise<void>;
}

/** The plane's desired state: snapshots to plan from, and the guarded writes of what was planned. */
export interface PlaneStore {
  /** Strongly consistent: the plane version first, then every unit, member, target, attribute map. */
  getPlaneSnapshot(dataPlane: string): Promise<PlaneSnapshot>;
  /** Strongly consistent: the unit's and the global unit's state, members, targets and attributes. */
  getUnitSnapshot(dataPlane: string, unit: string): Promise<UnitSnapshot>;
  /** Strongly consistent unit states (a unit never written reads as version 0, compiled 0). */
  getUnits(dataPlane: string, units: readonly string[]): Promise<UnitState[]>;
  /** A unit's members (desired and `revoking` grants), strongly consistent. */
  getMembers(dataPlane: string, unit: string): Promise<GrantRecord[]>;
  /**
   * Strongly consistent: these units' states and desired grants (in id order) and these pairs'
   * imported attributes (those imported). One request while the unit items' inline copies are
   * complete (up to 100 keys); a unit whose copies are not is read from its members.
   */
  getDesiredGrants(
    dataPlane: string,
    units: readonly string[],
    pairs: readonly { project: string; domain: string }[],
  ): Promise<{ units: UnitState[]; grants: DesiredMember[]; attributes: AttributeRecord[] }>;
  /**
   * Writes afresh the inline copies of the units (as a plane snapshot read them) whose copies are
   * not complete, from the snapshot's grants; each write valid only while its unit is unchanged.
   * Returns how many units it completed (a unit too large for its item keeps being read from its members).
   */
  completeInlineMembers(
    dataPlane: string,
    units: readonly UnitState[],
    grants: readonly GrantRecord[],
  ): Promise<number>;
  /**
   * Writes new desired states (desiredVersion = expected + 1, state pending, applied fields kept),
   * each conditional on its expected desiredVersion and on `guard`, and marks units compiled (after
   * the targets, so a mark is never seen before what it stands for). ConcurrentUpdateError when
   * anything moved: re-read and recompute. Large writes go in several transactions, each guarded.
   */
  writeDesiredTargets(
    dataPlane: string,
    guard: DesiredGuard,
    writes: readonly DesiredTargetWrite[],
    marks: readonly CompiledMark[],
  ): Promise<void>;
}

/** Tracked infrastructure updates, in the plane's partition (the plane snapshot reads them). */
export interface InfrastructureUpdateStore {
  /** Every tracked update of these planes. */
  listInfrastructureUpdates(dataPlanes: readonly string[]): Promise<InfrastructureUpdate[]>;
  /** The update of one repository of a plane (by the id's plane and repository hash). */
  getInfrastructureUpdate(dataPlane: string, repositoryHash: string): Promise<InfrastructureUpdate | null>;
  /**
   * Writes the repository's latest update (and its audit event) if the stored one still has
   * `expectedContentHash` (null: none stored); else ConcurrentUpdateError.
   */
  putInfrastructureUpdate(
    update: InfrastructureUpdate,
    expectedContentHash: string | null,
    audit: AuditEvent,
  ): Promise<void>;
  /** Marks it acknowledged if its content is still `contentHash`; else ConcurrentUpdateError. */
  acknowledgeInfrastructureUpdate(update: InfrastructureUpdate, audit: AuditEvent): Promise<void>;
}

/** Held changes, one item per plane at most (in the plane's partition, so snapshots carry it). */
export interface HoldStore {
  /** Writes the plane's hold unless a hold of a newer plane version is stored. */
  putHold(hold: HeldChange): Promise<void>;
  /** Removes the plane's hold (if its plane version is at most `planeVersion`, when given). */
  deleteHold(dataPlane: string, planeVersion?: number): Promise<void>;
  /** The holds of these planes (one batch read). */
  getHolds(dataPlanes: readonly string[]): Promise<HeldChange[]>;
}

/** GCP and Azure planes: grantplane's inventory per resource and the plane's last apply. */
export interface CloudStore {
  /** Every inventory entry of a plane, strongly consistent. */
  listInventory(dataPlane: string): Promise<CloudInventoryEntry[]>;
  /** Writes one resource's inventory; an entry that owns nothing is deleted. */
  putInventory(entry: CloudInventoryEntry): Promise<void>;
  getCloudState(dataPlane: string): Promise<CloudPlaneState | null>;
  putCloudState(state: CloudPlaneState): Promise<void>;
}

/** Every store of the grant plane's state: what a use case reads and writes through. */
export interface Stores {
  grants: GrantStore;
  /** Each target's desired and applied state. */
  targets: TargetStore;
  /** Imported cluster resource attributes and the uctl updates made from them. */
  attributes: AttributeStore;
  /** The applier's per-target leases. */
  leases: LeaseStore;
  audit: AuditLog;
  /** Webhook deliveries (replay protection). */
  deliveries: DeliveryStore;
  /** Drift reports and the drift run's policy-tag cache. */
  driftReports: DriftStore;
  /** Git sources' last synced commits. */
  sources: SourceStore;
  /** The planes' desired state: unit and plane snapshots to plan from, guarded target writes. */
  planes: PlaneStore;
  /** Held changes (A6): a recompute that would take most of a plane's access waits for an admin. */
  holds: HoldStore;
  /** Cross-account ECR repository policies to apply, tracked and acknowledged like uctl updates. */
  infrastructure: InfrastructureUpdateStore;
  /** GCP and Azure planes: what grantplane bound where, and each plane's last apply. */
  cloud: CloudStore;
}
