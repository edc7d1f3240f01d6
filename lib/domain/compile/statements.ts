import type { AwsDataPlaneConfig } from '../config.js';
import type { ConditionBlock, PolicyStatement } from '../model.js';
import { s3Arn } from './arns.js';

// What each resource type grants (docs/rules.md table), as normalised statements: sorted unique
// actions and resources, a canonical condition. Normalised statements are what C3 merges and packs.

export interface NormStatement {
  actions: string[];
  resources: string[];
  condition?: ConditionBlock;
}

/** Sorted, de-duplicated copy (plain code-unit order: locale independent). */
export function sortedUnique(values: Iterable<string>): string[] {
  if (Array.isArray(values) && values.length <= 1) return [...(values as string[])];
  return [...new Set(values)].sort(compareStrings);
}

/** Code-unit string comparison, the one order used for everything grantplane sorts. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A condition block with operators and keys sorted and multi-values sorted and de-duplicated. */
export function canonicalCondition(condition: ConditionBlock): ConditionBlock {
  const out: ConditionBlock = {};
  for (const operator of Object.keys(condition).sort(compareStrings)) {
    const keys = condition[operator] ?? {};
    const block: Record<string, string | string[]> = {};
    for (const key of Object.keys(keys).sort(compareStrings)) {
      const value = keys[key] ?? [];
      block[key] = typeof value === 'string' ? value : sortedUnique(value);
    }
    out[operator] = block;
  }
  return out;
}

/** Builds a normalised statement; `Resource: [..., "*", ...]` means `*` alone. */
export function normStatement(
  actions: Iterable<string>,
  resources: Iterable<string>,
  condition?: ConditionBlock,
): NormStatement {
  const resourceList = sortedUnique(resources);
  const statement: NormStatement = {
    actions: sortedUnique(actions),
    resources: resourceList.includes('*') ? ['*'] : resourceList,
  };
  if (condition !== undefined && Object.keys(condition).length > 0) statement.condition = canonicalCondition(condition);
  return statement;
}

/** A normalised statement as written in a compiled document (arrays always, no Sid). */
export function toPolicyStatement(statement: NormStatement): PolicyStatement {
  const out: PolicyStatement = { Effect: 'Allow', Action: statement.actions, Resource: statement.resources };
  if (statement.condition !== undefined) out.Condition = statement.condition;
  return out;
}

// A statement's JSON is needed to sort, size and hash it: computed once per statement object
// (normalised statements are never mutated after they are built).
const jsonCache = new WeakMap<NormStatement, string>();

/** `JSON.stringify(toPolicyStatement(statement))`, memoised. */
export function statementJson(statement: NormStatement): string {
  let json = jsonCache.get(statement);
  if (json === undefined) {
    json = JSON.stringify(toPolicyStatement(statement));
    jsonCache.set(statement, json);
  }
  return json;
}

/** docs/rules.md `s3`: ListBucket on the bucket (prefix-conditioned), GetObject (+ PutObject) on its objects. */
export function s3Statements(
  plane: AwsDataPlaneConfig,
  bucket: string,
  prefix: string | undefined,
  access: 'read' | 'read-write',
): NormStatement[] {
  const objectActions = access === 'read-write' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'];
  const list =
    prefix === undefined
      ? normStatement(['s3:ListBucket'], [s3Arn(plane, bucket)])
      : normStatement(['s3:ListBucket'], [s3Arn(plane, bucket)], { StringLike: { 's3:prefix': [`${prefix}*`] } });
  return [list, normStatement(objectActions, [s3Arn(plane, bucket, `${prefix ?? ''}*`)])];
}

/** docs/rules.md `secretsmanager`: GetSecretValue on the secret (or pattern). */
export function secretStatements(resource: string): NormStatement[] {
  return [normStatement(['secretsmanager:GetSecretValue'], [resource])];
}
