// Parsing at the HTTP boundary: query strings, path parameters and small bodies go
// through zod, and a wrong value is a 400 naming the parameter — never a cast, never a 500.
import * as z from '../../lib/domain/zod.js';
import { BadRequestError } from '../../lib/domain/errors.js';
import { GRANT_STATUSES } from '../../lib/domain/records.js';

const STATUSES = GRANT_STATUSES;

/** Parses `value` with `schema`; issues become a BadRequestError with paths under `where` (`query`, `body`). */
export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new BadRequestError(
    result.error.issues
      .map((issue) => {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
        return keys.map((key) => ({
          path: [where, ...issue.path.map(String), ...(key === undefined ? [] : [key])].join('.'),
          code: issue.code === 'unrecognized_keys' ? 'request.unknown-field' : 'request.invalid',
          message: issue.code === 'unrecognized_keys' ? 'unknown field; remove it' : issue.message,
        }));
      })
      .flat(),
  );
}

/** `limit` (1–100, default 50) and `cursor` of every list route (docs/api.md). */
export const pageQuery = {
  limit: z._default(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d+$/, 'limit must be a whole number from 1 to 100')), z.transform(Number)),
      z.int().check(z.gte(1, 'limit must be at least 1'), z.lte(100, 'limit must be at most 100')),
    ),
    50,
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
};

export const grantStatusSchema = z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` });

/** The optional `{comment}` body of approve and reject. */
export const decisionBodySchema = z.optional(
  z.strictObject({ comment: z.optional(z.string().check(z.maxLength(2000))) }),
);
