// Converging one Google Cloud resource's IAM policy on the bindings grantplane wants there
// (docs/gcp-azure.md): read with the etag, change only grantplane's own pairs, write with the etag;
// a concurrent change makes the write fail and the whole step is redone on a fresh read, so the
// other editor's change is kept, never overwritten. A converged resource costs one read, no write.
import { changePolicy, type GcpIamPolicy, type RoleMember } from '../domain/cloud/iam-policy.js';

/** Reads and writes one resource's IAM policy (lib/adapters/gcp). */
export interface PolicyStore {
  getPolicy(resource: string): Promise<GcpIamPolicy>;
  /** Throws an error named PolicyConflictError when the etag is stale. */
  setPolicy(resource: string, policy: GcpIamPolicy): Promise<GcpIamPolicy>;
}

export interface PolicyOutcome {
  resource: string;
  added: RoleMember[];
  removed: RoleMember[];
  reads: number;
  writes: number;
  /** Writes refused because the policy changed meanwhile (each redone on a fresh read). */
  conflicts: number;
  /** What grantplane owns on the resource afterwards: the inventory to store. */
  owned: RoleMember[];
}

/** The policy kept changing under grantplane's writes: nothing written, worth a later retry. */
export class PolicyBusyError extends Error {
  override readonly name = 'PolicyBusyError';
}

/** How often a step is redone after a concurrent change before giving up. */
export const MAX_POLICY_ATTEMPTS = 5;

const isConflict = (error: unknown): boolean => error instanceof Error && error.name === 'PolicyConflictError';

/**
 * Makes `resource` hold every `desired` pair and none of the `owned` pairs that are no longer
 * desired; every other binding stays. `owned` is what grantplane added there before (its
 * inventory); the answer's `owned` replaces it. `beforeWrite` is handed what grantplane will own
 * if the write lands (`owned` plus the pairs it adds) before each write: stored first, a crash after
 * the write still leaves the added pairs in the inventory, so a later revoke removes them.
 */
export async function convergePolicy(
  store: PolicyStore,
  resource: string,
  desired: ReadonlySet<RoleMember>,
  owned: ReadonlySet<RoleMember>,
  options: { beforeWrite?: (intent: RoleMember[]) => Promise<void> } = {},
): Promise<PolicyOutcome> {
  const outcome: PolicyOutcome = { resource, added: [], removed: [], reads: 0, writes: 0, conflicts: 0, owned: [] };
  for (let attempt = 1; ; attempt += 1) {
    const current = await store.getPolicy(resource);
    outcome.reads += 1;
    const change = changePolicy(current, desired, owned);
    if (change.policy === null) break;
    if (options.beforeWrite !== undefined && change.added.length > 0)
      await options.beforeWrite([...new Set([...owned, ...change.added])].sort());
    try {
      outcome.writes += 1;
      await store.setPolicy(resource, change.policy);
      outcome.added = change.added;
      outcome.removed = change.removed;
      break;
    } catch (error: unknown) {
      if (!isConflict(error)) throw error;
      outcome.conflicts += 1;
      if (attempt >= MAX_POLICY_ATTEMPTS)
        throw new PolicyBusyError(
          `the IAM policy of ${resource} changed ${attempt} times while grantplane wrote it: nothing of this step was written; it is retried on the next run`,
          { cause: error },
        );
    }
  }
  // Still wanted and added before, or added now; a pair someone else bound is never grantplane's.
  outcome.owned = [...new Set([...[...owned].filter((pair) => desired.has(pair)), ...outcome.added])].sort();
  return outcome;
}
