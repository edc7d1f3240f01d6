// Drift (docs/drift-and-expiry.md): compare a whole plane's IAM state, read once, with its desired targets.
// Pure: the app layer reads the snapshot with the fewest calls and passes the clock's time.
import type { CompiledTarget, Scope } from '../model.js';
import type { IamAttachedPolicy, IamPolicy, IamRole } from '../ports.js';
import type { PlaneGuard } from './diff.js';
import { isManagedPathArn, isOwned } from './diff.js';
import { diffTags, documentsEqual } from './normalize.js';

/**
 * `removing`: grantplane-managed, nothing desires it, and grantplane itself is removing it (its
 * grants ended, or its role waits for the pair's uctl update, A3) — not drift, and in no drift count.
 */
export type DriftStatus = 'in-sync' | 'drifted' | 'missing' | 'orphaned' | 'removing';

/** Whether a status is drift (counted, alarmed): neither in sync nor grantplane's own removal. */
export const isDrift = (status: DriftStatus): boolean => status !== 'in-sync' && status !== 'removing';

export interface DriftTarget {
  dataPlane: string;
  scope: Scope;
  status: DriftStatus;
  differences: string[];
  /**
   * The differences the applier leaves to a person (also in `differences`): a policy someone else
   * attached to grantplane's role (R3: not grantplane's to detach), a grantplane-tagged policy in
   * this target's scope that nothing attaches. Absent when there is none.
   */
  byHand?: ByHandDifference[];
}

/** Why the applier leaves a difference to a person. */
export interface ByHandDifference {
  difference: string;
  /** `foreign-attachment`: a policy grantplane did not compile on its role; `stray-policy`: a grantplane-tagged policy in the scope that nothing attaches. */
  why: 'foreign-attachment' | 'stray-policy';
}

/** The report a drift check stores and `GET /v1/drift-checks/latest` answers (docs/drift-and-expiry.md). */
export interface DriftReport {
  checkedAt: string;
  targets: DriftTarget[];
}

/** What IAM holds for one plane: roles under the managed path plus <UserFlyteRole>, and managed-path policies. */
export interface IamPlaneState {
  roles: Map<string, { role: IamRole; attached: IamAttachedPolicy[] }>;
  policies: Map<string, { policy: IamPolicy; defaultDocument: unknown }>;
}

/** How an orphan is attributed to a scope when it carries no scope tags (name patterns, C1/C2). */
export interface PlaneNaming {
  name: string;
  orgPrefix: string;
  domains: readonly string[];
}

const tagDifferences = (
  what: string,
  desired: Record<string, string>,
  actual: Record<string, string> | undefined,
): string[] => {
  const { set, remove } = diffTags(desired, actual);
  const out: string[] = [];
  for (const key of Object.keys(set)) {
    const current = actual?.[key];
    out.push(
      current === undefined
        ? `${what}: tag ${key} is missing (expected ${desired[key]})`
        : `${what}: tag ${key} is ${current}, expected ${desired[key]}`,
    );
  }
  for (const key of remove) out.push(`${what}: tag ${key}=${actual?.[key] ?? ''} is not expected`);
  return out;
};

const scopeKey = (scope: Scope): string => (scope.type === 'global' ? '' : `${scope.project}\u0000${scope.domain}`);

/** Compares one desired target with the snapshot; status `missing` wins over `drifted`. */
export function compareTarget(desired: CompiledTarget, snapshot: IamPlaneState, guard: PlaneGuard): DriftTarget {
  const differences: string[] = [];
  const byHand: ByHandDifference[] = [];
  let missing = false;
  const roleName = desired.role.name;
  const actualRole = snapshot.roles.get(roleName);
  if (actualRole === undefined) {
    missing = true;
    differences.push(`role ${roleName}: missing`);
  } else if (desired.role.managed) {
    const { role } = actualRole;
    if (desired.role.trustPolicy !== null && !documentsEqual(role.trustPolicy, desired.role.trustPolicy)) {
      differences.push(`role ${roleName}: trust policy differs from the compiled one`);
    }
    if ((role.permissionsBoundaryArn ?? null) !== desired.role.permissionsBoundaryArn) {
      differences.push(
        `role ${roleName}: permissions boundary is ${role.permissionsBoundaryArn ?? 'none'}, expected ${desired.role.permissionsBoundaryArn ?? 'none'}`,
      );
    }
    differences.push(...tagDifferences(`role ${roleName}`, desired.role.tags, role.tags));
  }
  for (const policy of desired.policies) {
    const actual = snapshot.policies.get(policy.arn);
    if (actual === undefined) {
      missing = true;
      differences.push(`policy ${policy.name}: missing`);
      continue;
    }
    if (!documentsEqual(actual.defaultDocument, policy.document)) {
      differences.push(
        `policy ${policy.name}: document (default version ${actual.policy.defaultVersionId}) differs from the compiled one`,
      );
    }
    differences.push(...tagDifferences(`policy ${policy.name}`, policy.tags, actual.policy.tags));
  }
  if (actualRole !== undefined) {
    const attached = new Set(actualRole.attached.map((policy) => policy.arn));
    const wanted = new Set(desired.attachedPolicyArns);
    for (const arn of desired.attachedPolicyArns) {
      if (!attached.has(arn)) differences.push(`role ${roleName}: policy ${arn} is not attached`);
    }
    for (const policy of actualRole.attached) {
      if (wanted.has(policy.arn)) continue;
      const owned = snapshot.policies.get(policy.arn);
      if (owned !== undefined && isOwned(owned.policy, guard)) {
        differences.push(`role ${roleName}: grantplane policy ${policy.name} is attached but not declared`);
      } else if (desired.role.managed && policy.arn !== guard.userFlyteRolePolicyArn) {
        // grantplane's own role carries exactly what it compiled; on <UserFlyteRole> others' attachments are not ours.
        const line = `role ${roleName}: policy ${policy.arn} is attached but not compiled`;
        differences.push(line);
        byHand.push({ difference: line, why: 'foreign-attachment' });
      }
    }
  }
  const status = missing ? 'missing' : differences.length > 0 ? 'drifted' : 'in-sync';
  return {
    dataPlane: desired.dataPlane,
    scope: desired.scope,
    status,
    differences,
    ...(byHand.length > 0 ? { byHand } : {}),
  };
}

