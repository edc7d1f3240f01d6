// The scheduled run (docs/drift-and-expiry.md): expiry of time-bound grants, then a drift check of every AWS plane
// (one whole-plane read each, A1), the report stored for GET /v1/drift-checks/latest, and in
// `enforce` mode the repairs handed to the applier.
//
// Hand-over to the applier, not IAM writes of its own: a drifted or missing target gets its desired
// state written again (desiredVersion + 1, same content), an orphan a target record that desires
// nothing. Both are table writes the applier picks up from the stream (as in the flow of README.md:
// schedule → drift Lambda → applier Lambda → IAM), so a repair is leased, audited and crash-safe
// like any apply (A4), and the drift Lambda needs only IAM read access. `applyInline` also runs the
// applier on those targets within the run (one process: tests, the CLI, a local run on demand).
import type { AwsDataPlaneConfig, DataPlaneConfig } from '../domain/config.js';
import { sha256Hex } from '../domain/compile/hash.js';
import type { CompiledTarget, Scope, Tags } from '../domain/model.js';
import { type Clock, type DriftStore, type IamGateway, type IamPolicyDetail } from '../domain/ports.js';
import {
  globalTargetKey,
  targetKey as keyOf,
  type AuditEvent,
  type DesiredTargetWrite,
  type TargetRecord,
} from '../domain/records.js';
import {
  comparePlane,
  isManagedPathArn,
  isOwned,
  scopeOfOrphan,
  type DriftStatus,
  type DriftTarget,
  type IamPlaneState,
} from '../domain/reconcile/index.js';
import type { HeldChange } from '../domain/records.js';
import { applyTargets, DEFAULT_ROLE_DELETION_GRACE_MINUTES, type ApplierDeps, type TargetOutcome } from './applier.js';
import { checkCloudDrift } from './cloud-apply.js';
import { withConflictRetry } from './deps.js';
import { readPlaneState } from './drift.js';
import { expireDueGrants, type ExpiredGrant } from './expiry.js';
import { planeGuard, targetRefFor, type PolicyDocumentCache } from './reconcile.js';

export type DriftMode = 'detect' | 'enforce';

/** Counts the run publishes (Powertools metrics in Lambda, namespace `grantplane`). */
export interface DriftMetrics {
  count(
    name:
      | 'DriftedTargets'
      | 'ExpiredGrants'
      | 'OrphanedTargets'
      | 'ReappliedTargets'
      | 'RolesWaitingPastGrace'
      | 'HeldRemovals'
      | 'DriftRuns',
    value: number,
  ): void;
}

/** What a run remembers of one policy's tags: IAM's whole-account read does not return them. */
export interface PolicyTagEntry {
  /** The default version id the tags were read at. */
  versionId: string;
  tags: Tags;
  /** Epoch milliseconds of the read. */
  readAt: number;
}

/** Policy tags by ARN per plane, kept between runs (in the table, so a cold Lambda has them too). */
export interface PolicyTagCache {
  load(dataPlane: string): Promise<Map<string, PolicyTagEntry>>;
  save(dataPlane: string, entries: ReadonlyMap<string, PolicyTagEntry>): Promise<void>;
}

/** A PolicyTagCache in memory (module scope of a warm process). */
export function makeMemoryPolicyTagCache(): PolicyTagCache {
  const planes = new Map<string, Map<string, PolicyTagEntry>>();
  return {
    load: async (dataPlane) => new Map(planes.get(dataPlane) ?? []),
    save: async (dataPlane, entries) => {
      planes.set(dataPlane, new Map(entries));
    },
  };
}

/** A PolicyTagCache in the table (DriftStore.getPolicyTags/putPolicyTags): survives cold starts. */
export function makeStorePolicyTagCache(store: DriftStore, clock: Clock): PolicyTagCache {
  return {
    load: async (dataPlane) => new Map(Object.entries((await store.getPolicyTags(dataPlane))?.policies ?? {})),
    save: async (dataPlane, entries) => {
      const policies = Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b)));
      await store.putPolicyTags({ dataPlane, policies, updatedAt: clock.now().toISOString() });
    },
  };
}

