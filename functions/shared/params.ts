// Parsing at the HTTP boundary: query strings, path parameters and small bodies go
// through zod, and a wrong value is a 400 naming the parameter — never a cast, never a 500.
import * as z from 'zod';
import { BadRequestError } from '../../lib/domain/errors.js';
import { GRANT_STATUSES } from '../../lib/domain/records.js';

const STATUSES = GRANT_STATUSES;

/** Parses `value` with `schema`; issues become a BadRequestError with paths under `where` (`query`, `body`). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
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
  limit: z
    .string()
    .regex(/^\d+$/, 'limit must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'limit must be at least 1').max(100, 'limit must be at most 100'))
    .default(50),
  cursor: z.string().min(1).max(2048).optional(),
};

export const grantStatusSchema = z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` });

/** The optional `{comment}` body of approve and reject. */
export const decisionBodySchema = z
  .object({ comment: z.string().max(2000).optional() })
  .strict()
  .optional();
