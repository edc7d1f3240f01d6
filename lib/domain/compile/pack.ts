import { compareStrings, statementJson, type NormStatement } from './statements.js';

// C3 packing: a managed policy holds at most 6,144 characters not counting white space, and a
// role at most `maxPoliciesPerRole` attached policies. Statements too big for one policy are
// split (by resources, then by actions if needed: both are unions), then placed
// first-fit-decreasing — within a few percent of the optimum for statements this small.

export const MAX_MANAGED_POLICY_CHARS = 6144;

const EMPTY_DOCUMENT = JSON.stringify({ Version: '2012-10-17', Statement: [] });
// Each statement costs its size plus one comma; the first one's comma is free.
const STATEMENT_CAPACITY = MAX_MANAGED_POLICY_CHARS - EMPTY_DOCUMENT.length + 1;

/** Characters IAM counts: everything but white space. */
export function iamSize(json: string): number {
  return /\s/.test(json) ? json.replace(/\s/g, '').length : json.length;
}

interface Piece {
  statement: NormStatement;
  size: number;
  json: string;
}

function pieceOf(statement: NormStatement): Piece {
  const json = statementJson(statement);
  return { statement, size: iamSize(json) + 1, json };
}

/** Greedy chunks of `items` such that `base + Σ(size(item) + 1) - 1 + 1 <= capacity`. */
function chunk(items: readonly string[], base: number): string[][] | null {
  const chunks: string[][] = [];
  let current: string[] = [];
  let used = base;
  for (const item of items) {
    const cost = iamSize(JSON.stringify(item)) + (current.length === 0 ? 0 : 1);
    if (used + cost <= STATEMENT_CAPACITY) {
      current.push(item);
      used += cost;
      continue;
    }
    if (current.length === 0) return null;
    chunks.push(current);
    current = [item];
    used = base + iamSize(JSON.stringify(item));
    if (used > STATEMENT_CAPACITY) return null;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Splits a statement into pieces that each fit an empty policy; null when even one action on one resource cannot. */
export function splitStatement(statement: NormStatement): Piece[] | null {
  const whole = pieceOf(statement);
  if (whole.size <= STATEMENT_CAPACITY) return [whole];
  const longestResource = statement.resources.reduce(
    (longest, resource) => (resource.length > longest.length ? resource : longest),
    '',
  );
  const withOneResource = (actions: string[]): number =>
    pieceOf({ ...statement, actions, resources: [longestResource] }).size;
  // Base size of an action chunk: the statement with no actions and the longest resource.
  const actionChunks =
    withOneResource(statement.actions) <= STATEMENT_CAPACITY
      ? [statement.actions]
      : chunk(statement.actions, withOneResource([]));
  if (actionChunks === null) return null;
  const pieces: Piece[] = [];
  for (const actions of actionChunks) {
    const base = pieceOf({ ...statement, actions, resources: [] }).size;
    const resourceChunks = chunk(statement.resources, base);
    if (resourceChunks === null) return null;
    for (const resources of resourceChunks) pieces.push(pieceOf({ ...statement, actions, resources }));
  }
  return pieces;
}

// JSON writes a string in at most 6 characters per character (\u00XX) plus its quotes; the rest of
// a statement's syntax is well under 100 characters.
function surelySmall(statement: NormStatement): boolean {
  let bound = 100;
  for (const action of statement.actions) bound += 6 * action.length + 3;
  for (const resource of statement.resources) bound += 6 * resource.length + 3;
  if (statement.condition !== undefined) bound += JSON.stringify(statement.condition).length;
  return bound <= STATEMENT_CAPACITY;
}

/** Whether every statement of a grant can be placed in some policy at all. */
export function fitsOnePolicy(statements: readonly NormStatement[]): boolean {
  return statements.every((statement) => surelySmall(statement) || splitStatement(statement) !== null);
}

/** The head of `piece` holding as many resources as fit in `free` characters, and the rest; null when not even one fits. */
function splitToFit(piece: Piece, free: number): [Piece, Piece] | null {
  const { statement } = piece;
  if (statement.resources.length < 2) return null;
  let used = pieceOf({ ...statement, resources: [] }).size;
  let count = 0;
  for (const resource of statement.resources) {
    const cost = iamSize(JSON.stringify(resource)) + (count === 0 ? 0 : 1);
    if (used + cost > free || count === statement.resources.length - 1) break;
    used += cost;
    count += 1;
  }
  if (count === 0) return null;
  return [
    pieceOf({ ...statement, resources: statement.resources.slice(0, count) }),
    pieceOf({ ...statement, resources: statement.resources.slice(count) }),
  ];
}

type Bin = { free: number; pieces: Piece[] };

/** First-fit decreasing into at most `limit` bins; with `split`, a piece that fits nowhere once `limit` bins are open is split across their free space. */
function place(pieces: readonly Piece[], limit: number, split: boolean): Bin[] | null {
  const bins: Bin[] = [];
  const queue = [...pieces];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const piece = next;
    const bin = bins.find((candidate) => candidate.free >= piece.size);
    if (bin !== undefined) {
      bin.pieces.push(piece);
      bin.free -= piece.size;
      continue;
    }
    if (bins.length < limit) {
      bins.push({ free: STATEMENT_CAPACITY - piece.size, pieces: [piece] });
      continue;
    }
    if (!split) return null;
    const roomiest = bins.reduce<Bin | undefined>(
      (best, candidate) => (best === undefined || candidate.free > best.free ? candidate : best),
      undefined,
    );
    const parts = roomiest === undefined ? null : splitToFit(piece, roomiest.free);
    if (roomiest === undefined || parts === null) return null;
    roomiest.pieces.push(parts[0]);
    roomiest.free -= parts[0].size;
    queue.unshift(parts[1]);
  }
  return bins;
}

/**
 * Packs merged statements into at most `maxPolicies` policies (each a sorted statement list), or
 * null when they need more. First-fit decreasing; when that needs more policies than the size
 * lower bound, statements are also split across the policies' free space, which closes the gap
 * for large statements. Policies are ordered by their first statement.
 */
export function packStatements(statements: readonly NormStatement[], maxPolicies: number): NormStatement[][] | null {
  const pieces: Piece[] = [];
  for (const statement of statements) {
    const split = splitStatement(statement);
    if (split === null) return null;
    pieces.push(...split);
  }
  pieces.sort((a, b) => b.size - a.size || compareStrings(a.json, b.json));
  let bins = place(pieces, maxPolicies, false);
  const total = pieces.reduce((sum, piece) => sum + piece.size, 0);
  const lowerBound = Math.ceil(total / STATEMENT_CAPACITY);
  const ceiling = Math.min(bins === null ? maxPolicies : bins.length - 1, maxPolicies);
  for (let limit = lowerBound; limit <= ceiling; limit += 1) {
    const tighter = place(pieces, limit, true);
    if (tighter !== null) {
      bins = tighter;
      break;
    }
  }
  if (bins === null) return null;
  const sorted = bins.map((bin) => bin.pieces.sort((a, b) => compareStrings(a.json, b.json)));
  sorted.sort((a, b) => compareStrings(a[0]?.json ?? '', b[0]?.json ?? ''));
  return sorted.map((bin) => bin.map((piece) => piece.statement));
}
