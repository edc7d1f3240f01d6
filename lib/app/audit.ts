// GET /v1/audit (DESIGN §8, A5): who did what to which grant or target, newest first.
import { BadRequestError } from '../domain/errors.js';
import type { AuditEvent, Page } from '../domain/ports.js';
import type { AppDeps } from './deps.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './grants.js';

export interface AuditFilter {
  grantId?: string;
  /** A target key (`prod#flytesnacks#staging`, `prod#global`). */
  targetKey?: string;
  actor?: string;
}

/** Audit events matching every given filter, newest first, cursor-paged (limit ≤ 100). */
export const listAudit = async (
  deps: AppDeps,
  filter: AuditFilter,
  page: { limit?: number; cursor?: string } = {},
): Promise<Page<AuditEvent>> => {
  const limit = page.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new BadRequestError([
      { path: 'limit', code: 'limit.invalid', message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` },
    ]);
  }
  return deps.store.listAudit(filter, { limit, ...(page.cursor === undefined ? {} : { cursor: page.cursor }) });
};
