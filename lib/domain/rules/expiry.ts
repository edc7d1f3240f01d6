import type { RuleViolation } from '../model.js';
import { violation } from './codes.js';

// R8 time: `expiresAt`, when given, is in the future and within the plane's maxGrantDays.

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** R8: checks `expiresAt` relative to `now`; undefined means the grant does not expire. */
export function checkExpiry(expiresAt: string | undefined, now: Date, maxGrantDays: number): RuleViolation[] {
  if (expiresAt === undefined) return [];
  const at = ISO_DATE_TIME.test(expiresAt) ? Date.parse(expiresAt) : Number.NaN;
  if (Number.isNaN(at)) {
    return [
      violation(
        'expiresAt',
        'expiry.invalid',
        `"${expiresAt}" is not an ISO 8601 date-time with a time zone, such as 2027-01-31T00:00:00Z.`,
      ),
    ];
  }
  const nowMs = now.getTime();
  if (at <= nowMs) {
    return [
      violation(
        'expiresAt',
        'expiry.in-past',
        `expiresAt ${expiresAt} is not in the future: give a later time, or leave it out for a grant that does not expire.`,
      ),
    ];
  }
  if (at > nowMs + maxGrantDays * DAY_MS) {
    const latest = new Date(nowMs + maxGrantDays * DAY_MS).toISOString();
    return [
      violation(
        'expiresAt',
        'expiry.too-far',
        `expiresAt ${expiresAt} is more than ${maxGrantDays} days away: use ${latest} or earlier, and renew the grant when it ends.`,
      ),
    ];
  }
  return [];
}
