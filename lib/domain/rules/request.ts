import type * as z from '../zod.js';
import { formatPath, nearestKey } from '../config.js';
import { grantRequestSchema, type GrantRequest } from '../grant.js';
import type { RuleViolation } from '../model.js';
import { violation } from './codes.js';

// docs/rules.md: the request's structure. Every zod issue becomes `request.invalid` on the field's path.

function toViolations(error: z.ZodError): RuleViolation[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const path = formatPath([...issue.path, issue.keys[0] ?? '?']);
      const known = keysAt(grantRequestSchema, issue.path);
      const near = issue.keys.length === 1 ? nearestKey(issue.keys[0] ?? '', known) : undefined;
      return violation(
        path,
        'request.invalid',
        near === undefined
          ? `Unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}: remove it or check its spelling.`
          : `Unknown field "${issue.keys[0] ?? ''}": did you mean "${near}"?`,
      );
    }
    const path = issue.path.length === 0 ? 'request' : formatPath(issue.path);
    const hint =
      issue.path.length === 0 ? ' A grant request is a JSON object with scope and resource (docs/rules.md).' : '';
    return violation(path, 'request.invalid', `${explain(issue, path)}${hint}`);
  });
}

/** The field names an object of `schema` may hold at `path` (every variant of a union), for typo hints. */
function keysAt(schema: z.ZodMiniType, path: readonly PropertyKey[]): string[] {
  const def = (
    schema as unknown as {
      def: {
        type: string;
        options?: z.ZodMiniType[];
        innerType?: z.ZodMiniType;
        shape?: Record<string, z.ZodMiniType>;
      };
    }
  ).def;
  if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable')
    return def.innerType === undefined ? [] : keysAt(def.innerType, path);
  if (def.type === 'union') return [...new Set((def.options ?? []).flatMap((option) => keysAt(option, path)))];
  if (def.type !== 'object') return [];
  const shape = (schema as unknown as { shape: Record<string, z.ZodMiniType> }).shape;
  const [head, ...rest] = path;
  if (head === undefined) return Object.keys(shape);
  const inner = typeof head === 'string' ? shape[head] : undefined;
  return inner === undefined ? [] : keysAt(inner, rest);
}

const KINDS: Readonly<Record<string, string>> = {
  object: 'an object',
  record: 'an object',
  array: 'a list',
  string: 'a string',
};
// What to give for the two fields every request has (docs/rules.md).
const SHAPES: Readonly<Record<string, string>> = {
  scope: '{"type":"global"} or {"type":"project-domain","project":"...","domain":"..."}',
  resource:
    'an object whose "type" is s3, secretsmanager, ecr or iam-statements (AWS planes), gcs, artifact-registry or gcp-secret (GCP), azure-blob, acr or azure-key-vault (Azure)',
};
const quoteAll = (values: readonly unknown[]): string => values.map((value) => JSON.stringify(value)).join(', ');

/**
 * docs/rules.md: a message says what to do. zod's own ("Invalid input: expected string, received
 * undefined") names neither the field nor the fix, so the common issues are said plainly.
 */
function explain(issue: z.ZodIssue, path: string): string {
  const field = path === 'request' ? 'The request' : path;
  switch (issue.code) {
    case 'invalid_type': {
      const kind = SHAPES[path] ?? KINDS[issue.expected] ?? issue.expected;
      if (/received undefined$/.test(issue.message)) return `${field} is required: give ${kind}.`;
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      return `${field} must be ${kind}${received === undefined ? '' : `, not ${received === 'null' ? 'null' : `a ${received}`}`}.`;
    }
    case 'invalid_value':
      return `${field} must be one of ${quoteAll(issue.values)}.`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown }).options;
      if (Array.isArray(options) && options.length > 0) return `${field} must be one of ${quoteAll(options)}.`;
      return `${issue.message}.`;
    }
    case 'too_small':
      if (issue.origin === 'array') {
        return `${field} must list at least ${issue.minimum === 1 ? 'one entry' : `${String(issue.minimum)} entries`}.`;
      }
      if (issue.origin === 'string') return `${field} must not be empty.`;
      return `${issue.message}.`;
    default:
      return `${issue.message}.`;
  }
}

/** Parses a raw grant request; structural problems are `request.invalid` violations. */
export function parseGrantRequest(raw: unknown): { request: GrantRequest } | { errors: RuleViolation[] } {
  const result = grantRequestSchema.safeParse(raw);
  if (result.success) return { request: result.data };
  return { errors: toViolations(result.error) };
}
