// Opaque cursors of listings ordered by a string key (targets, held changes, infrastructure
// updates): the last key of the previous page.
import { BadRequestError } from '../domain/errors.js';

export const encodeCursor = (key: string): string => Buffer.from(JSON.stringify({ after: key })).toString('base64url');
export const decodeCursor = (cursor: string): string => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed && typeof parsed.after === 'string')
      return parsed.after;
  } catch {
    // Not base64url JSON: reported below like any other cursor this listing did not return.
  }
  throw new BadRequestError([
    {
      path: 'cursor',
      code: 'cursor.invalid',
      message: 'The cursor is not one this listing returned: start again without it',
    },
  ]);
};
