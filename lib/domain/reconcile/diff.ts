// diff(desired, actual) → the fewest IAM actions, in a safe order (docs/applier.md A1–A3, R3).
// Pure: the app layer reads the actual state, calls diffTarget, and executes what comes back.
import type { CompiledTarget, Scope } from '../model.js';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../model.js';
import type { IamAttachedPolicy, IamPolicy, IamPolicyVersion, IamRole } from '../ports.js';
import type { IamAction } from './actions.js';
import { assertSafeActions, type PlaneGuard } from './guard.js';

export type { PlaneGuard } from './guard.js';
import { diffTags, documentsEqual, policyArnPath } from './normalize.js';

/** One policy as IAM holds it; `defaultDocument`/`versions` are present only when they were read. */
export interface ActualPolicy {
  policy: IamPolicy;
  defaultDocument?: unknown;
  versions?: IamPolicyVersion[];
}

/** The actual IAM state of one target. */
export interface ActualTarget {
  role: IamRole | null;
  attached: IamAttachedPolicy[];
  /** Every policy of interest that exists: desired ones and grantplane candidates attached or known. */
  policies: ActualPolicy[];
}

/** Identifies a target whose desired state may be null (no longer declared). */
export interface TargetRef {
  dataPlane: string;
  scope: Scope;
  roleName: string;
  /** false for `<UserFlyteRole>` (the global target): never created, changed or deleted. */
  managed: boolean;
}

export interface DiffOptions {
  guard: PlaneGuard;
  /** May a no-longer-desired project-domain role be deleted (its uctl update ran)? */
  allowRoleDeletion: boolean;
  /** Policies some other target of the plane still desires: never deleted from here. */
  keepPolicyArns?: ReadonlySet<string>;
  /**
   * The plane's global policies: a no-longer-desired role that waits for its uctl update keeps them
   * attached (with userflyterole), so running pods keep what every pair has and nothing revoked (A3).
   */
  waitingRoleKeeps?: ReadonlySet<string>;
}

export interface TargetDiff {
  actions: IamAction[];
  /** The role is no longer desired but stays until its uctl update is confirmed. */
  waiting: boolean;
  /** Policies whose version list must be read before the diff is complete (then diff again). */
  missingVersions: string[];
  /** Things grantplane will not change (foreign attachments blocking a deletion, …). */
  notes: string[];
}

/** A role or policy exists under grantplane's name but is not grantplane's: never taken over. */
export class OwnershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnershipError';
  }
}

/** The role grantplane must work on does not exist and is not grantplane's to create. */
export class MissingRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingRoleError';
  }
}

/** Under grantplane's managed path and tagged managed-by=grantplane (C4, R3). */
export function isOwned(resource: { path: string; tags?: Record<string, string> }, guard: PlaneGuard): boolean {
  return resource.path.startsWith(guard.managedPath) && resource.tags?.[MANAGED_BY_TAG] === MANAGED_BY_VALUE;
}

/** A policy ARN under the managed path: a candidate to read (ownership needs its tags). */
export const isManagedPathArn = (arn: string, guard: PlaneGuard): boolean =>
  policyArnPath(arn).startsWith(guard.managedPath);

/** The reference of a compiled target. */
export const targetRefOf = (target: CompiledTarget): TargetRef => ({
  dataPlane: target.dataPlane,
  scope: target.scope,
  roleName: target.role.name,
  managed: target.role.managed,
});

/**
 * Policies whose state the diff needs (GetPolicy each): the desired ones, and attachments under the
 * managed path that are not desired (to check they are grantplane's before detaching them).
 */
export function policiesToRead(
  desired: CompiledTarget | null,
  attached: IamAttachedPolicy[],
  guard: PlaneGuard,
  extra: readonly string[] = [],
): string[] {
  const wanted = new Set(desired?.attachedPolicyArns ?? []);
  const arns = new Set<string>(desired?.policies.map((policy) => policy.arn) ?? []);
  for (const policy of attached) {
    if (!wanted.has(policy.arn) && isManagedPathArn(policy.arn, guard)) arns.add(policy.arn);
  }
  for (const arn of extra) arns.add(arn);
  return [...arns].sort();
}

/**
 * A grantplane policy that no target declares any more (found by listing the managed path): once
 * nothing is attached to it, its non-default versions and then the policy are deleted (A3).
 * `null` when its version list must be read first; [] when it is not grantplane's or still attached.
 */
export function strayPolicyActions(entry: ActualPolicy, guard: PlaneGuard): IamAction[] | null {
  if (!isOwned(entry.policy, guard) || entry.policy.attachmentCount > 0) return [];
  if (entry.versions === undefined) return null;
  const actions: IamAction[] = entry.versions
    .filter((version) => !version.isDefault)
    .map((version) => ({ kind: 'DeletePolicyVersion', arn: entry.policy.arn, versionId: version.versionId }));
  actions.push({ kind: 'DeletePolicy', arn: entry.policy.arn });
  assertSafeActions(actions, guard);
  return actions;
}

