// Documents compared by meaning, never as strings (A1, docs/applier.md): IAM may hand back a document with
// a single string where grantplane wrote an array, statements and actions in another order, keys
// in another order, or action names in another case. All of these mean the same policy.
import type { Tags } from '../model.js';
import { MANAGED_BY_TAG } from '../model.js';

const LIST_KEYS = new Set(['Action', 'NotAction', 'Resource', 'NotResource']);
const CASE_INSENSITIVE_KEYS = new Set(['Action', 'NotAction']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sortedUnique = (values: string[]): string[] => [...new Set(values)].sort();

/** A string or an array of strings as a sorted, de-duplicated array (IAM treats both alike). */
function stringList(value: unknown, lowerCase: boolean): unknown {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'string')) return canonical(value);
  return sortedUnique(list.map((item) => (lowerCase ? item.toLowerCase() : item)));
}

/** Recursively: keys sorted, string arrays sorted and de-duplicated, single strings kept. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    if (items.every((item) => typeof item === 'string')) return sortedUnique(items as string[]);
    return items
      .map((item) => JSON.stringify(item))
      .sort()
      .map((item) => JSON.parse(item) as unknown);
  }
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]);
    return out;
  }
  return value;
}

/** Condition values: `"a"` and `["a"]` mean the same; key order is free. */
function canonicalCondition(value: unknown): unknown {
  if (!isRecord(value)) return canonical(value);
  const out: Record<string, unknown> = {};
  for (const operator of Object.keys(value).sort()) {
    const block = value[operator];
    if (!isRecord(block)) {
      out[operator] = canonical(block);
      continue;
    }
    const keys: Record<string, unknown> = {};
    for (const key of Object.keys(block).sort()) keys[key] = stringList(block[key], false);
    out[operator] = keys;
  }
  return out;
}

/** Principal: `{"AWS": "x"}` and `{"AWS": ["x"]}` are the same; `"*"` stays a string. */
function canonicalPrincipal(value: unknown): unknown {
  if (!isRecord(value)) return canonical(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = stringList(value[key], false);
  return out;
}

function canonicalStatement(statement: unknown): unknown {
  if (!isRecord(statement)) return canonical(statement);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(statement).sort()) {
    const value = statement[key];
    if (LIST_KEYS.has(key)) out[key] = stringList(value, CASE_INSENSITIVE_KEYS.has(key));
    else if (key === 'Condition') out[key] = canonicalCondition(value);
    else if (key === 'Principal' || key === 'NotPrincipal') out[key] = canonicalPrincipal(value);
    else out[key] = canonical(value);
  }
  return out;
}

/**
 * The canonical JSON of an IAM policy document: equal strings ⇔ equal meaning (for the forms
 * grantplane writes). Accepts any parsed JSON, since documents read back from IAM are outside data.
 */
export function canonicalDocument(document: unknown): string {
  if (!isRecord(document)) return JSON.stringify(canonical(document));
  const statements = document['Statement'];
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  const canonicalStatements = list.map((statement) => JSON.stringify(canonicalStatement(statement))).sort();
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(document).sort()) {
    if (key !== 'Statement') rest[key] = canonical(document[key]);
  }
  return JSON.stringify({ ...rest, Statement: [...new Set(canonicalStatements)].map((s) => JSON.parse(s) as unknown) });
}

/** True when two policy documents mean the same (see canonicalDocument). */
export function documentsEqual(a: unknown, b: unknown): boolean {
  return canonicalDocument(a) === canonicalDocument(b);
}

/** Tag keys grantplane owns: it may remove these, never anybody else's tags. */
export const isGrantplaneTagKey = (key: string): boolean => key === MANAGED_BY_TAG || key.startsWith('grantplane:');

/** What to set and what to remove so `actual` carries `desired` (C4); foreign tags are left alone. */
export function diffTags(desired: Tags, actual: Tags | undefined): { set: Tags; remove: string[] } {
  const current = actual ?? {};
  const set: Tags = {};
  for (const [key, value] of Object.entries(desired).sort(([a], [b]) => a.localeCompare(b))) {
    if (current[key] !== value) set[key] = value;
  }
  const remove = Object.keys(current)
    .filter((key) => !(key in desired) && isGrantplaneTagKey(key))
    .sort();
  return { set, remove };
}

/** The path of a policy ARN (`arn:aws:iam::1:policy/a/b/name` → `/a/b/`). */
export function policyArnPath(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}

/** The name of a policy ARN (its last path segment). */
export function policyArnName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
