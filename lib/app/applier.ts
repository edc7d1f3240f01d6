// The applier (docs/applier.md A1–A5, docs/rules.md C5, docs/api.md grant statuses): reconciles the targets a stream batch
// (or the schedule) touched, records the outcome on the target, moves the target's grants on
// (approved → active / failed, revoking → revoked), records the pair's uctl update when its file
// changed, and deletes a role nobody desires only on evidence that the cluster stopped pointing at
// it: that update acknowledged, or the pair's attributes imported since (A3). Time never deletes.
//
// Serialisation: one reconcile per target at a time, through a lease item in DynamoDB
// (`LEASE#<targetKey>`, conditional put with an expiry; see LeaseStore.acquireTargetLease). The
// lease must outlive one target's reconcile (default 120 s: a reconcile is a few dozen IAM calls,
// each retried by the SDK); an expired lease only lets a second run in, whose IAM calls the
// reconcile engine tolerates anyway (it re-reads and re-diffs on any race). Outcomes are written
// conditionally on the target's desiredVersion, so a result never overwrites a newer desired state.
//
// A4: every step re-derives what to do from DynamoDB and IAM. Duplicate or out-of-order stream
// records find appliedVersion ≥ desiredVersion and nothing to move on: no IAM call, no write. A run
// that dies anywhere is finished by the next: an applied target's grants still waiting (approved,
// failed, revoking) are moved on by any later run of it — the batch retry or the sweep.
import { roleAttribute, type AwsDataPlaneConfig, type DataPlaneConfig } from '../domain/config.js';
import { roleArn } from '../domain/compile/arns.js';
import { sha256Hex } from '../domain/compile/hash.js';
import { pairRoleName } from '../domain/compile/names.js';
import { bindingOf, uctlUpdate } from '../domain/compile/uctl.js';
import { EngineError } from '../domain/errors.js';
import type { UctlUpdate } from '../domain/model.js';
import { ConcurrentUpdateError, IamGatewayError, type IamGateway } from '../domain/ports.js';
import {
  GLOBAL_UNIT,
  globalTargetKey,
  isGlobalTargetKey,
  planeOfTargetKey,
  type AttributeRecord,
  type AttributeUpdate,
  type GrantRecord,
  type TargetRecord,
  type UnitState,
  unitOf,
  WAITING_STATUSES,
} from '../domain/records.js';
import { ForbiddenActionError, MissingRoleError, OwnershipError } from '../domain/reconcile/index.js';
import { realPause, type AppDeps } from './deps.js';
import { applyCloudPlane, type CloudSource } from './cloud-apply.js';
import { APPLIER_ACTOR, moveGrants } from './grant-moves.js';
import {
  assertPlaneAccount,
  PlaneAccountError,
  planeGuard,
  reconcileTarget,
  targetRefFor,
  type PolicyDocumentCache,
  type ReconcileResult,
} from './reconcile.js';
import { isUnsettled, recomputePlaneTargets } from './targets.js';

