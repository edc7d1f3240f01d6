// The grant lifecycle (docs/api.md "Grant statuses"): one table of moves, one function that makes them.
import { describe, expect, it } from 'vitest';
import { StateConflictError } from '../../lib/domain/errors.js';
import { GRANT_TRANSITIONS, transition } from '../../lib/domain/lifecycle.js';
import { GRANT_STATUSES, OPEN_STATUSES, type GrantRecord, type GrantStatus } from '../../lib/domain/records.js';

const grant = (status: GrantStatus, extra: Partial<GrantRecord> = {}): GrantRecord => ({
  id: '01GRANT',
  dataPlane: 'prod',
  targetKey: 'prod#flytesnacks#development',
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
  resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
  status,
  requester: 'alice',
  source: 'api',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  history: [{ status: 'pending-approval', at: '2026-12-01T00:00:00.000Z', actor: 'alice' }],
  version: 4,
  ...extra,
});

const change = { actor: 'bob', at: '2026-12-02T00:00:00.000Z' };

describe('grant lifecycle', () => {
  it('makes every move of the table: status, time, history entry and version together', () => {
    for (const from of GRANT_STATUSES) {
      for (const to of GRANT_TRANSITIONS[from]) {
        const next = transition(grant(from), to, { ...change, comment: 'why' });
        expect(next).toMatchObject({ status: to, updatedAt: change.at, version: 5 });
        expect(next.history.at(-1)).toEqual({ status: to, at: change.at, actor: 'bob', comment: 'why' });
      }
    }
  });

  it('refuses every move the table lacks with 409 grant.illegal-transition; ended grants move nowhere', () => {
    for (const from of GRANT_STATUSES) {
      for (const to of GRANT_STATUSES.filter((status) => !GRANT_TRANSITIONS[from].includes(status))) {
        expect(() => transition(grant(from), to, change), `${from} → ${to}`).toThrow(StateConflictError);
      }
    }
    for (const ended of ['rejected', 'revoked', 'expired'] as const) expect(GRANT_TRANSITIONS[ended]).toEqual([]);
    // open: every status that can still be approved, applied, expired or revoked
    expect([...OPEN_STATUSES].sort()).toEqual(['active', 'approved', 'failed', 'pending-approval']);
  });

  it('keeps a failure reason only on a failed grant, and records who approved and how a revoke ends', () => {
    const failed = transition(grant('approved'), 'failed', { ...change, failureReason: 'quota' });
    expect(failed.failureReason).toBe('quota');
    expect(transition(failed, 'active', change)).not.toHaveProperty('failureReason');
    expect(transition(grant('pending-approval'), 'approved', { ...change, approvedBy: 'bob' }).approvedBy).toBe('bob');
    expect(transition(grant('active'), 'revoking', { ...change, endingAs: 'expired' }).endingAs).toBe('expired');
  });
});
