// reconcileTarget / applyPlane (docs/applier.md A1–A4, docs/cli.md apply): read one target's IAM state with the
// fewest calls, diff it against the compiled desired state, make exactly the calls needed.
// Crash-safe by construction: every name is deterministic and every step is re-derived from what
// IAM holds, so a run that died halfway is finished by the next one, and nothing is done twice.
import type { AwsDataPlaneConfig } from '../domain/config.js';
import { userFlyteRolePolicyArn } from '../domain/compile/arns.js';
import { pairRoleName } from '../domain/compile/names.js';
import type { CompiledPolicy, CompiledTarget, Scope } from '../domain/model.js';
import type { IamGateway, IamPolicy, IamRole } from '../domain/ports.js';
import { IamGatewayError } from '../domain/ports.js';
import {
  type ActualPolicy,
  type ActualTarget,
  blastRadiusOf,
  planeAccessChanges,
  describeAction,
  diffTarget,
  documentsEqual,
  type IamAction,
  type IamPlaneState,
  isOwned,
  type PlaneGuard,
  policiesToRead,
  scopeOfOrphan,
  strayPolicyActions,
  type TargetDiff,
  targetFromSnapshot,
  type TargetRef,
  targetRefOf,
} from '../domain/reconcile/index.js';

/**
 * Policy documents by (policy ARN, version id): a version's document never changes, so a caller
 * that keeps one cache between runs skips GetPolicyVersion for versions it has seen. Entries of a
 * policy are dropped when grantplane deletes it (a re-created policy starts again at v1).
 */
export interface PolicyDocumentCache {
  get(arn: string, versionId: string): unknown;
  set(arn: string, versionId: string, document: unknown): void;
  evict(arn: string): void;
}

/** An in-memory PolicyDocumentCache. */
export function makePolicyDocumentCache(): PolicyDocumentCache {
  const entries = new Map<string, Map<string, unknown>>();
  return {
    get: (arn, versionId) => entries.get(arn)?.get(versionId),
    set: (arn, versionId, document) => {
      const versions = entries.get(arn) ?? new Map<string, unknown>();
      versions.set(versionId, document);
      entries.set(arn, versions);
    },
    evict: (arn) => {
      entries.delete(arn);
    },
  };
}

/** The R3 guard of an AWS plane (docs/configuration.md defaults already filled in by parseConfig). */
export function planeGuard(plane: AwsDataPlaneConfig): PlaneGuard {
  return {
    accountId: plane.accountId,
    managedPath: plane.managedPath,
    userFlyteRoleName: plane.userFlyteRoleName,
    adminFlyteRoleName: plane.adminFlyteRoleName,
    userFlyteRolePolicyArn: userFlyteRolePolicyArn(plane),
    maxPoliciesPerRole: plane.maxPoliciesPerRole,
  };
}

/** The reference of a plane's target by scope, for reconciling it when nothing is desired any more. */
export function targetRefFor(plane: AwsDataPlaneConfig, scope: Scope): TargetRef {
  return scope.type === 'global'
    ? { dataPlane: plane.name, scope, roleName: plane.userFlyteRoleName, managed: false }
    : { dataPlane: plane.name, scope, roleName: pairRoleName(plane, scope.project, scope.domain), managed: true };
}

export interface ReconcileOptions {
  guard: PlaneGuard;
  /** Identifies the target when `desired` is null (no longer declared). */
  ref?: TargetRef;
  /** Delete a no-longer-desired project-domain role (its uctl update ran: acknowledged, or imported attributes show it). */
  allowRoleDeletion?: boolean;
  /** Compute and return the actions without making them. */
  dryRun?: boolean;
  /** Policies other targets of the plane still desire: never deleted from this target. */
  keepPolicyArns?: ReadonlySet<string>;
  /** The plane's global policies: a waiting role keeps them attached (A3). */
  waitingRoleKeeps?: ReadonlySet<string>;
  /** Policies this target may have owned beyond its attachments (e.g. its previous desired state). */
  extraPolicyArns?: readonly string[];
  cache?: PolicyDocumentCache;
  /** Called with each call's line as it is made (the CLI prints as it goes). */
  onAction?: (line: string) => void;
}

