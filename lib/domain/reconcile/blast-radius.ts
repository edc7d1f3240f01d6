// The blast-radius guard (A6): one change that would take access away from more than half of a
// plane's targets, and from more than two, is held for an admin instead of applied. "Access" is
// what a target's own policies allow, statement by statement, action by resource: a pair's role
// that keeps all of it loses nothing, whatever else changes (a new grant, a re-packed policy, a
// uctl attribute). The plane's global policies are the global target's access, counted once there,
// not once per pair that attaches them.
import { canonicalJson, sha256Hex } from '../compile/hash.js';
import type { CompiledTarget, PolicyDocument, PolicyStatement } from '../model.js';
import type { IamPlaneState } from './drift.js';
import { isOwned, type PlaneGuard } from './diff.js';

/** One target whose access a change would reduce. */
export interface AccessLoss {
  targetKey: string;
  /** Action × resource (× condition) entries the change takes away. */
  removedCount: number;
  /** The first few of them, as `<action> on <resource>` (and ` if <condition>`). */
  removed: string[];
  /** Hash of the desired state the change proposes for the target (null: nothing desired). */
  proposedHash: string;
}

export interface BlastRadius {
  /** Targets of the plane that hold access before the change. */
  withAccess: number;
  /** Targets the change would take access from, in target-key order. */
  losses: AccessLoss[];
  /** More than half of `withAccess`, and more than two: the change is held. */
  trips: boolean;
}

const SHOWN_PER_TARGET = 10;

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every action × resource × condition entry a statement allows (actions as IAM compares them). */
const entriesOf = (statement: PolicyStatement): string[] => {
  if (statement.Effect !== 'Allow') return [];
  const condition = statement.Condition === undefined ? '' : ` if ${canonicalJson(statement.Condition)}`;
  return list(statement.Action).flatMap((action) =>
    list(statement.Resource).map((resource) => `${action.toLowerCase()} on ${resource}${condition}`),
  );
};

/** The access these policy documents allow, action by resource. */
export function accessOfDocuments(documents: readonly PolicyDocument[]): Set<string> {
  const entries = new Set<string>();
  for (const document of documents) {
    for (const statement of document.Statement) for (const entry of entriesOf(statement)) entries.add(entry);
  }
  return entries;
}

/** The access a target's own policies allow (empty for nothing desired). */
export const accessOf = (target: CompiledTarget | null): Set<string> =>
  accessOfDocuments(target?.policies.map((policy) => policy.document) ?? []);

/** Hash of a proposed desired state, so a release applies exactly the change that was held. */
export const proposalHash = (target: CompiledTarget | null): string => sha256Hex(canonicalJson(target));

/** A6's threshold: more than half of the targets with access, and more than two. */
export const tripsBlastRadius = (losing: number, withAccess: number): boolean => losing * 2 > withAccess && losing > 2;

/** What a change takes from each target: its access before, and after (absent: unchanged). */
export interface AccessChange {
  targetKey: string;
  before: ReadonlySet<string>;
  /** Undefined: the change leaves the target as it is. */
  after?: ReadonlySet<string>;
  /** Identifies the proposed state, for a release; default ''. */
  proposedHash?: string;
}

/**
 * The blast radius of a change, target by target. Losses listed in `released` with the same
 * proposed hash were released by an admin: they are not counted and never trip the guard again.
 */
export function blastRadiusOf(
  changes: readonly AccessChange[],
  released: ReadonlyMap<string, string> = new Map(),
): BlastRadius {
  let withAccess = 0;
  const losses: AccessLoss[] = [];
  for (const change of [...changes].sort((a, b) =>
    a.targetKey < b.targetKey ? -1 : a.targetKey > b.targetKey ? 1 : 0,
  )) {
    if (change.before.size === 0) continue;
    withAccess += 1;
    if (change.after === undefined) continue;
    const keeps = change.after;
    const removed = [...change.before].filter((entry) => !keeps.has(entry)).sort();
    if (removed.length === 0) continue;
    const proposedHash = change.proposedHash ?? '';
    if (released.get(change.targetKey) === proposedHash) continue;
    losses.push({
      targetKey: change.targetKey,
      removedCount: removed.length,
      removed: removed.slice(0, SHOWN_PER_TARGET),
      proposedHash,
    });
  }
  return { withAccess, losses, trips: tripsBlastRadius(losses.length, withAccess) };
}

/**
 * What a change from `before` to `after` (desired state by target key; a key missing from `after`
 * is unchanged, null means nothing desired) takes away; see blastRadiusOf.
 */
export function blastRadius(
  before: ReadonlyMap<string, CompiledTarget | null>,
  after: ReadonlyMap<string, CompiledTarget | null>,
  released: ReadonlyMap<string, string> = new Map(),
): BlastRadius {
  const changes: AccessChange[] = [...before].map(([targetKey, current]) => {
    if (!after.has(targetKey)) return { targetKey, before: accessOf(current) };
    const proposed = after.get(targetKey) ?? null;
    return { targetKey, before: accessOf(current), after: accessOf(proposed), proposedHash: proposalHash(proposed) };
  });
  return blastRadiusOf(changes, released);
}

const isDocument = (value: unknown): value is PolicyDocument =>
  typeof value === 'object' && value !== null && Array.isArray((value as { Statement?: unknown }).Statement);

/**
 * The access change of a stateless apply (`grantplane apply`): per target, what grantplane's own
 * policies allow in IAM now (global: those attached to <UserFlyteRole>; a pair's role: those
 * attached to it, the global ones left out) against what the declared targets allow. A role that
 * nothing declares any more goes to no access.
 */
export function planeAccessChanges(
  state: IamPlaneState,
  desired: readonly CompiledTarget[],
  guard: PlaneGuard,
): AccessChange[] {
  const documentsOf = (arns: readonly string[]): PolicyDocument[] =>
    arns.flatMap((arn) => {
      const entry = state.policies.get(arn);
      return entry !== undefined && isOwned(entry.policy, guard) && isDocument(entry.defaultDocument)
        ? [entry.defaultDocument]
        : [];
    });
  const globalTarget = desired.find((target) => target.scope.type === 'global') ?? null;
  const onUserFlyteRole = state.roles.get(guard.userFlyteRoleName)?.attached.map((policy) => policy.arn) ?? [];
  const globalArns = new Set([...onUserFlyteRole, ...(globalTarget?.policies.map((policy) => policy.arn) ?? [])]);
  const changes: AccessChange[] = [
    {
      targetKey: guard.userFlyteRoleName,
      before: accessOfDocuments(documentsOf(onUserFlyteRole)),
      after: accessOf(globalTarget),
    },
  ];
  const byRole = new Map(desired.filter((target) => target.role.managed).map((target) => [target.role.name, target]));
  for (const { role, attached } of state.roles.values()) {
    if (!role.path.startsWith(guard.managedPath)) continue;
    const own = attached.map((policy) => policy.arn).filter((arn) => !globalArns.has(arn));
    changes.push({
      targetKey: role.name,
      before: accessOfDocuments(documentsOf(own)),
      after: accessOf(byRole.get(role.name) ?? null),
    });
  }
  return changes;
}