export interface DriftRunDeps extends ApplierDeps {
  tagCache?: PolicyTagCache;
  metrics?: DriftMetrics;
}

/** What an admin's POST /v1/drift-checks asks of a run. */
export interface DriftRunInput {
  actor: string;
  confirmPrune: boolean;
}

/** `started`: handed to the drift function; `completed`: ran here, with the stored report. */
export type DriftStart = { status: 'started' } | { status: 'completed'; report: DriftRunReport };

/** What the drift API needs: the stored reports, and a way to start a run. */
export interface DriftApiDeps {
  driftReports: DriftStore;
  start(input: DriftRunInput): Promise<DriftStart>;
}

export interface DriftRunOptions {
  /** The run's time (expiry and checkedAt); default the deps' clock. */
  now?: Date;
  /** Overrides every plane's configured `driftMode`. */
  mode?: DriftMode;
  /** Confirms orphan pruning beyond the prune guard (more than half of a plane's grantplane roles). */
  confirmPrune?: boolean;
  /** Who started the run (audit): `schedule` or the admin's subject. */
  actor?: string;
  /** Also run the applier on the handed-over targets within this run (default: the stream does). */
  applyInline?: boolean;
  /**
   * Longest time a desired policy's tags are trusted without a read (default 24 h, each policy
   * within 50–100 % of it so reads spread over runs). A new default version always re-reads them.
   */
  policyTagMaxAgeMs?: number;
}

/** One plane's part of the run. */
export interface DriftPlaneResult {
  dataPlane: string;
  cloud: DataPlaneConfig['cloud'];
  mode: DriftMode;
  /** `skipped`: not an AWS plane (R2: grantplane changes nothing there). */
  status: 'checked' | 'skipped' | 'failed';
  error?: string;
  /** IAM calls of the whole-plane read, by action. */
  iamCalls?: Record<string, number>;
  /** enforce: target keys whose desired state was handed to the applier again. */
  reapplied?: string[];
  /** enforce: orphans handed to the applier for removal (target keys). */
  pruned?: string[];
  /** enforce: why orphans were left alone (the prune guard, a name that is not grantplane's naming). */
  notes?: string[];
}

/** The stored report: docs/drift-and-expiry.md's `{checkedAt, targets}` plus what the run did. */
export interface DriftRunReport {
  id: string;
  checkedAt: string;
  targets: DriftTarget[];
  planes: DriftPlaneResult[];
  expired: ExpiredGrant[];
  /** Applier outcomes of the handed-over targets (only with applyInline). */
  applied?: TargetOutcome[];
  /** Changes held by the blast-radius guard, waiting for an admin's release (A6). */
  held?: HeldChange[];
  /** Roles that wait for their pair's uctl update longer than `roleDeletionGraceMinutes` (A3). */
  rolesWaitingPastGrace?: WaitingRole[];
  errors: string[];
}

/** A no-longer-desired role still waiting for the uctl update that stops pointing at it. */
export interface WaitingRole {
  dataPlane: string;
  targetKey: string;
  roleName: string;
  /** Since when the applier waits (the role lost its own policies then). */
  waitingSince: string;
}

/** How long a report stays in the table (DynamoDB TTL). */
export const DRIFT_REPORT_TTL_SECONDS = 30 * 24 * 3600;
const DEFAULT_TAG_MAX_AGE_MS = 24 * 3600 * 1000;

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** A per-ARN factor in [0.5, 1): entries read together fall due in different runs. */
const spread = (arn: string): number => 0.5 + Number.parseInt(sha256Hex(arn).slice(0, 8), 16) / 2 ** 33;