export interface ReconcileResult {
  /** One human-readable line per IAM write call made (or, in a dry run, that would be made). */
  actions: string[];
  writes: number;
  reads: number;
  /** The role is no longer desired and waits for its uctl update before it is deleted. */
  waiting: boolean;
  notes: string[];
}

/** A gateway that counts the calls made through it (each method is one IAM call, lists one per page). */
function counting(iam: IamGateway): { iam: IamGateway; counts: { reads: number; writes: number } } {
  const counts = { reads: 0, writes: 0 };
  const wrapped = new Proxy(iam, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const read = /^(get|list)/.test(property);
      return (...args: unknown[]) => {
        if (read) counts.reads += 1;
        else counts.writes += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { iam: wrapped, counts };
}

const codeOf = (error: unknown): string | undefined => (error instanceof IamGatewayError ? error.code : undefined);

/** Reads what diffTarget needs: GetRole, ListAttachedRolePolicies, GetPolicy each, default documents. */
async function readTarget(
  iam: IamGateway,
  desired: CompiledTarget | null,
  ref: TargetRef,
  options: ReconcileOptions,
): Promise<ActualTarget> {
  const role = await iam.getRole(ref.roleName);
  const attached = role === null ? [] : await iam.listAttachedRolePolicies(ref.roleName);
  const desiredArns = new Set(desired?.policies.map((policy) => policy.arn) ?? []);
  const policies: ActualPolicy[] = [];
  for (const arn of policiesToRead(desired, attached, options.guard, options.extraPolicyArns)) {
    const policy = await iam.getPolicy(arn);
    if (policy === null) continue;
    const entry: ActualPolicy = { policy };
    // The default document matters only for policies this target keeps (to compare by meaning).
    if (desiredArns.has(arn) && isOwned(policy, options.guard))
      entry.defaultDocument = await defaultDocument(iam, policy, options.cache);
    policies.push(entry);
  }
  return { role, attached, policies };
}

async function defaultDocument(
  iam: IamGateway,
  policy: IamPolicy,
  cache: PolicyDocumentCache | undefined,
): Promise<unknown> {
  const cached = cache?.get(policy.arn, policy.defaultVersionId);
  if (cached !== undefined) return cached;
  const version = await iam.getPolicyVersion(policy.arn, policy.defaultVersionId);
  const document = version?.document ?? null;
  if (document !== null) cache?.set(policy.arn, policy.defaultVersionId, document);
  return document;
}

/** IAM's answer to a removal of what is already gone, or a creation of what exists: another writer's work (A4). */
const REMOVALS: ReadonlySet<IamAction['kind']> = new Set([
  'DetachRolePolicy',
  'DeletePolicyVersion',
  'DeletePolicy',
  'DeleteRole',
  'UntagRole',
  'UntagPolicy',
  'DeleteRolePermissionsBoundary',
]);

/** Makes one action's IAM call. Returns 'raced' when IAM says another writer got there first. */
async function execute(
  iam: IamGateway,
  action: IamAction,
  cache: PolicyDocumentCache | undefined,
): Promise<'done' | 'raced'> {
  try {
    await call(iam, action, cache);
    return 'done';
  } catch (error: unknown) {
    const code = codeOf(error);
    // A4: a concurrent writer (or a duplicate event) made this call already: re-read and re-diff.
    if (code === 'EntityAlreadyExists' && (action.kind === 'CreatePolicy' || action.kind === 'CreateRole'))
      return 'raced';
    if (code === 'NoSuchEntity' && REMOVALS.has(action.kind)) return 'raced';
    if (code === 'DeleteConflict' && action.kind === 'DeletePolicy') return 'raced';
    throw error;
  }
}

/** The one IAM call an action stands for; keeps the document cache in step with what it writes. */
async function call(iam: IamGateway, action: IamAction, cache: PolicyDocumentCache | undefined): Promise<unknown> {
  switch (action.kind) {
    case 'CreatePolicy': {
      const { name, path, document, tags } = action;
      const created = await iam.createPolicy({ name, path, document, tags, description: 'Managed by grantplane' });
      return cache?.set(created.arn, created.defaultVersionId, document);
    }
    case 'CreatePolicyVersion': {
      const version = await iam.createPolicyVersion(action.arn, action.document, true);
      return cache?.set(action.arn, version.versionId, action.document);
    }
    case 'DeletePolicyVersion':
      return iam.deletePolicyVersion(action.arn, action.versionId);
    case 'TagPolicy':
      return iam.tagPolicy(action.arn, action.tags);
    case 'UntagPolicy':
      return iam.untagPolicy(action.arn, action.keys);
    case 'DeletePolicy':
      cache?.evict(action.arn);
      return iam.deletePolicy(action.arn);
    case 'CreateRole': {
      const { name, path, trustPolicy, permissionsBoundaryArn, tags } = action;
      const description = 'Managed by grantplane: task role of one project-domain';
      return iam.createRole({ name, path, trustPolicy, permissionsBoundaryArn, tags, description });
    }
    case 'UpdateAssumeRolePolicy':
      return iam.updateAssumeRolePolicy(action.roleName, action.trustPolicy);
    case 'PutRolePermissionsBoundary':
      return iam.putRolePermissionsBoundary(action.roleName, action.boundaryArn);
    case 'DeleteRolePermissionsBoundary':
      return iam.deleteRolePermissionsBoundary(action.roleName);
    case 'TagRole':
      return iam.tagRole(action.roleName, action.tags);
    case 'UntagRole':
      return iam.untagRole(action.roleName, action.keys);
    case 'AttachRolePolicy':
      return iam.attachRolePolicy(action.roleName, action.policyArn);
    case 'DetachRolePolicy':
      return iam.detachRolePolicy(action.roleName, action.policyArn);
    case 'DeleteRole':
      return iam.deleteRole(action.roleName);
  }
}

const MAX_PASSES = 3;

/**
 * Reconciles one target (desired null: no longer declared; pass `options.ref`). Reads GetRole,
 * ListAttachedRolePolicies, GetPolicy per policy of interest and GetPolicyVersion only for a default
 * version not in the cache (ListPolicyVersions only before a version change or a deletion); then
 * makes the diff's calls in order. A race with another writer re-reads and re-diffs (at most 3 passes).
 */
export async function reconcileTarget(
  gateway: IamGateway,
  desired: CompiledTarget | null,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const ref = desired !== null ? targetRefOf(desired) : options.ref;
  if (ref === undefined) throw new Error('reconcileTarget: a target that is no longer desired needs options.ref');
  const { iam, counts } = counting(gateway);
  const actions: string[] = [];
  const notes: string[] = [];
  let waiting = false;
  const diffOptions = {
    guard: options.guard,
    allowRoleDeletion: options.allowRoleDeletion ?? false,
    keepPolicyArns: options.keepPolicyArns,
    waitingRoleKeeps: options.waitingRoleKeeps,
  };
  for (let pass = 1; pass <= MAX_PASSES; pass += 1) {
    let diff: TargetDiff;
    try {
      const actual = await readTarget(iam, desired, ref, options);
      diff = diffTarget(desired, ref, actual, diffOptions);
      while (diff.missingVersions.length > 0) {
        for (const arn of diff.missingVersions) {
          const entry = actual.policies.find((policy) => policy.policy.arn === arn);
          if (entry !== undefined) entry.versions = await iam.listPolicyVersions(arn);
        }
        diff = diffTarget(desired, ref, actual, diffOptions);
      }
    } catch (error: unknown) {
      // Something read a moment ago vanished under another writer: read again.
      if (codeOf(error) === 'NoSuchEntity' && pass < MAX_PASSES) continue;
      throw error;
    }
    waiting = diff.waiting;
    notes.splice(0, notes.length, ...diff.notes);
    if (options.dryRun === true) {
      actions.push(...diff.actions.map(describeAction));
      break;
    }
    let raced = false;
    for (const action of diff.actions) {
      const line = describeAction(action);
      const outcome = await execute(iam, action, options.cache);
      if (outcome === 'raced') {
        raced = true;
        break;
      }
      actions.push(line);
      options.onAction?.(line);
    }
    if (!raced) break;
    if (pass === MAX_PASSES)
      throw new Error(`reconcile of ${ref.roleName} kept racing with another writer; run it again`);
  }
  return { actions, writes: options.dryRun === true ? 0 : counts.writes, reads: counts.reads, waiting, notes };
}

export interface ApplyPlaneOptions {
  dryRun?: boolean;
  /** Apply even when the change takes access from more than half of the plane's targets (A6). */
  confirmRemoval?: boolean;
  /** Delete grantplane roles nobody declares any more (the operator confirms their uctl update ran). */
  pruneRoles?: boolean;
  cache?: PolicyDocumentCache;
  /** Read every managed policy's tags (GetPolicy each) instead of trusting a desired document's (ReadPlaneOptions). */
  verifyTags?: boolean;
  onAction?: (line: string) => void;
}

export interface ApplyPlaneResult {
  actions: string[];
  /** IAM write calls made (dry run: that would be made). */
  changes: number;
  /** IAM reads made (a GetAccountAuthorizationDetails counts once however many pages it took). */
  reads: number;
  /** Roles no longer declared that wait for their uctl update (`--prune-roles` deletes them). */
  waitingRoles: string[];
  notes: string[];
}

/** A6: the apply would take access from more than half of the plane's targets; nothing was changed. */
export class BlastRadiusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlastRadiusError';
  }
}

