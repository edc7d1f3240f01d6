import type * as z from 'zod';
import { formatPath } from '../config.js';
import { grantRequestSchema, type GrantRequest } from '../grant.js';
import type { RuleViolation } from '../model.js';
import { violation } from './codes.js';

// DESIGN §3: the request's structure. Every zod issue becomes `request.invalid` on the field's path.

function toViolations(error: z.ZodError): RuleViolation[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const path = formatPath([...issue.path, issue.keys[0] ?? '?']);
      return violation(path, 'request.invalid', `Unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}: remove it or check its spelling.`);
    }
    const path = issue.path.length === 0 ? 'request' : formatPath(issue.path);
    const hint = issue.path.length === 0 ? ' A grant request is a JSON object with scope and resource (DESIGN §3).' : '';
    return violation(path, 'request.invalid', `${issue.message}.${hint}`);
  });
}

/** Parses a raw grant request; structural problems are `request.invalid` violations. */
export function parseGrantRequest(raw: unknown): { request: GrantRequest } | { errors: RuleViolation[] } {
  const result = grantRequestSchema.safeParse(raw);
  if (result.success) return { request: result.data };
  return { errors: toViolations(result.error) };
}