/**
 * The gateway the whole-plane read goes through: GetAccountAuthorizationDetails answers carry no
 * policy tags (readPlaneState then calls GetPolicy per policy); here a desired policy's tags come
 * from the cache while its default version id is the one they were read at and the entry is young
 * enough. Policies nothing desires (orphan candidates) are always read. Reads refresh the cache.
 */
function tagCachingGateway(
  iam: IamGateway,
  entries: Map<string, PolicyTagEntry>,
  desiredArns: ReadonlySet<string>,
  nowMs: number,
  maxAgeMs: number,
  counts: Record<string, number>,
): IamGateway {
  const versionOf = new Map<string, string>();
  const count = (action: string): void => {
    counts[action] = (counts[action] ?? 0) + 1;
  };
  // Everything else passes through to the gateway (prototype chain: works for literals and classes).
  return Object.assign(Object.create(iam) as IamGateway, {
    getAccountAuthorizationDetails: async (filter?: Parameters<IamGateway['getAccountAuthorizationDetails']>[0]) => {
      count('GetAccountAuthorizationDetails');
      const details = await iam.getAccountAuthorizationDetails(filter);
      const seen = new Set<string>();
      const policies: IamPolicyDetail[] = details.policies.map((policy) => {
        seen.add(policy.arn);
        versionOf.set(policy.arn, policy.defaultVersionId);
        const entry = entries.get(policy.arn);
        const fresh =
          entry !== undefined &&
          entry.versionId === policy.defaultVersionId &&
          nowMs - entry.readAt < maxAgeMs * spread(policy.arn);
        return policy.tags === undefined && fresh && desiredArns.has(policy.arn)
          ? { ...policy, tags: entry.tags }
          : policy;
      });
      for (const arn of [...entries.keys()]) if (!seen.has(arn)) entries.delete(arn);
      return { roles: details.roles, policies };
    },
    getPolicy: async (arn: string) => {
      count('GetPolicy');
      const policy = await iam.getPolicy(arn);
      if (policy === null) entries.delete(arn);
      else
        entries.set(arn, {
          versionId: versionOf.get(arn) ?? policy.defaultVersionId,
          tags: policy.tags ?? {},
          readAt: nowMs,
        });
      return policy;
    },
    getPolicyVersion: async (arn: string, versionId: string) => {
      count('GetPolicyVersion');
      return iam.getPolicyVersion(arn, versionId);
    },
  });
}

const scopeKey = (scope: Scope): string => (scope.type === 'global' ? '' : `${scope.project}\u0000${scope.domain}`);

interface Orphan {
  scope: Scope;
  roleNames: string[];
  policyArns: string[];
}

/** grantplane-owned roles and managed-path policies nothing desires, grouped by the scope they belonged to. */
function orphansOf(plane: AwsDataPlaneConfig, state: IamPlaneState, desired: readonly TargetRecord[]): Orphan[] {
  const guard = planeGuard(plane);
  const naming = { name: plane.name, orgPrefix: plane.orgPrefix, domains: plane.domains };
  const desiredRoles = new Set(
    desired.flatMap((target) => (target.desired === null ? [] : [target.desired.role.name])),
  );
  const desiredPolicies = new Set(
    desired.flatMap((target) =>
      target.desired === null
        ? []
        : [...target.desired.policies.map((p) => p.arn), ...target.desired.attachedPolicyArns],
    ),
  );
  const byScope = new Map<string, Orphan>();
  const entry = (scope: Scope): Orphan => {
    const found = byScope.get(scopeKey(scope)) ?? { scope, roleNames: [], policyArns: [] };
    byScope.set(scopeKey(scope), found);
    return found;
  };
  for (const { role } of state.roles.values()) {
    if (desiredRoles.has(role.name) || !isOwned(role, guard)) continue;
    entry(scopeOfOrphan(role.name, role.tags, naming)).roleNames.push(role.name);
  }
  for (const { policy } of state.policies.values()) {
    if (desiredPolicies.has(policy.arn) || !isOwned(policy, guard) || !isManagedPathArn(policy.arn, guard)) continue;
    entry(scopeOfOrphan(policy.name, policy.tags, naming)).policyArns.push(policy.arn);
  }
  return [...byScope.values()].sort((a, b) => scopeKey(a.scope).localeCompare(scopeKey(b.scope)));
}

