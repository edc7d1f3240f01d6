import type { AwsDataPlaneConfig } from '../config.js';
import { partitionOf } from '../compile/arns.js';
import type { ConditionBlock } from '../model.js';
import { normStatement, type NormStatement } from '../compile/statements.js';
import type { RuleViolation } from '../model.js';
import { checkPolicyStatements } from './guardrails.js';
import { violation } from './codes.js';

// `iam-statements` (docs/rules.md, the escape hatch): every statement must pass R7 (guardrails.ts,
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

/** The services a statement's actions can name (lower case; `*` for an action without a service). */
const actionServices = (statement: Record<string, unknown>): string[] =>
  stringList(statement['Action']).map((action) =>
    (action.includes(':') ? (action.split(':')[0] ?? '') : '*').toLowerCase(),
  );

/** Whether some action of the statement can be one of `service`'s (`s3:GetObject`, `s3:*`, `*`, `s?:Get*`). */
const reachesService = (statement: Record<string, unknown>, service: string): boolean =>
  actionServices(statement).some((candidate) => globsIntersect(candidate, service));

/** A policy variable matches whatever it resolves to: as open as `*` for what it could reach. */
const asGlob = (resource: string): string => resource.replace(/\$\{[^}]*\}/g, '*');

interface ResourceEntry {
  statement: Record<string, unknown>;
  value: string;
  path: string;
}

const resourceEntries = (statements: readonly unknown[]): ResourceEntry[] =>
  statements.flatMap((raw, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return []; // R7 reports its shape
    const statement = raw as Record<string, unknown>;
    const resource = statement['Resource'];
    if (typeof resource === 'string')
      return [{ statement, value: resource, path: `resource.statements[${index}].Resource` }];
    return stringList(resource).map((value, position) => ({
      statement,
      value,
      path: `resource.statements[${index}].Resource[${position}]`,
    }));
  });

/**
 * R4 through the escape hatch, whatever the action (reads too): a Resource of a statement that can
 * act on S3 is refused when some object or bucket could match both it and one of Union's internal
 * bucket patterns — two globs that intersect (`?nion-*`, `*pta-*`, `*`, `arn:aws:s3:::*` all reach
 * `union-*` / `opta-*`), not a look at the first character.
 */
function internalBuckets(entries: readonly ResourceEntry[], plane: AwsDataPlaneConfig): RuleViolation[] {
  const partition = partitionOf(plane.region);
  const errors: RuleViolation[] = [];
  for (const entry of entries) {
    if (!reachesService(entry.statement, 's3')) continue;
    const resource = asGlob(entry.value);
    const pattern = plane.internalBucketPatterns.find(
      (candidate) =>
        globsIntersect(resource, `arn:${partition}:s3:::${candidate}`) ||
        globsIntersect(resource, `arn:${partition}:s3:::${candidate}/*`),
    );
    if (pattern === undefined) continue;
    const literal = !/[*?]/.test(resource);
    errors.push(
      violation(
        entry.path,
        's3.internal-bucket',
        `${JSON.stringify(entry.value)} ${literal ? 'names' : 'can match'} a bucket matching "${pattern}", a Union.ai internal bucket (metadata / fast registration): name your own buckets instead (a pattern must not be able to reach "${pattern}").`,
      ),
    );
  }
  return errors;
}

/**
 * R5 through the escape hatch: a Resource of a statement that can act on Secrets Manager must be
 * a secret of the plane's region and account, named by at least one literal character before its
 * first wildcard (`…:secret:team-a/*`); `*`, a wildcard service, region or account, or `…:secret:*`
 * reach secrets of other regions, accounts or teams.
 */
function secretResources(entries: readonly ResourceEntry[], plane: AwsDataPlaneConfig): RuleViolation[] {
  const errors: RuleViolation[] = [];
  for (const entry of entries) {
    if (!reachesService(entry.statement, 'secretsmanager')) continue;
    const resource = asGlob(entry.value);
    const parts = resource.split(':');
    if (parts[0] !== 'arn' || parts.length < 6) {
      if (/[*?]/.test(resource))
        errors.push(
          violation(
            entry.path,
            'secret.too-broad',
            `${JSON.stringify(entry.value)} reaches every secret: name secrets of the plane as arn:${partitionOf(plane.region)}:secretsmanager:${plane.region}:${plane.accountId}:secret:<name prefix>*.`,
          ),
        );
      continue;
    }
    const [, , service = '', region = '', account = '', kind = ''] = parts;
    if (!globsIntersect(service.toLowerCase(), 'secretsmanager')) continue;
    const name = parts.slice(6).join(':');
    if (/[*?]/.test(service) || /[*?]/.test(kind) || name === '' || /^[*?]/.test(name)) {
      errors.push(
        violation(
          entry.path,
          'secret.too-broad',
          `${JSON.stringify(entry.value)} can reach every secret of the account: a pattern names at least the start of the secret's name (…:secret:team-a/*).`,
        ),
      );
    }
    if (region !== plane.region) {
      errors.push(
        violation(
          entry.path,
          'secret.wrong-region',
          `Secrets must be defined within the same region as the data plane: ${JSON.stringify(entry.value)} names region "${region}", plane "${plane.name}" is in ${plane.region}.`,
        ),
      );
    }
    if (account !== plane.accountId) {
      errors.push(
        violation(
          entry.path,
          'secret.wrong-account',
          `${JSON.stringify(entry.value)} names account "${account}", plane "${plane.name}" is in ${plane.accountId}: name secrets of the plane's account.`,
        ),
      );
    }
  }
  return errors;
}

/** R7, R4's internal buckets and R5 on custom statements; normalised statements when they pass. */
export function checkCustomStatements(
  statements: readonly unknown[],
  plane: AwsDataPlaneConfig,
): { statements: NormStatement[] } | { errors: RuleViolation[] } {
  const entries = resourceEntries(statements);
  const errors = [
    ...checkPolicyStatements([...statements], 'resource.statements'),
    ...internalBuckets(entries, plane),
    ...secretResources(entries, plane),
  ];
  if (errors.length > 0) return { errors };
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
