// GET /v1/audit (docs/api.md, A5): who did what to which grant or target, newest first.
import type { AuditEvent, Page } from '../domain/records.js';
import { pageLimit, type AppDeps } from './deps.js';

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
  const limit = pageLimit(page.limit);
  return deps.audit.listAudit(filter, { limit, cursor: page.cursor });
};