interface PlaneEnforcement {
  reapplied: string[];
  pruned: string[];
  notes: string[];
}

/**
 * enforce: drifted/missing targets get their (unchanged) desired state written again, so the
 * applier reconciles them; orphans get a target record that desires nothing — behind the prune
 * guard of git sync: refused when more than half of the plane's grantplane roles would go, unless
 * confirmed. An orphan role is deleted by the applier under A3's rules (an acknowledged uctl update,
 * or the pair's attributes imported since, that no longer name it); until then it waits.
 */
async function enforcePlane(
  deps: DriftRunDeps,
  plane: AwsDataPlaneConfig,
  found: readonly DriftTarget[],
  state: IamPlaneState,
  behind: ReadonlySet<string>,
  options: { confirmPrune: boolean; actor: string; checkedAt: string },
): Promise<PlaneEnforcement> {
  const result: PlaneEnforcement = { reapplied: [], pruned: [], notes: [] };
  /** Audits one step of this enforcement, stamped with the run's time and actor. */
  const audit = (event: Omit<AuditEvent, 'id' | 'at' | 'actor'>): Promise<void> =>
    deps.audit.appendAudit({ id: deps.ids.next(), at: options.checkedAt, actor: options.actor, ...event });
  // Targets the applier has yet to apply are with it already: handing them over again adds nothing.
  // A policy someone else attached to grantplane's role is reported but never detached (R3: only
  // grantplane's own policies are): a target drifted by that alone is not handed over every run.
  const repair = new Set<string>();
  for (const target of found) {
    if (target.status !== 'drifted' && target.status !== 'missing') continue;
    const key = keyOf(target.dataPlane, target.scope);
    if (behind.has(key)) continue;
    for (const { difference, why } of target.byHand ?? []) {
      result.notes.push(
        why === 'foreign-attachment'
          ? `${difference}: not grantplane's to detach; remove it by hand`
          : `${difference}: the applier does not look at it for this target; remove it by hand`,
      );
    }
    if ((target.byHand?.length ?? 0) < target.differences.length) repair.add(key);
  }

  if (repair.size > 0) {
    await withConflictRetry(deps, async () => {
      const snapshot = await deps.planes.getPlaneSnapshot(plane.name);
      const writes: DesiredTargetWrite[] = snapshot.targets
        .filter((target) => repair.has(target.targetKey) && target.desired !== null)
        .map((target) => ({
          targetKey: target.targetKey,
          scope: target.scope,
          desired: target.desired,
          expectedDesiredVersion: target.desiredVersion,
          updatedAt: options.checkedAt,
        }))
        .sort((a, b) => (a.targetKey < b.targetKey ? -1 : 1));
      if (writes.length > 0)
        await deps.planes.writeDesiredTargets(plane.name, { kind: 'plane', version: snapshot.version }, writes, []);
      result.reapplied = writes.map((write) => write.targetKey);
    });
  }

  const targets = await deps.targets.listTargets(plane.name);
  const records = new Map(targets.map((target) => [target.targetKey, target]));
  const guard = planeGuard(plane);
  const ownedRoles = [...state.roles.values()].filter(({ role }) => isOwned(role, guard)).length;
  const candidates: { key: string; orphan: Orphan }[] = [];
  for (const orphan of orphansOf(plane, state, targets)) {
    const key = keyOf(plane.name, orphan.scope);
    const record = records.get(key);
    const what = [
      ...orphan.roleNames.map((name) => `role ${name}`),
      ...orphan.policyArns.map((arn) => `policy ${arn}`),
    ].join(', ');
    if (record !== undefined && record.desired === null) {
      result.notes.push(`${what}: target ${key} is being removed by the applier (${record.state}); left to it`);
      continue;
    }
    if (record !== undefined) continue; // a desired target's extra policy: its reapply above handles it
    const expected = targetRefFor(plane, orphan.scope).roleName;
    const strangers = orphan.roleNames.filter((name) => name !== expected);
    if (strangers.length > 0) {
      result.notes.push(
        `role ${strangers.join(', ')}: tagged as grantplane's but not named as any pair's role (${plane.orgPrefix}-<project>-<domain>); not deleted, remove it by hand`,
      );
      continue;
    }
    candidates.push({ key, orphan });
  }
  const rolesToGo = candidates.reduce((sum, c) => sum + c.orphan.roleNames.length, 0);
  if (rolesToGo > 0 && rolesToGo * 2 > ownedRoles && !options.confirmPrune) {
    const message = `prune guard: ${rolesToGo} of the plane's ${ownedRoles} grantplane roles would be deleted (more than half); nothing pruned — run again with confirmPrune to delete them`;
    result.notes.push(message);
    await audit({
      action: 'drift.prune-refused',
      detail: message,
      after: { orphans: candidates.map((c) => c.key) },
      result: 'error',
    });
    return result;
  }
  for (const { key, orphan } of candidates) {
    const record: TargetRecord = {
      targetKey: key,
      dataPlane: plane.name,
      scope: orphan.scope,
      desired: null,
      desiredVersion: 1,
      appliedVersion: 0,
      state: 'pending',
      // The applier reads these policies too (they may not be attached anywhere) and deletes them.
      appliedPolicyArns: [...orphan.policyArns].sort(),
      ...(orphan.roleNames.length > 0 ? { roleDeletionRequestedAt: options.checkedAt } : {}),
      updatedAt: options.checkedAt,
    };
    try {
      await deps.targets.putTarget(record, 0);
    } catch (error: unknown) {
      // A grant for this pair arrived meanwhile: it is no orphan any more; the next run looks again.
      result.notes.push(`${key}: not handed over (${errorText(error)})`);
      continue;
    }
    result.pruned.push(key);
    await audit({
      action: 'drift.orphan-pruned',
      targetKey: key,
      after: { roles: orphan.roleNames, policies: orphan.policyArns },
      result: 'ok',
      detail: 'grantplane-managed but declared nowhere: handed to the applier for removal',
    });
  }
  return result;
}

