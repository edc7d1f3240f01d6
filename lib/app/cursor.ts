// Opaque cursors of listings ordered by a string key (targets, held changes, infrastructure
// updates): the last key of the previous page.
import { BadRequestError } from '../domain/errors.js';

export const encodeCursor = (key: string): string => Buffer.from(JSON.stringify({ after: key })).toString('base64url');

/** The answer to a cursor this listing did not return (400 cursor.invalid). */
export const invalidCursor = (): BadRequestError =>
  new BadRequestError([
    {
      path: 'cursor',
      code: 'cursor.invalid',
      message: 'The cursor is not one this listing returned: start again without it',
    },
  ]);

export const decodeCursor = (cursor: string): string => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed && typeof parsed.after === 'string')
      return parsed.after;
  } catch {
    // Not base64url JSON: reported below like any other cursor this listing did not return.
  }
  throw invalidCursor();
};

/**
 * One page of `items` ordered by their key: those after the cursor's key, at most `limit` (checked
 * by the caller), and the cursor of the next page when more remain.
 */
export const pageByKey = <T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  cursor: string | undefined,
): { items: T[]; nextCursor?: string } => {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const rest = items
    .filter((item) => after === undefined || keyOf(item) > after)
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return rest.length > limit && last !== undefined
    ? { items: page, nextCursor: encodeCursor(keyOf(last)) }
    : { items: page };
};