/** The scope an orphan belonged to: from its tags when present, else from grantplane's naming (C1, C2). */
export function scopeOfOrphan(name: string, tags: Record<string, string> | undefined, naming: PlaneNaming): Scope {
  const project = tags?.['grantplane:project'];
  const domain = tags?.['grantplane:domain'];
  if (project !== undefined && domain !== undefined) return { type: 'project-domain', project, domain };
  if (tags?.['grantplane:scope'] === 'global' || /^grantplane-global-\d+$/.test(name)) return { type: 'global' };
  const stem = name.replace(/^grantplane-/, '').replace(/-\d+$/, '');
  const rest = stem.startsWith(`${naming.orgPrefix}-`) ? stem.slice(naming.orgPrefix.length + 1) : stem;
  for (const candidate of naming.domains) {
    if (rest.endsWith(`-${candidate}`))
      return { type: 'project-domain', project: rest.slice(0, -candidate.length - 1), domain: candidate };
  }
  return { type: 'project-domain', project: rest, domain: '' };
}

/**
 * Drift of one plane: every desired target compared, plus every grantplane-owned role or policy that
 * nothing declares (`orphaned`), sorted by scope for a stable report.
 */
export function comparePlane(
  desiredTargets: readonly CompiledTarget[],
  snapshot: IamPlaneState,
  guard: PlaneGuard,
  naming: PlaneNaming,
): DriftTarget[] {
  const out = desiredTargets.map((target) => compareTarget(target, snapshot, guard));
  const desiredRoles = new Set(desiredTargets.map((target) => target.role.name));
  const desiredPolicies = new Set(
    desiredTargets.flatMap((target) => [...target.policies.map((p) => p.arn), ...target.attachedPolicyArns]),
  );
  const orphans = new Map<string, DriftTarget>();
  const addOrphan = (scope: Scope, difference: string): void => {
    const key = scopeKey(scope);
    const entry = orphans.get(key) ?? {
      dataPlane: naming.name,
      scope,
      status: 'orphaned' as const,
      differences: [],
    };
    entry.differences.push(difference);
    orphans.set(key, entry);
  };
  for (const { role } of snapshot.roles.values()) {
    if (desiredRoles.has(role.name) || !isOwned(role, guard)) continue;
    addOrphan(scopeOfOrphan(role.name, role.tags, naming), `role ${role.name}: grantplane-managed but not declared`);
  }
  for (const { policy } of snapshot.policies.values()) {
    if (desiredPolicies.has(policy.arn) || !isOwned(policy, guard) || !isManagedPathArn(policy.arn, guard)) continue;
    addOrphan(
      scopeOfOrphan(policy.name, policy.tags, naming),
      `policy ${policy.name}: grantplane-managed but not declared`,
    );
  }
  // An orphan in the scope of a desired target (a pair's extra policy) is that target's drift.
  for (const orphan of orphans.values()) {
    const owner = out.find((target) => scopeKey(target.scope) === scopeKey(orphan.scope));
    if (owner === undefined) {
      out.push(orphan);
      continue;
    }
    owner.differences.push(...orphan.differences);
    owner.byHand = [
      ...(owner.byHand ?? []),
      ...orphan.differences.map((difference) => ({ difference, why: 'stray-policy' as const })),
    ];
    if (owner.status === 'in-sync') owner.status = 'drifted';
  }
  return out.sort((a, b) => scopeKey(a.scope).localeCompare(scopeKey(b.scope)));
}