export interface PlaneDriftOptions {
  /** Policy tags remembered from earlier runs; updated in place with what this read learnt. */
  tags: Map<string, PolicyTagEntry>;
  nowMs: number;
  /** See DriftRunOptions.policyTagMaxAgeMs. */
  maxAgeMs?: number;
  cache?: PolicyDocumentCache;
}

/**
 * The IAM half of one plane's check (no store): the whole-plane read through the tag-caching
 * gateway, compared with the desired targets. Returns the comparison, the snapshot and the IAM
 * calls made, by action.
 */
export async function readPlaneDrift(
  gateway: IamGateway,
  plane: AwsDataPlaneConfig,
  desired: readonly CompiledTarget[],
  options: PlaneDriftOptions,
): Promise<{ found: DriftTarget[]; state: IamPlaneState; iamCalls: Record<string, number> }> {
  const desiredArns = new Set(desired.flatMap((target) => target.policies.map((policy) => policy.arn)));
  const iamCalls: Record<string, number> = {};
  const iam = tagCachingGateway(
    gateway,
    options.tags,
    desiredArns,
    options.nowMs,
    options.maxAgeMs ?? DEFAULT_TAG_MAX_AGE_MS,
    iamCalls,
  );
  const state = await readPlaneState(iam, plane, { cache: options.cache });
  const found = comparePlane(desired, state, planeGuard(plane), {
    name: plane.name,
    orgPrefix: plane.orgPrefix,
    domains: plane.domains,
  });
  return { found, state, iamCalls };
}

