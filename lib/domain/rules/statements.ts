import type { ConditionBlock } from '../model.js';
import { normStatement, type NormStatement } from '../compile/statements.js';
import type { RuleViolation } from '../model.js';
import { checkPolicyStatements } from './guardrails.js';
import { violation } from './codes.js';
import { globMatches } from './s3.js';

// `iam-statements` (DESIGN §3, the escape hatch): every statement must pass R7 (guardrails.ts,
// which also checks the statement's structure); what passes is normalised for C3.

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

// IAM compares condition values as strings ("Bool": {"aws:SecureTransport": true} ≡ "true").
function conditionOf(value: unknown): ConditionBlock | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: ConditionBlock = {};
  for (const [operator, block] of Object.entries(value)) {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) continue;
    const keys: Record<string, string | string[]> = {};
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      keys[key] = Array.isArray(raw) ? raw.map((entry) => String(entry)) : String(raw);
    }
    out[operator] = keys;
  }
  return out;
}

/** Whether some string matches both `*`/`?` globs (memoised walk over both patterns). */
export function globsIntersect(a: string, b: string): boolean {
  const seen = new Map<number, boolean>();
  const walk = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = seen.get(key);
    if (known !== undefined) return known;
    let result = false;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === '*') result = walk(i + 1, j) || (j < b.length && walk(i, j + 1));
    else if (j < b.length && b[j] === '*') result = walk(i, j + 1) || (i < a.length && walk(i + 1, j));
    else if (i < a.length && j < b.length)
      result = (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && walk(i + 1, j + 1);
    seen.set(key, result);
    return result;
  };
  return walk(0, 0);
}

/**
 * R4 through the escape hatch: a Resource that names one of Union's internal buckets
 * (`arn:<partition>:s3:::<bucket>` or `…:<bucket>/<key>`), or a bucket pattern that starts with a
 * literal and can match one (`union-*`, `op*`), is refused as the `s3` type refuses it. A bucket
 * part that starts with a wildcard (`*`, `*-data`) spans everyone's buckets and is R7's to judge
 * (writes on every bucket are refused there), since reads across buckets are legitimate.
 */
function internalBuckets(statements: readonly unknown[], internalBucketPatterns: readonly string[]): RuleViolation[] {
  const errors: RuleViolation[] = [];
  statements.forEach((raw, index) => {
    const resource = (raw as Record<string, unknown>)['Resource'];
    const list = typeof resource === 'string' ? [resource] : stringList(resource);
    list.forEach((arn, position) => {
      const bucket = /^arn:[a-z-]+:s3:::([^/]+)(?:\/.*)?$/.exec(arn)?.[1];
      if (bucket === undefined || /^[*?$]/.test(bucket) || bucket.includes('${')) return;
      const wildcard = /[*?]/.test(bucket);
      const pattern = internalBucketPatterns.find((candidate) =>
        wildcard ? globsIntersect(candidate, bucket) : globMatches(candidate, bucket),
      );
      if (pattern === undefined) return;
      const path =
        typeof resource === 'string'
          ? `resource.statements[${index}].Resource`
          : `resource.statements[${index}].Resource[${position}]`;
      const what = wildcard ? `"${bucket}" can match "${pattern}",` : `"${bucket}" matches "${pattern}",`;
      errors.push(
        violation(
          path,
          's3.internal-bucket',
          `${what} a Union.ai internal bucket (metadata / fast registration): grant access to your own bucket instead.`,
        ),
      );
    });
  });
  return errors;
}

/** R7 (and R4's internal buckets) on custom statements; normalised statements when they pass. */
export function checkCustomStatements(
  statements: readonly unknown[],
  internalBucketPatterns: readonly string[] = [],
): { statements: NormStatement[] } | { errors: RuleViolation[] } {
  const errors = checkPolicyStatements([...statements], 'resource.statements');
  if (errors.length > 0) return { errors };
  const internal = internalBuckets(statements, internalBucketPatterns);
  if (internal.length > 0) return { errors: internal };
  const normalised = statements.map((raw) => {
    const statement = raw as Record<string, unknown>;
    return normStatement(
      stringList(statement['Action']),
      stringList(statement['Resource']),
      conditionOf(statement['Condition']),
    );
  });
  return { statements: normalised };
}