/** The credentials reach another account than the plane's, or one without <UserFlyteRole>. */
export class PlaneAccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaneAccountError';
  }
}

/** Throws PlaneAccountError unless `role` (<UserFlyteRole> as read) exists in the plane's account. */
function checkPlaneAccount(role: IamRole | null, plane: AwsDataPlaneConfig): void {
  if (role === null) {
    throw new PlaneAccountError(
      `plane ${plane.name}: role ${plane.userFlyteRoleName} does not exist where these credentials point; are they for account ${plane.accountId}?`,
    );
  }
  const account = role.arn.split(':')[4];
  if (account !== plane.accountId) {
    throw new PlaneAccountError(
      `plane ${plane.name}: these credentials act in account ${account ?? '?'}, the plane is in account ${plane.accountId}`,
    );
  }
}

/**
 * One read (GetRole <UserFlyteRole>) that proves the credentials act in the plane's account before
 * anything is written: a role ARN names its account, and every Union data plane has this role.
 */
export async function assertPlaneAccount(iam: IamGateway, plane: AwsDataPlaneConfig): Promise<void> {
  checkPlaneAccount(await iam.getRole(plane.userFlyteRoleName), plane);
}

/** How readPlaneState learns what it cannot see in the whole-plane read. */
export interface ReadPlaneOptions {
  cache?: PolicyDocumentCache;
  /**
   * The policies grantplane desires, by ARN. One whose default document (read in the whole-plane
   * answer) is the desired document is taken to carry the desired tags — managed-by and that
   * document's hash — without its GetPolicy. Safe for every write: a policy that needs a write is
   * read again on its own first (reconcileTarget), and one nothing desires (a deletion candidate)
   * always has its tags read. What it gives up: tags changed by hand on a policy whose document is
   * as desired go unseen (the scheduled drift check re-reads every policy's tags at least once a
   * day; the CLI's `--verify-tags` reads them all on every run).
   */
  desiredPolicies?: ReadonlyMap<string, CompiledPolicy>;
}