async function checkPlane(
  deps: DriftRunDeps,
  plane: AwsDataPlaneConfig,
  nowMs: number,
  maxAgeMs: number,
): Promise<{
  found: DriftTarget[];
  state: IamPlaneState;
  iamCalls: Record<string, number>;
  behind: Set<string>;
  waitingPastGrace: WaitingRole[];
}> {
  const records = await deps.targets.listTargets(plane.name);
  // Roles still waiting for their pair's uctl update past the grace period: someone must run it.
  const graceMs = (plane.roleDeletionGraceMinutes ?? DEFAULT_ROLE_DELETION_GRACE_MINUTES) * 60_000;
  const waitingPastGrace: WaitingRole[] = records
    .filter(
      (t) =>
        t.state === 'waiting-uctl' &&
        t.roleDeletionRequestedAt !== undefined &&
        nowMs >= Date.parse(t.roleDeletionRequestedAt) + graceMs,
    )
    .map((t) => ({
      dataPlane: t.dataPlane,
      targetKey: t.targetKey,
      roleName: targetRefFor(plane, t.scope).roleName,
      waitingSince: t.roleDeletionRequestedAt ?? '',
    }));
  for (const role of waitingPastGrace)
    deps.log.warn('role waits for its uctl update past the grace period', { ...role, graceMs });
  const stored = records.filter((target) => target.desired !== null);
  const desired = stored.flatMap((target) => (target.desired === null ? [] : [target.desired]));
  const tags = (await deps.tagCache?.load(plane.name)) ?? new Map<string, PolicyTagEntry>();
  const { found, state, iamCalls } = await readPlaneDrift(await deps.iamFor(plane), plane, desired, {
    tags,
    nowMs,
    maxAgeMs,
    ...(deps.cache === undefined ? {} : { cache: deps.cache }),
  });
  await deps.tagCache?.save(plane.name, tags);
  // A difference the applier has not caught up with yet (its desired version is newer than the
  // applied one) is said so: it is expected to go away without anyone's help.
  const behind = new Map(stored.filter((t) => t.appliedVersion < t.desiredVersion).map((t) => [t.targetKey, t]));
  for (const target of found) {
    const record = behind.get(keyOf(target.dataPlane, target.scope));
    if (record === undefined || target.status === 'in-sync') continue;
    target.differences.push(
      `desired version ${record.desiredVersion} is waiting for the applier (applied: ${record.appliedVersion})`,
    );
  }
  // An orphan whose target nothing desires any more is the applier's to remove (A3: its role waits
  // for the pair's uctl update): `removing`, not drift — an ordinary revoke or expiry alarms nobody.
  const removing = new Map(records.filter((t) => t.desired === null).map((t) => [t.targetKey, t]));
  for (const target of found) {
    const record = removing.get(keyOf(target.dataPlane, target.scope));
    if (record === undefined || target.status !== 'orphaned') continue;
    target.status = 'removing';
    target.differences.push(
      record.state === 'waiting-uctl'
        ? "no longer desired: the role waits for the pair's uctl update to be acknowledged (or its attributes imported) before the applier deletes it"
        : `no longer desired: the applier is removing it (${record.state})`,
    );
  }
  return { found, state, iamCalls, behind: new Set(behind.keys()), waitingPastGrace };
}

/** A stored report must fit one DynamoDB item (400 KB); beyond this size in-sync targets are counted, not listed. */
export const MAX_STORED_REPORT_CHARS = 300_000;

/**
 * The report as stored: complete, unless it would not fit one item (several thousand targets) —
 * then the in-sync targets are left out and counted (`inSyncTargetsOmitted`), with a note in
 * `errors`, so a large plane still gets its report instead of a failed run.
 */