/** The oldest non-default version (A2: rotated out when a policy already holds 5). */
function oldestNonDefault(versions: IamPolicyVersion[]): IamPolicyVersion | undefined {
  const versionNumber = (id: string): number => Number(id.replace(/^v/, '')) || 0;
  return versions
    .filter((version) => !version.isDefault)
    .sort(
      (a, b) => a.createDate.localeCompare(b.createDate) || versionNumber(a.versionId) - versionNumber(b.versionId),
    )[0];
}

const MAX_POLICY_VERSIONS = 5;

/**
 * The actions that take `actual` to `desired` (null: no longer declared), in a safe order:
 * create policies → update policies → create/update role → attach → detach → delete policies →
 * delete role. A converged target gives no actions. Throws OwnershipError / MissingRoleError rather
 * than take over or invent what is not grantplane's, and the guard throws on anything R3 forbids.
 */
export function diffTarget(
  desired: CompiledTarget | null,
  ref: TargetRef,
  actual: ActualTarget,
  options: DiffOptions,
): TargetDiff {
  const { guard } = options;
  const createPolicies: IamAction[] = [];
  const updatePolicies: IamAction[] = [];
  const roleActions: IamAction[] = [];
  const attaches: IamAction[] = [];
  const detaches: IamAction[] = [];
  const deletes: IamAction[] = [];
  const missingVersions: string[] = [];
  const notes: string[] = [];
  const actualByArn = new Map(actual.policies.map((entry) => [entry.policy.arn, entry]));
  const desiredPolicyArns = new Set(desired?.policies.map((policy) => policy.arn) ?? []);
  const desiredAttached = new Set(desired?.attachedPolicyArns ?? []);

  // Policies this target owns: create, or bring document and tags up to date (A2, C4).
  for (const policy of desired?.policies ?? []) {
    const existing = actualByArn.get(policy.arn);
    if (existing === undefined) {
      createPolicies.push({
        kind: 'CreatePolicy',
        name: policy.name,
        path: policy.path,
        arn: policy.arn,
        document: policy.document,
        tags: policy.tags,
      });
      continue;
    }
    if (!isOwned(existing.policy, guard)) {
      throw new OwnershipError(
        `policy ${policy.arn} exists but is not grantplane's (not under ${guard.managedPath} with ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}); rename or remove it`,
      );
    }
    if (existing.defaultDocument === undefined) {
      throw new Error(`diffTarget: the default document of ${policy.arn} was not read`);
    }
    // Tags first (C4: they describe the DESIRED document): a crash between the two calls leaves a
    // document that differs from the desired one, which every later read notices — never a desired
    // document under a stale hash tag, which a whole-plane read that vouches for tags would not.
    const tags = diffTags(policy.tags, existing.policy.tags);
    if (Object.keys(tags.set).length > 0) updatePolicies.push({ kind: 'TagPolicy', arn: policy.arn, tags: tags.set });
    if (tags.remove.length > 0) updatePolicies.push({ kind: 'UntagPolicy', arn: policy.arn, keys: tags.remove });
    if (!documentsEqual(existing.defaultDocument, policy.document)) {
      if (existing.versions === undefined) {
        missingVersions.push(policy.arn);
      } else {
        if (existing.versions.length >= MAX_POLICY_VERSIONS) {
          const oldest = oldestNonDefault(existing.versions);
          if (oldest !== undefined)
            updatePolicies.push({ kind: 'DeletePolicyVersion', arn: policy.arn, versionId: oldest.versionId });
        }
        updatePolicies.push({ kind: 'CreatePolicyVersion', arn: policy.arn, document: policy.document });
      }
    }
  }

  // The role: grantplane's own (C2) is created and kept exactly as compiled; <UserFlyteRole> is only attached to.
  const role = actual.role;
  if (desired === null && role !== null && ref.managed && !isOwned(role, guard)) {
    // Found by a path listing but not tagged as grantplane's: not ours to clean up.
    return {
      actions: [],
      waiting: false,
      missingVersions: [],
      notes: [
        `role ${ref.roleName} is under ${guard.managedPath} but not tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}: left alone`,
      ],
    };
  }
  if (role !== null && ref.managed && !isOwned(role, guard)) {
    throw new OwnershipError(
      `role ${ref.roleName} exists but is not grantplane's (not under ${guard.managedPath} with ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}); rename or remove it`,
    );
  }
  if (desired !== null && ref.managed) {
    const wantedRole = desired.role;
    if (role === null) {
      if (wantedRole.trustPolicy === null)
        throw new Error(`diffTarget: managed role ${wantedRole.name} has no trust policy`);
      roleActions.push({
        kind: 'CreateRole',
        name: wantedRole.name,
        path: wantedRole.path,
        trustPolicy: wantedRole.trustPolicy,
        permissionsBoundaryArn: wantedRole.permissionsBoundaryArn,
        tags: wantedRole.tags,
      });
    } else {
      if (wantedRole.trustPolicy !== null && !documentsEqual(role.trustPolicy, wantedRole.trustPolicy)) {
        roleActions.push({ kind: 'UpdateAssumeRolePolicy', roleName: role.name, trustPolicy: wantedRole.trustPolicy });
      }
      if (wantedRole.permissionsBoundaryArn !== (role.permissionsBoundaryArn ?? null)) {
        roleActions.push(
          wantedRole.permissionsBoundaryArn === null
            ? { kind: 'DeleteRolePermissionsBoundary', roleName: role.name }
            : {
                kind: 'PutRolePermissionsBoundary',
                roleName: role.name,
                boundaryArn: wantedRole.permissionsBoundaryArn,
              },
        );
      }
      const tags = diffTags(wantedRole.tags, role.tags);
      if (Object.keys(tags.set).length > 0) roleActions.push({ kind: 'TagRole', roleName: role.name, tags: tags.set });
      if (tags.remove.length > 0) roleActions.push({ kind: 'UntagRole', roleName: role.name, keys: tags.remove });
    }
  }
  if (role === null && !ref.managed && desired !== null) {
    throw new MissingRoleError(
      `role ${ref.roleName} (<UserFlyteRole>) does not exist in account ${guard.accountId}; grantplane never creates it`,
    );
  }

  // Attachments: missing ones attached; extra ones detached only when they are grantplane's own.
  const attachedArns = new Set(actual.attached.map((policy) => policy.arn));
  const roleName = ref.roleName;
  for (const arn of desired?.attachedPolicyArns ?? []) {
    if (!attachedArns.has(arn)) attaches.push({ kind: 'AttachRolePolicy', roleName, policyArn: arn });
  }
  const detachedHere = new Set<string>();
  const keptWhileWaiting = desired === null && ref.managed && !options.allowRoleDeletion;
  for (const policy of actual.attached) {
    if (desiredAttached.has(policy.arn)) continue;
    if (keptWhileWaiting && options.waitingRoleKeeps?.has(policy.arn) === true) continue;
    const entry = actualByArn.get(policy.arn);
    if (entry !== undefined && isOwned(entry.policy, guard)) {
      detaches.push({ kind: 'DetachRolePolicy', roleName, policyArn: policy.arn });
      detachedHere.add(policy.arn);
    }
  }

  // Policies grantplane owns that nothing here desires: deleted once nobody else is attached (A3).
  for (const entry of actual.policies) {
    const arn = entry.policy.arn;
    if (desiredPolicyArns.has(arn) || desiredAttached.has(arn) || options.keepPolicyArns?.has(arn) === true) continue;
    if (!isOwned(entry.policy, guard)) continue;
    const remaining = entry.policy.attachmentCount - (detachedHere.has(arn) ? 1 : 0);
    if (remaining > 0) continue;
    if (entry.versions === undefined) {
      missingVersions.push(arn);
      continue;
    }
    for (const version of entry.versions) {
      if (!version.isDefault) deletes.push({ kind: 'DeletePolicyVersion', arn, versionId: version.versionId });
    }
    deletes.push({ kind: 'DeletePolicy', arn });
  }

  // A project-domain role nobody declares any more: its grantplane policies went above; the role
  // itself waits for its uctl update unless deletion is allowed (A3), so running pods keep it.
  let waiting = false;
  const roleDeletion: IamAction[] = [];
  if (desired === null && ref.managed && role !== null) {
    if (!options.allowRoleDeletion) {
      waiting = true;
    } else {
      const blocking: string[] = [];
      for (const policy of actual.attached) {
        if (detachedHere.has(policy.arn)) continue;
        if (policy.arn === guard.userFlyteRolePolicyArn)
          roleDeletion.push({ kind: 'DetachRolePolicy', roleName, policyArn: policy.arn });
        else blocking.push(policy.arn);
      }
      if (blocking.length > 0) {
        notes.push(
          `role ${roleName} is not deleted: it has policies attached that are not grantplane's (${blocking.join(', ')})`,
        );
        roleDeletion.length = 0;
        waiting = true;
      } else {
        roleDeletion.push({ kind: 'DeleteRole', roleName });
      }
    }
  }

  // Attach before detach keeps access continuous while statements move between policies, unless
  // the role's attachment quota would be exceeded in between.
  const peak = actual.attached.length + attaches.length;
  const detachFirst = guard.maxPoliciesPerRole !== undefined && peak > guard.maxPoliciesPerRole;
  const actions = [
    ...createPolicies,
    ...updatePolicies,
    ...roleActions,
    ...(detachFirst ? [...detaches, ...attaches] : [...attaches, ...detaches]),
    ...deletes,
    ...roleDeletion,
  ];
  assertSafeActions(actions, guard);
  return { actions, waiting, missingVersions: [...new Set(missingVersions)].sort(), notes };
}