/** The desired policies of `targets` by ARN (ReadPlaneOptions.desiredPolicies). */
export const desiredPoliciesOf = (targets: readonly CompiledTarget[]): Map<string, CompiledPolicy> =>
  new Map(targets.flatMap((target) => target.policies.map((policy) => [policy.arn, policy] as const)));

/**
 * Reads one plane (A1): GetAccountAuthorizationDetails (all pages; roles with tags, trust, boundary and
 * attachments; policies with their versions' documents) kept to the managed path and
 * <UserFlyteRole>, and GetPolicy for the tags of each managed-path policy (GetAccountAuthorizationDetails
 * does not return policy tags) unless `desiredPolicies` vouches for them. GetPolicyVersion only for a
 * default version neither in the answer nor in the cache. The drift check and applyPlane share it.
 */
export async function readPlaneState(
  iam: IamGateway,
  plane: AwsDataPlaneConfig,
  options: ReadPlaneOptions = {},
): Promise<IamPlaneState> {
  const { cache, desiredPolicies } = options;
  const details = await iam.getAccountAuthorizationDetails({
    pathPrefix: plane.managedPath,
    roleNames: [plane.userFlyteRoleName],
  });
  const state: IamPlaneState = { roles: new Map(), policies: new Map() };
  for (const role of details.roles) state.roles.set(role.name, { role, attached: role.attachedPolicies });
  for (const detail of details.policies) {
    let document: unknown = cache?.get(detail.arn, detail.defaultVersionId);
    if (document === undefined) {
      document = detail.versions.find((version) => version.versionId === detail.defaultVersionId)?.document;
      if (document === undefined)
        document = (await iam.getPolicyVersion(detail.arn, detail.defaultVersionId))?.document ?? null;
      cache?.set(detail.arn, detail.defaultVersionId, document);
    }
    const desired = desiredPolicies?.get(detail.arn);
    const vouched = desired !== undefined && documentsEqual(document, desired.document) ? desired.tags : undefined;
    const tags = detail.tags ?? vouched ?? (await iam.getPolicy(detail.arn))?.tags ?? {};
    state.policies.set(detail.arn, { policy: { ...detail, tags }, defaultDocument: document });
  }
  return state;
}