export function storedReport(report: DriftRunReport): DriftRunReport & { inSyncTargetsOmitted?: number } {
  if (JSON.stringify(report).length <= MAX_STORED_REPORT_CHARS) return report;
  const listed = report.targets.filter((target) => target.status !== 'in-sync');
  return {
    ...report,
    targets: listed,
    inSyncTargetsOmitted: report.targets.length - listed.length,
    errors: [
      ...report.errors,
      `report too large for one item: ${report.targets.length - listed.length} in-sync targets are counted, not listed`,
    ],
  };
}

const statusCount = (targets: readonly DriftTarget[], statuses: readonly DriftStatus[]): number =>
  targets.filter((target) => statuses.includes(target.status)).length;

/**
 * One drift and expiry run (docs/drift-and-expiry.md), never skipped: ends due grants, checks every AWS plane
 * (GCP/Azure: skipped, R2), stores the report (GET /v1/drift-checks/latest), audits and counts it;
 * in `enforce` mode hands drifted, missing and (behind the prune guard) orphaned targets to the
 * applier. A plane that cannot be read is reported `failed`; the others still run.
 */
export async function runDriftCheck(deps: DriftRunDeps, options: DriftRunOptions = {}): Promise<DriftRunReport> {
  const now = options.now ?? deps.clock.now();
  const runDeps: DriftRunDeps =
    options.now === undefined ? deps : { ...deps, clock: { now: () => new Date(now.getTime()) } };
  const checkedAt = now.toISOString();
  const actor = options.actor ?? 'schedule';
  const report: DriftRunReport = { id: deps.ids.next(), checkedAt, targets: [], planes: [], expired: [], errors: [] };
  const handOver = new Set<string>();

  // Expiry first, so the check compares IAM with the desired state the expiry left.
  const expiry = await expireDueGrants(runDeps, actor);
  report.expired = expiry.expired;
  for (const failure of expiry.errors) report.errors.push(`grant ${failure.grantId} not expired: ${failure.error}`);
  const applied: TargetOutcome[] = [];
  if (options.applyInline === true && expiry.targetKeys.length > 0) {
    applied.push(...(await applyTargets(runDeps, expiry.targetKeys)));
  }

  const rolesWaitingPastGrace: WaitingRole[] = [];
  for (const plane of deps.config.dataPlanes) {
    if (plane.cloud !== 'aws') {
      const mode = options.mode ?? plane.driftMode;
      const result: DriftPlaneResult = { dataPlane: plane.name, cloud: plane.cloud, mode, status: 'checked' };
      report.planes.push(result);
      try {
        const { target, calls } = await checkCloudDrift(runDeps, plane);
        result.iamCalls = calls;
        report.targets.push(target);
        if (mode === 'enforce' && target.status !== 'in-sync') {
          // The applier's sweep converges a plane marked drifted (or this run, with applyInline).
          const state = await deps.cloud.getCloudState(plane.name);
          await deps.cloud.putCloudState({
            dataPlane: plane.name,
            cloud: plane.cloud,
            state: 'drifted',
            updatedAt: checkedAt,
            bindings: state?.bindings ?? 0,
            ...(state?.lastAppliedAt === undefined ? {} : { lastAppliedAt: state.lastAppliedAt }),
          });
          result.reapplied = [globalTargetKey(plane.name)];
          handOver.add(globalTargetKey(plane.name));
        }
      } catch (error: unknown) {
        result.status = 'failed';
        result.error = errorText(error);
        report.errors.push(`plane ${plane.name}: ${result.error}`);
        deps.log.error('drift check of a plane failed', { dataPlane: plane.name, error: result.error });
      }
      continue;
    }
    const mode = options.mode ?? plane.driftMode;
    const result: DriftPlaneResult = { dataPlane: plane.name, cloud: plane.cloud, mode, status: 'checked' };
    report.planes.push(result);
    try {
      const { found, state, iamCalls, behind, waitingPastGrace } = await checkPlane(
        runDeps,
        plane,
        now.getTime(),
        options.policyTagMaxAgeMs ?? DEFAULT_TAG_MAX_AGE_MS,
      );
      result.iamCalls = iamCalls;
      rolesWaitingPastGrace.push(...waitingPastGrace);
      report.targets.push(...found);
      if (mode === 'enforce') {
        const enforced = await enforcePlane(runDeps, plane, found, state, behind, {
          confirmPrune: options.confirmPrune === true,
          actor,
          checkedAt,
        });
        result.reapplied = enforced.reapplied;
        result.pruned = enforced.pruned;
        if (enforced.notes.length > 0) result.notes = enforced.notes;
        for (const key of [...enforced.reapplied, ...enforced.pruned]) handOver.add(key);
      }
    } catch (error: unknown) {
      result.status = 'failed';
      result.error = errorText(error);
      report.errors.push(`plane ${plane.name}: ${result.error}`);
      deps.log.error('drift check of a plane failed', { dataPlane: plane.name, error: result.error });
    }
  }

  report.rolesWaitingPastGrace = rolesWaitingPastGrace;
  // A6: planes whose change is held for an admin, counted every run while they wait (an alarm).
  try {
    report.held = await deps.holds.getHolds(
      deps.config.dataPlanes.filter((plane) => plane.cloud === 'aws').map((plane) => plane.name),
    );
  } catch (error: unknown) {
    report.errors.push(`held changes not read: ${errorText(error)}`);
  }

  if (options.applyInline === true && handOver.size > 0)
    applied.push(...(await applyTargets(runDeps, [...handOver].sort())));
  if (options.applyInline === true) report.applied = applied;

  const drifted = statusCount(report.targets, ['drifted', 'missing', 'orphaned']);
  await deps.driftReports.putDriftReport(
    { id: report.id, checkedAt, report: storedReport(report) },
    DRIFT_REPORT_TTL_SECONDS,
  );
  await deps.audit.appendAudit({
    id: deps.ids.next(),
    at: checkedAt,
    actor,
    action: 'drift.checked',
    after: {
      reportId: report.id,
      inSync: statusCount(report.targets, ['in-sync']),
      drifted: statusCount(report.targets, ['drifted']),
      missing: statusCount(report.targets, ['missing']),
      orphaned: statusCount(report.targets, ['orphaned']),
      removing: statusCount(report.targets, ['removing']),
      expired: report.expired.length,
    },
    result: report.errors.length === 0 ? 'ok' : 'error',
    detail: [
      ...report.planes.map((p) => `${p.dataPlane}: ${p.status}${p.status === 'checked' ? ` (${p.mode})` : ''}`),
      ...report.errors,
    ].join('; '),
  });
  deps.metrics?.count('DriftedTargets', drifted);
  deps.metrics?.count('OrphanedTargets', statusCount(report.targets, ['orphaned']));
  deps.metrics?.count('ExpiredGrants', report.expired.length);
  deps.metrics?.count('RolesWaitingPastGrace', rolesWaitingPastGrace.length);
  deps.metrics?.count('HeldRemovals', report.held?.length ?? 0);
  // The DriftNotRunning alarm breaches when an hour passes without this data point.
  deps.metrics?.count('DriftRuns', 1);
  deps.metrics?.count(
    'ReappliedTargets',
    report.planes.reduce((sum, p) => sum + (p.reapplied?.length ?? 0), 0),
  );
  deps.log.info('drift check done', {
    reportId: report.id,
    targets: report.targets.length,
    drifted,
    expired: report.expired.length,
    planes: report.planes.map((p) => ({
      dataPlane: p.dataPlane,
      status: p.status,
      mode: p.mode,
      iamCalls: p.iamCalls,
    })),
  });
  return report;
}