/** Structured log lines (the Powertools logger in Lambda). */
export interface ApplierLog {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** The applier's deps: the use-case deps plus IAM per plane. */
export interface ApplierDeps extends AppDeps {
  /** The IAM gateway acting in an AWS plane's account (STS-assumed when it has `applierRoleArn`). */
  iamFor(plane: AwsDataPlaneConfig): Promise<IamGateway>;
  log: ApplierLog;
  /** Policy documents by version, kept between runs of a warm process (fewer GetPolicyVersion). */
  cache?: PolicyDocumentCache;
  /** GCP and Azure planes: their cloud's IAM (absent: grants there fail with a clear reason). */
  cloudFor?: CloudSource;
}

export interface ApplyOptions {
  /** Lease lifetime per target; default 120 000 ms. */
  leaseMs?: number;
  /** How long to wait for a busy lease before giving the target up for a retry; default 5 000 ms. */
  leaseWaitMs?: number;
}

export type TargetOutcomeKind = 'applied' | 'waiting-uctl' | 'unchanged' | 'failed';

/** What one target's run did. */
export interface TargetOutcome {
  targetKey: string;
  outcome: TargetOutcomeKind;
  /** One line per IAM write call made. */
  iamCalls: string[];
  /** Grants moved on: `<id> <from> → <to>`. */
  grantChanges: string[];
  /** The uctl update recorded by this run, if any. */
  attributeUpdateId?: string;
  error?: string;
}

/** Default time a no-longer-desired role may wait for its uctl update before RolesWaitingPastGrace alarms. */
export const DEFAULT_ROLE_DELETION_GRACE_MINUTES = 60;
const DEFAULT_LEASE_MS = 120_000;
const DEFAULT_LEASE_WAIT_MS = 5_000;
const ACTOR = APPLIER_ACTOR;

/** A target whose lease another run holds: retried later (transient). */
export class TargetBusyError extends Error {
  constructor(targetKey: string) {
    super(`target ${targetKey} is being applied by another run; retry later`);
    this.name = 'TargetBusyError';
  }
}

/** The plane of a target key is not configured (any more). */
export class UnknownPlaneError extends Error {
  constructor(dataPlane: string) {
    super(`data plane ${dataPlane} is not configured`);
    this.name = 'UnknownPlaneError';
  }
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Transient failures (throttling after the SDK's retries, IAM or network hiccups, a busy lease, a
 * lost write race) leave grants as they are; lasting ones (a quota, a document IAM refuses, a role
 * that is not grantplane's, the wrong account) mark the target's approved grants `failed`.
 */
const isTransient = (error: unknown): boolean => {
  // NoSuchEntity / DeleteConflict / EntityAlreadyExists come from ordering between targets (a pair
  // attaching a global policy its plane's global run has not created yet): the retry resolves them.
  if (error instanceof IamGatewayError)
    return !['LimitExceeded', 'MalformedPolicyDocument', 'InvalidInput', 'UnparseableDocument'].includes(error.code);
  const lasting = [OwnershipError, MissingRoleError, ForbiddenActionError, PlaneAccountError, UnknownPlaneError];
  return !lasting.some((kind) => error instanceof kind);
};

/** Global first: its policies must exist before the pairs attach them (C1/C2). */
const applyOrder = (a: string, b: string): number => {
  const global = (key: string) => (isGlobalTargetKey(key) ? 0 : 1);
  return planeOfTargetKey(a).localeCompare(planeOfTargetKey(b)) || global(a) - global(b) || a.localeCompare(b);
};

/**
 * Applies the given targets, each once, in a safe order (per plane: global first). Never throws for
 * one target's failure: every target gets its outcome (`failed` ones are for the caller to retry).
 */
export async function applyTargets(
  deps: ApplierDeps,
  targetKeys: readonly string[],
  options: ApplyOptions = {},
): Promise<TargetOutcome[]> {
  const keys = [...new Set(targetKeys)];
  // A pair attaches its plane's global policies (C1/C2): a global target that is behind goes first,
  // whether or not its own record is in this batch.
  for (const dataPlane of new Set(keys.map(planeOfTargetKey))) {
    const globalKey = globalTargetKey(dataPlane);
    if (keys.includes(globalKey)) continue;
    try {
      const global = await deps.targets.getTarget(globalKey);
      if (global !== null && (global.appliedVersion < global.desiredVersion || global.state === 'failed'))
        keys.push(globalKey);
    } catch (error: unknown) {
      deps.log.warn('global target not read', { targetKey: globalKey, error: errorText(error) });
    }
  }
  keys.sort(applyOrder);
  const outcomes: TargetOutcome[] = [];
  const byPlane = new Map<string, string[]>();
  for (const key of keys) byPlane.set(planeOfTargetKey(key), [...(byPlane.get(planeOfTargetKey(key)) ?? []), key]);
  const owner = `applier-${deps.ids.next()}`;

  for (const [dataPlane, planeKeys] of byPlane) {
    const plane = deps.config.dataPlanes.find((candidate) => candidate.name === dataPlane);
    let candidates: Map<string, GrantRecord[]>;
    let units: Map<string, UnitState>;
    let held = new Set<string>();
    try {
      // Candidates first, then their units: a unit read as compiled covers every grant read before
      // it (each change of a desired set bumps its unit), so the targets' desired state — read after
      // the unit — holds what activating those grants claims. No planning here: the recompute that
      // marked the unit compiled stored what it refused.
      candidates = await candidateGrants(deps, dataPlane, planeKeys);
      units = new Map(
        (await deps.planes.getUnits(dataPlane, [...new Set(planeKeys.map(unitOfTargetKey))])).map((unit) => [
          unit.unit,
          unit,
        ]),
      );
      // A6: a held target keeps its old desired state, so its grants are not where they say they
      // are going: none of them moves on until an admin releases the change.
      const [hold] = await deps.holds.getHolds([dataPlane]);
      held = new Set(hold?.targets.map((target) => target.targetKey) ?? []);
    } catch (error: unknown) {
      deps.log.error('applier could not read the plane', { dataPlane, error: errorText(error) });
      for (const key of planeKeys)
        outcomes.push({ targetKey: key, outcome: 'failed', iamCalls: [], grantChanges: [], error: errorText(error) });
      continue;
    }
    const refused = new Map([...units.values()].flatMap((unit) => Object.entries(unit.refused)));
    const perTarget = new Map<string, Promise<ReadonlyMap<string, readonly string[]>>>();
    const run: PlaneRun = {
      plane,
      refused,
      desiredPolicies: (key) => {
        const known = perTarget.get(key);
        if (known !== undefined) return known;
        const read = desiredPolicyArns(deps, dataPlane, key, units.get(unitOfTargetKey(key)));
        perTarget.set(key, read);
        return read;
      },
    };
    for (const key of planeKeys) {
      let waiting = candidates.get(key) ?? [];
      const unit = units.get(unitOfTargetKey(key));
      if (waiting.length > 0 && unit !== undefined && unit.compiled < unit.version) {
        // The unit's recompute has not finished (it is under way, or died: the schedule's repair
        // pass finishes it); its mark wakes this target again.
        deps.log.info('grants wait for their unit to be compiled', {
          targetKey: key,
          unit: unit.unit,
          version: unit.version,
          compiled: unit.compiled,
        });
        waiting = [];
      }
      if (held.has(key) && waiting.length > 0) {
        deps.log.warn('grants wait for the release of a held change', {
          targetKey: key,
          grantIds: waiting.map((grant) => grant.id),
        });
        waiting = [];
      }
      outcomes.push(await applyOne(deps, run, key, waiting, owner, options));
    }
  }
  return outcomes;
}

/** What the targets of one plane in one applyTargets call share. */
interface PlaneRun {
  plane: DataPlaneConfig | undefined;
  /** Grants the plane's compilation refuses: grant id → why (stored by the recompute with its units). */
  refused: ReadonlyMap<string, string>;
  /** Per target, the policies the desired state of the targets it shares policies with uses. */
  desiredPolicies: (targetKey: string) => Promise<ReadonlyMap<string, readonly string[]>>;
}

/** The planning unit of a target key (`<plane>#global` or `<plane>#<project>#<domain>`). */
const unitOfTargetKey = (key: string): string => {
  if (isGlobalTargetKey(key)) return GLOBAL_UNIT;
  const [, project = '', domain = ''] = key.split('#');
  return unitOf({ type: 'project-domain', project, domain });
};

/**
 * The policies that targets sharing policies with `key` desire (owned and attached), never deleted
 * by its run: for a pair's role, the global target's and its unit's (pairs spelling one namespace
 * spell the same policy names); for the global target, every target of the plane (their roles
 * attach its policies).
 */
async function desiredPolicyArns(
  deps: ApplierDeps,
  dataPlane: string,
  key: string,
  unit: UnitState | undefined,
): Promise<ReadonlyMap<string, readonly string[]>> {
  const targets = isGlobalTargetKey(key)
    ? await deps.targets.listTargets(dataPlane)
    : (
        await Promise.all(
          [...new Set([globalTargetKey(dataPlane), ...(unit?.targetKeys ?? [])])].map((each) =>
            deps.targets.getTarget(each),
          ),
        )
      ).filter((target) => target !== null);
  return new Map(
    targets.map((target) => [
      target.targetKey,
      target.desired === null
        ? []
        : [...target.desired.policies.map((p) => p.arn), ...target.desired.attachedPolicyArns],
    ]),
  );
}

/** Grants of these targets that wait for the applier (approved, failed, revoking): their units' members. */
async function candidateGrants(
  deps: ApplierDeps,
  dataPlane: string,
  keys: readonly string[],
): Promise<Map<string, GrantRecord[]>> {
  const wanted = new Set(keys);
  const result = new Map<string, GrantRecord[]>();
  for (const unit of new Set(keys.map(unitOfTargetKey))) {
    for (const grant of await deps.planes.getMembers(dataPlane, unit)) {
      if (!wanted.has(grant.targetKey) || !WAITING_STATUSES.includes(grant.status)) continue;
      result.set(grant.targetKey, [...(result.get(grant.targetKey) ?? []), grant]);
    }
  }
  return result;
}

async function acquireLease(deps: ApplierDeps, key: string, owner: string, options: ApplyOptions): Promise<void> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const waitMs = options.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
  const pause = deps.pause ?? realPause;
  // The wait is counted in the pauses taken, not read from a clock: deterministic under a test's pause.
  let waited = 0;
  for (let attempt = 0; ; attempt += 1) {
    if (await deps.leases.acquireTargetLease(key, owner, deps.clock.now(), leaseMs)) return;
    if (waited >= waitMs) throw new TargetBusyError(key);
    const delay = Math.min(500, 25 * 2 ** attempt);
    await pause.sleep(delay);
    waited += delay;
  }
}

async function applyOne(
  deps: ApplierDeps,
  run: PlaneRun,
  key: string,
  candidates: GrantRecord[],
  owner: string,
  options: ApplyOptions,
): Promise<TargetOutcome> {
  const outcome: TargetOutcome = { targetKey: key, outcome: 'unchanged', iamCalls: [], grantChanges: [] };
  try {
    await acquireLease(deps, key, owner, options);
  } catch (error: unknown) {
    deps.log.warn('target busy', { targetKey: key, error: errorText(error) });
    return { ...outcome, outcome: 'failed', error: errorText(error) };
  }
  try {
    return await applyLeased(deps, run, key, candidates, outcome);
  } finally {
    try {
      await deps.leases.releaseTargetLease(key, owner);
    } catch (error: unknown) {
      // The lease expires by itself; a lost release only delays the next run of this target.
      deps.log.warn('lease not released', { targetKey: key, error: errorText(error) });
    }
  }
}

async function applyLeased(
  deps: ApplierDeps,
  run: PlaneRun,
  key: string,
  candidates: GrantRecord[],
  outcome: TargetOutcome,
): Promise<TargetOutcome> {
  const { plane, refused } = run;
  // GCP and Azure planes: one target, the plane's bindings (docs/gcp-azure.md).
  if (plane !== undefined && plane.cloud !== 'aws') {
    try {
      return await applyCloudPlane(deps, plane, key, candidates);
    } catch (error: unknown) {
      deps.log.error('cloud plane apply failed', { targetKey: key, error: errorText(error) });
      return { ...outcome, outcome: 'failed', error: errorText(error) };
    }
  }
  let target: TargetRecord | null = null;
  try {
    target = await deps.targets.getTarget(key);
    if (target === null) {
      // Nothing compiles into this target (e.g. same-account ECR, R6): its grants need no IAM.
      await moveGrants(
        deps,
        candidates,
        { status: 'ok', iamCalls: [], detail: `${key}: nothing to apply`, refused },
        outcome,
      );
      return outcome;
    }
    if (plane === undefined) throw new UnknownPlaneError(target.dataPlane);
    const pair = target.scope.type === 'project-domain' ? target.scope : null;
    const latest =
      pair === null ? null : await deps.attributes.latestAttributeUpdate(target.dataPlane, pair.project, pair.domain);
    const imported =
      target.desired === null && pair !== null
        ? await deps.attributes.getAttributes(target.dataPlane, pair.project, pair.domain)
        : null;
    const deletionAllowed =
      target.desired === null && pair !== null && roleDeletionAllowed(plane, target, latest, imported);
    const behind =
      target.appliedVersion < target.desiredVersion || target.state === 'failed' || target.state === 'pending';
    if (!behind && !(target.state === 'waiting-uctl' && deletionAllowed)) {
      // Converged (a duplicate or out-of-order record, or a grant whose access was already there):
      // only grants waiting on it move on.
      await moveGrants(
        deps,
        candidates,
        { status: 'ok', iamCalls: [], detail: `${key} already applied at version ${target.appliedVersion}`, refused },
        outcome,
      );
      if (outcome.grantChanges.length === 0)
        deps.log.debug('target unchanged', { targetKey: key, appliedVersion: target.appliedVersion });
      return outcome;
    }

    const iam = await verifiedGateway(deps, plane);
    const guard = planeGuard(plane);
    // Other targets' policies only: this target's own desired state was just read, fresh.
    const planePolicies = await run.desiredPolicies(key);
    const keep = new Set([...planePolicies].flatMap(([other, arns]) => (other === key ? [] : arns)));
    let result: ReconcileResult;
    try {
      result = await reconcileTarget(iam, target.desired, {
        guard,
        ref: targetRefFor(plane, target.scope),
        allowRoleDeletion: deletionAllowed,
        keepPolicyArns: keep,
        waitingRoleKeeps: new Set(planePolicies.get(globalTargetKey(target.dataPlane)) ?? []),
        extraPolicyArns: target.appliedPolicyArns ?? [],
        ...(deps.cache === undefined ? {} : { cache: deps.cache }),
        onAction: (line) => outcome.iamCalls.push(line),
      });
    } catch (error: unknown) {
      await recordFailure(deps, target, candidates, error, outcome);
      return outcome;
    }

    let attributeUpdate: AttributeUpdate | null = null;
    if (pair !== null) attributeUpdate = await recordUctlUpdate(deps, plane, target, pair, latest);
    if (attributeUpdate !== null) outcome.attributeUpdateId = attributeUpdate.id;

    const state = result.waiting ? 'waiting-uctl' : 'applied';
    if (!behind && state === target.state && outcome.iamCalls.length === 0 && attributeUpdate === null) {
      // A waiting role whose deletion was allowed but that still cannot go (a policy that is not
      // grantplane's is attached to it, see the notes): nothing changed, nothing to record again.
      deps.log.info('role still waiting', { targetKey: key, notes: result.notes });
      return outcome;
    }
    const written = await recordOutcome(deps, target, {
      state,
      appliedPolicyArns: target.desired?.policies.map((policy) => policy.arn) ?? [],
      roleDeletionRequestedAt: result.waiting
        ? (target.roleDeletionRequestedAt ?? deps.clock.now().toISOString())
        : undefined,
    });
    // After the target: a grant reads `active` only once its target reads applied. A crash in
    // between is finished by the retry or the sweep, which move waiting grants of applied targets.
    await moveGrants(
      deps,
      candidates,
      { status: 'ok', iamCalls: outcome.iamCalls, detail: `applied ${key} version ${target.desiredVersion}`, refused },
      outcome,
    );
    outcome.outcome = state;
    await deps.audit.appendAudit({
      id: deps.ids.next(),
      at: deps.clock.now().toISOString(),
      actor: ACTOR,
      action: 'target.applied',
      targetKey: key,
      before: { appliedVersion: target.appliedVersion, state: target.state },
      after: { appliedVersion: target.desiredVersion, state },
      iamCalls: outcome.iamCalls,
      result: 'ok',
      detail: [
        `${outcome.iamCalls.length} IAM write call(s)`,
        ...(attributeUpdate === null ? [] : [`uctl update ${attributeUpdate.id} recorded (pending)`]),
        ...(written ? [] : ['a newer desired state arrived meanwhile: the next run applies it']),
        ...result.notes,
      ].join('; '),
    });
    deps.log.info('target applied', {
      targetKey: key,
      desiredVersion: target.desiredVersion,
      state,
      iamWrites: outcome.iamCalls.length,
      iamReads: result.reads,
      grantChanges: outcome.grantChanges,
      ...(attributeUpdate === null ? {} : { attributeUpdateId: attributeUpdate.id }),
    });
    return outcome;
  } catch (error: unknown) {
    // Store failures and the like: nothing recorded, the retry starts again from the top.
    deps.log.error('target apply failed', { targetKey: key, error: errorText(error) });
    if (target !== null && outcome.outcome !== 'failed') {
      try {
        await recordFailure(deps, target, candidates, error, outcome);
      } catch (inner: unknown) {
        deps.log.error('target failure not recorded', { targetKey: key, error: errorText(inner) });
      }
    }
    return { ...outcome, outcome: 'failed', error: errorText(error) };
  }
}

const verified = new WeakSet<IamGateway>();

/** The plane's gateway, after one GetRole proved it acts in the plane's account (once per gateway). */
async function verifiedGateway(deps: ApplierDeps, plane: AwsDataPlaneConfig): Promise<IamGateway> {
  const iam = await deps.iamFor(plane);
  if (!verified.has(iam)) {
    await assertPlaneAccount(iam, plane);
    verified.add(iam);
  }
  return iam;
}

/**
 * A3: a role nobody desires is deleted only on evidence that the cluster no longer points at it:
 * the pair's latest uctl update no longer names it and was acknowledged, or the pair's attributes
 * imported (from `uctl get cluster-resource-attribute`) since the applier began waiting do not name
 * it. Time alone never deletes: past `roleDeletionGraceMinutes` the drift run counts the role in
 * `RolesWaitingPastGrace` (an alarm) and it keeps waiting, holding only userflyterole and the
 * plane's global policies.
 */
function roleDeletionAllowed(
  plane: AwsDataPlaneConfig,
  target: TargetRecord,
  latest: AttributeUpdate | null,
  imported: AttributeRecord | null,
): boolean {
  if (target.scope.type !== 'project-domain') return false;
  const arn = roleArn(plane, plane.managedPath, pairRoleName(plane, target.scope.project, target.scope.domain));
  if (latest !== null && latest.roleArn !== arn && latest.status === 'acknowledged') return true;
  if (imported === null || target.roleDeletionRequestedAt === undefined) return false;
  return (
    Date.parse(imported.importedAt) >= Date.parse(target.roleDeletionRequestedAt) &&
    imported.attributes[roleAttribute(plane)] !== arn
  );
}

/**
 * C5: the pair's file — the desired one, or for a pair nobody desires any more the file without
 * defaultUserRoleValue (pods fall back to <UserFlyteRole>) — recorded as a pending update when its
 * content differs from the pair's latest update. A removed pair that never had an update gets none.
 */
async function recordUctlUpdate(
  deps: ApplierDeps,
  plane: AwsDataPlaneConfig,
  target: TargetRecord,
  pair: { project: string; domain: string },
  latest: AttributeUpdate | null,
): Promise<AttributeUpdate | null> {
  let file: UctlUpdate | null = target.desired?.uctl ?? null;
  const configured = plane.attributes[`${pair.project}/${pair.domain}`];
  // Read only when needed: for the removal file, or once a new update is about to be recorded
  // (its warning), never on the common run whose file did not change.
  let imported: AttributeRecord | null | undefined;
  const readImported = async (): Promise<AttributeRecord | null> => {
    if (imported === undefined)
      imported = await deps.attributes.getAttributes(target.dataPlane, pair.project, pair.domain);
    return imported;
  };
  if (target.desired === null) {
    if (latest === null || latest.roleArn === null) return null;
    file = uctlUpdate(
      pair.project,
      pair.domain,
      null,
      (await readImported())?.attributes ?? configured ?? {},
      bindingOf(plane),
    );
  }
  if (file === null) return null;
  const contentHash = sha256Hex(file.yaml);
  if (latest !== null && latest.contentHash === contentHash) return null;
  const neverImported = (await readImported()) === null && configured === undefined;
  // The id follows from (pair, the update it supersedes, content): a retry after a crash, or a run
  // that read the pair index a moment stale, computes the same id and the conditional create
  // refuses the duplicate.
  const id = sha256Hex(`${target.dataPlane}#${pair.project}#${pair.domain}#${latest?.id ?? ''}#${contentHash}`).slice(
    0,
    32,
  );
  const update: AttributeUpdate = {
    id,
    dataPlane: target.dataPlane,
    project: pair.project,
    domain: pair.domain,
    roleArn: target.desired === null ? null : target.desired.role.arn,
    yaml: file.yaml,
    command: file.command,
    contentHash,
    status: 'pending',
    ...(neverImported
      ? {
          warning: `The pair's current cluster resource attributes were never imported: \`${file.command.split(' ').slice(0, 2).join(' ')}\` replaces its whole attribute map, so keys set there (projectQuotaCpu, ...) fall back to defaults. Import them before running this update — \`grantplane attributes import --plane ${target.dataPlane} --project ${pair.project} --domain ${pair.domain}\` runs \`uctl get cluster-resource-attribute -p ${pair.project} -d ${pair.domain}\` and imports its output (PUT /v1/attributes/${target.dataPlane}/${pair.project}/${pair.domain}); the import records a new update that keeps them.`,
        }
      : {}),
    // Always after the update it supersedes (the pair's listing orders by createdAt), even when
    // clocks of two runs disagree.
    createdAt: new Date(
      Math.max(deps.clock.now().getTime(), latest === null ? 0 : Date.parse(latest.createdAt) + 1),
    ).toISOString(),
  };
  try {
    await deps.attributes.createAttributeUpdate(update);
  } catch (error: unknown) {
    if (!(error instanceof ConcurrentUpdateError)) throw error;
    return null; // recorded already
  }
  await deps.audit.appendAudit({
    id: deps.ids.next(),
    at: update.createdAt,
    actor: ACTOR,
    action: 'attribute-update.created',
    targetKey: target.targetKey,
    after: { id: update.id, roleArn: update.roleArn, status: 'pending' },
    result: 'ok',
    detail: update.command,
  });
  return update;
}

async function recordFailure(
  deps: ApplierDeps,
  target: TargetRecord,
  candidates: readonly GrantRecord[],
  error: unknown,
  outcome: TargetOutcome,
): Promise<void> {
  const message = errorText(error);
  outcome.outcome = 'failed';
  outcome.error = message;
  if (!isTransient(error)) {
    await moveGrants(
      deps,
      candidates,
      { status: 'error', iamCalls: outcome.iamCalls, detail: `apply of ${target.targetKey} failed: ${message}` },
      outcome,
    );
  }
  const previous = target.appliedPolicyArns ?? [];
  await recordOutcome(deps, target, {
    state: 'failed',
    lastError: message,
    appliedVersion: target.appliedVersion,
    // What this run may have created or detached is looked at again by the next one.
    appliedPolicyArns: [
      ...new Set([...previous, ...(target.desired?.policies.map((policy) => policy.arn) ?? [])]),
    ].sort(),
    ...(target.roleDeletionRequestedAt === undefined
      ? {}
      : { roleDeletionRequestedAt: target.roleDeletionRequestedAt }),
  });
  await deps.audit.appendAudit({
    id: deps.ids.next(),
    at: deps.clock.now().toISOString(),
    actor: ACTOR,
    action: 'target.apply-failed',
    targetKey: target.targetKey,
    before: { appliedVersion: target.appliedVersion, state: target.state },
    after: { appliedVersion: target.appliedVersion, state: 'failed' },
    iamCalls: outcome.iamCalls,
    result: 'error',
    detail: message,
  });
  deps.log.error('target apply failed', {
    targetKey: target.targetKey,
    desiredVersion: target.desiredVersion,
    error: message,
    iamCalls: outcome.iamCalls,
    transient: isTransient(error),
  });
}

/**
 * Writes the target's applied fields, conditional on its desiredVersion not having moved. Returns
 * false when it moved: that newer version has its own stream record and run.
 */
async function recordOutcome(
  deps: ApplierDeps,
  target: TargetRecord,
  fields: {
    state: TargetRecord['state'];
    appliedPolicyArns: string[];
    appliedVersion?: number;
    lastError?: string;
    roleDeletionRequestedAt?: string | undefined;
  },
): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  const { lastError: _lastError, roleDeletionRequestedAt: _requested, ...rest } = target;
  const next: TargetRecord = {
    ...rest,
    appliedVersion: fields.appliedVersion ?? target.desiredVersion,
    state: fields.state,
    appliedPolicyArns: fields.appliedPolicyArns,
    updatedAt: now,
    ...(fields.state === 'failed' ? {} : { lastAppliedAt: now }),
    ...(fields.lastError === undefined ? {} : { lastError: fields.lastError }),
    ...(fields.roleDeletionRequestedAt === undefined
      ? {}
      : { roleDeletionRequestedAt: fields.roleDeletionRequestedAt }),
  };
  try {
    await deps.targets.putTarget(next, target.desiredVersion);
    return true;
  } catch (error: unknown) {
    if (!(error instanceof ConcurrentUpdateError)) throw error;
    deps.log.info('desired state moved on during the apply', {
      targetKey: target.targetKey,
      appliedFor: target.desiredVersion,
    });
    return false;
  }
}

/**
 * The schedule's sweep (and the local poller's): every target behind its desired version, failed,
 * or waiting for its uctl update, plus targets with grants waiting on the applier — so a stream
 * record lost after its retries, or an acknowledgement or import that woke nothing, still converges.
 */
export async function applyPendingTargets(deps: ApplierDeps, options: ApplyOptions = {}): Promise<TargetOutcome[]> {
  const keys = new Set<string>();
  for (const plane of deps.config.dataPlanes) {
    if (plane.cloud !== 'aws') {
      // A GCP or Azure plane whose last apply failed, or whose bindings a drift check found missing.
      if (((await deps.cloud.getCloudState(plane.name))?.state ?? 'applied') !== 'applied')
        keys.add(globalTargetKey(plane.name));
    } else {
      // The repair pass: the plane planned whole, as the configuration says now. It finishes a unit
      // recompute that died between the grant write and the target write, takes configuration
      // changes (a lowered quota) in, and fails the invocation on an engine failure (docs/rules.md).
      // Its snapshot names the targets still owed work, so the plane's targets are read once.
      let unsettled: string[];
      try {
        unsettled = (await recomputePlaneTargets(deps, plane.name)).unsettled;
      } catch (error: unknown) {
        if (error instanceof EngineError) {
          deps.log.error('engine failed: nothing applied', { dataPlane: plane.name, error: errorText(error) });
          throw error;
        }
        deps.log.error('repair recompute failed', { dataPlane: plane.name, error: errorText(error) });
        unsettled = (await deps.targets.listTargets(plane.name)).filter(isUnsettled).map((target) => target.targetKey);
      }
      for (const key of unsettled) keys.add(key);
    }
    for (const grant of await deps.grants.listGrantsByStatus(plane.name, WAITING_STATUSES)) keys.add(grant.targetKey);
  }
  if (keys.size === 0) return [];
  return applyTargets(deps, [...keys], options);
}