const scopeOrder = (scope: Scope): string => (scope.type === 'global' ? '' : `${scope.project}\u0000${scope.domain}`);

/**
 * The stateless apply (docs/cli.md): reconciles every desired target of one plane (global first, so
 * its policies exist before pairs attach them), then what grantplane owns under the managed path
 * that nothing declares: undeclared roles (waiting, or deleted with `pruneRoles`) and stray
 * policies (deleted once unattached).
 *
 * Reads (A1): one whole-plane read (readPlaneState) instead of several reads per target; it also
 * proves the credentials act in the plane's account before anything is written. Each target is
 * diffed against that snapshot, and only a target the snapshot says needs writes (or that it cannot
 * judge) is reconciled by reconcileTarget, i.e. read again on its own first: every write is still
 * decided on fresh state, so crash and race safety (A4) are reconcileTarget's, unchanged. A
 * converged plane costs the whole-plane read and nothing else.
 */
export async function applyPlane(
  gateway: IamGateway,
  plane: AwsDataPlaneConfig,
  desiredTargets: readonly CompiledTarget[],
  options: ApplyPlaneOptions = {},
): Promise<ApplyPlaneResult> {
  const guard = planeGuard(plane);
  const { iam, counts } = counting(gateway);
  const result: ApplyPlaneResult = { actions: [], changes: 0, reads: 0, waitingRoles: [], notes: [] };
  const targets = desiredTargets
    .filter((target) => target.dataPlane === plane.name)
    .sort((a, b) => scopeOrder(a.scope).localeCompare(scopeOrder(b.scope)));
  const keep = new Set(
    targets.flatMap((target) => [...target.policies.map((policy) => policy.arn), ...target.attachedPolicyArns]),
  );

  const snapshot = await readPlaneState(iam, plane, {
    cache: options.cache,
    desiredPolicies: options.verifyTags === true ? undefined : desiredPoliciesOf(targets),
  });
  checkPlaneAccount(snapshot.roles.get(plane.userFlyteRoleName)?.role ?? null, plane);
  const globals = new Set(
    targets.filter((t) => t.scope.type === 'global').flatMap((t) => t.policies.map((policy) => policy.arn)),
  );
  // A6, before any write: a change that takes access from most of the plane waits for a person.
  const radius = blastRadiusOf(planeAccessChanges(snapshot, targets, guard));
  if (radius.trips && options.confirmRemoval !== true) {
    const names = radius.losses.map((loss) => loss.targetKey).join(', ');
    const message = `this would take access from ${radius.losses.length} of the ${radius.withAccess} targets of plane ${plane.name} that have access (${names})`;
    if (options.dryRun !== true)
      throw new BlastRadiusError(
        `${message}; nothing was changed. Check the grants file; if this is meant, run again with --confirm-removal`,
      );
    result.notes.push(`${message}: apply would refuse it without --confirm-removal`);
  }

  const base = {
    guard,
    keepPolicyArns: keep,
    waitingRoleKeeps: globals,
    dryRun: options.dryRun,
    cache: options.cache,
    onAction: options.onAction,
  };
  const add = (outcome: ReconcileResult): void => {
    result.actions.push(...outcome.actions);
    result.notes.push(...outcome.notes);
  };
  /** Converged per the snapshot: its outcome without another read; else reconcileTarget reads it afresh. */
  const settle = async (
    desired: CompiledTarget | null,
    ref: TargetRef,
    allowRoleDeletion = false,
  ): Promise<ReconcileResult> => {
    const actual = targetFromSnapshot(snapshot, desired, ref, guard);
    if (actual !== null) {
      try {
        const diff = diffTarget(desired, ref, actual, {
          guard,
          allowRoleDeletion,
          keepPolicyArns: keep,
          waitingRoleKeeps: globals,
        });
        if (diff.actions.length === 0 && diff.missingVersions.length === 0)
          return { actions: [], writes: 0, reads: 0, waiting: diff.waiting, notes: diff.notes };
      } catch {
        // Ownership, a missing <UserFlyteRole>, R3: the fresh read below decides, and throws if it still holds.
      }
    }
    return reconcileTarget(iam, desired, { ...base, ref, allowRoleDeletion });
  };

  const globalRef = targetRefFor(plane, { type: 'global' });
  if (!targets.some((target) => target.scope.type === 'global')) {
    // No global grants any more: still take grantplane's global policies off <UserFlyteRole>.
    add(await settle(null, globalRef));
  }
  for (const target of targets) add(await settle(target, targetRefOf(target)));

  const desiredRoles = new Set(targets.map((target) => target.role.name));
  const naming = { name: plane.name, orgPrefix: plane.orgPrefix, domains: plane.domains };
  const roles = [...snapshot.roles.values()]
    .map((entry) => entry.role)
    .filter((role) => role.path.startsWith(plane.managedPath))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const role of roles) {
    if (desiredRoles.has(role.name)) continue;
    const ref: TargetRef = {
      dataPlane: plane.name,
      scope: scopeOfOrphan(role.name, role.tags, naming),
      roleName: role.name,
      managed: true,
    };
    const outcome = await settle(null, ref, options.pruneRoles ?? false);
    add(outcome);
    if (outcome.waiting) result.waitingRoles.push(role.name);
  }

  // Stray policies: grantplane's, declared nowhere, attached nowhere (e.g. a run crashed between
  // CreatePolicy and AttachRolePolicy of a grant that was then withdrawn). The snapshot names the
  // candidates; one is read again (GetPolicy, ListPolicyVersions) before it is deleted, or when this
  // run detached it somewhere so that the snapshot's attachment count is out of date.
  const deleted = new Set(
    result.actions.filter((line) => line.startsWith('DeletePolicy ')).map((line) => line.slice('DeletePolicy '.length)),
  );
  const strays = [...snapshot.policies.values()]
    .map((entry) => entry.policy)
    .filter((policy) => !keep.has(policy.arn) && !deleted.has(policy.name) && isOwned(policy, guard))
    .sort((a, b) => a.arn.localeCompare(b.arn));
  for (const listed of strays) {
    const detachedHere = result.actions.some(
      (line) => line.startsWith('DetachRolePolicy ') && line.endsWith(` ${listed.name}`),
    );
    let policy: IamPolicy | null = listed;
    if (listed.attachmentCount === 0 || detachedHere) {
      policy = await iam.getPolicy(listed.arn);
      if (policy === null) continue;
    }
    const entry: ActualPolicy = { policy };
    let actions = strayPolicyActions(entry, guard);
    if (actions === null) {
      try {
        entry.versions = await iam.listPolicyVersions(policy.arn);
      } catch (error: unknown) {
        if (codeOf(error) === 'NoSuchEntity') continue; // deleted meanwhile by another run
        throw error;
      }
      actions = strayPolicyActions(entry, guard) ?? [];
    }
    if (isOwned(policy, guard) && policy.attachmentCount > 0) {
      result.notes.push(
        `policy ${policy.name} is declared nowhere but still attached outside grantplane's roles: detach it by hand`,
      );
    }
    for (const action of actions) {
      const line = describeAction(action);
      if (options.dryRun !== true) {
        if ((await execute(iam, action, options.cache)) === 'raced') break;
        options.onAction?.(line);
      }
      result.actions.push(line);
    }
  }
  result.changes = options.dryRun === true ? result.actions.length : counts.writes;
  result.reads = counts.reads;
  return result;
}
