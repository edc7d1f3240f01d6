// The blast-radius guard (A6): one change that would take access away from more than half of a
// plane's targets, and from more than two, is held for an admin instead of applied. "Access" is
// what a target's own policies allow, statement by statement, action by resource: a pair's role
// that keeps all of it loses nothing, whatever else changes (a new grant, a re-packed policy, a
// uctl attribute). The plane's global policies are the global target's access, counted once there,
// not once per pair that attaches them.
import { canonicalJson, sha256Hex } from '../compile/hash.js';
import type { CompiledTarget, PolicyStatement } from '../model.js';

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

/** The access a target's own policies allow (empty for nothing desired). */
export function accessOf(target: CompiledTarget | null): Set<string> {
  const entries = new Set<string>();
  for (const policy of target?.policies ?? []) {
    for (const statement of policy.document.Statement) for (const entry of entriesOf(statement)) entries.add(entry);
  }
  return entries;
}

/** Hash of a proposed desired state, so a release applies exactly the change that was held. */
export const proposalHash = (target: CompiledTarget | null): string => sha256Hex(canonicalJson(target));

/** A6's threshold: more than half of the targets with access, and more than two. */
export const tripsBlastRadius = (losing: number, withAccess: number): boolean => losing * 2 > withAccess && losing > 2;

/**
 * What a change from `before` to `after` (desired state by target key; a key missing from `after`
 * is unchanged, null means nothing desired) takes away. Losses listed in `released` with the same
 * proposed hash were released by an admin: they are not counted and never trip the guard again.
 */
export function blastRadius(
  before: ReadonlyMap<string, CompiledTarget | null>,
  after: ReadonlyMap<string, CompiledTarget | null>,
  released: ReadonlyMap<string, string> = new Map(),
): BlastRadius {
  let withAccess = 0;
  const losses: AccessLoss[] = [];
  for (const [key, current] of [...before].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const had = accessOf(current);
    if (had.size === 0) continue;
    withAccess += 1;
    if (!after.has(key)) continue;
    const proposed = after.get(key) ?? null;
    const keeps = accessOf(proposed);
    const removed = [...had].filter((entry) => !keeps.has(entry)).sort();
    if (removed.length === 0) continue;
    const proposedHash = proposalHash(proposed);
    if (released.get(key) === proposedHash) continue;
    losses.push({
      targetKey: key,
      removedCount: removed.length,
      removed: removed.slice(0, SHOWN_PER_TARGET),
      proposedHash,
    });
  }
  return { withAccess, losses, trips: tripsBlastRadius(losses.length, withAccess) };
}
