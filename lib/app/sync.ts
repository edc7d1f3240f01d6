// Git sync (docs/git-sync.md): one repository's complete set of grants, declared as a source. The diff is
// taken by grant identity — (plane, scope, resource incl. access), the engine's R9 key — against the
// source's live grants only: grants belong to their source, so a sync never touches another's, and
// an identical grant from another source (or the API) lives on beside it (it compiles once, R9).
import { planGrants } from '../domain/engine.js';
import { StateConflictError, ValidationError } from '../domain/errors.js';
import type { RuleViolation } from '../domain/model.js';
import { type Identity } from '../domain/ports.js';
import { DESIRED_STATUSES, OPEN_STATUSES, type GrantRecord } from '../domain/records.js';
import { validateGrantRequest } from '../domain/rules/validate.js';
import { WEBHOOK_KINDS } from '../domain/webhooks/kinds.js';
import { type AppDeps, withConflictRetry } from './deps.js';
import { revokeGrant, submitGrant } from './grants.js';
import { attributesInput, planRequestOf, recomputePlaneTargets } from './targets.js';

/** Grants of a source that a sync compares against (ended ones are history, not declarations). */

/** Source names that are not git repositories: a sync under them would revoke API or ticket grants. */
export const RESERVED_SOURCES: readonly string[] = ['api', ...WEBHOOK_KINDS];

/** How long a sync's lease holds if its process dies before releasing it. */
export const SYNC_LEASE_SECONDS = 300;

export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface SyncInput {
  source: string;
  /** The complete set declared in the repository (raw grant requests). */
  grants: readonly unknown[];
  /** The commit the set was read from (recorded in the audit). */
  revision?: string;
  dryRun?: boolean;
  /** Allow revoking more than half of the source's grants. */
  confirmPrune?: boolean;
  actor: Identity;
}

/** A declared grant that does not exist yet, as a dry run shows it (the request, plane resolved). */
export type DeclaredGrant = Record<string, unknown> & { dataPlane: string };

export interface SyncResult {
  source: string;
  revision?: string;
  dryRun: boolean;
  /** Created (approved on arrival), or in a dry run the requests that would be. */
  added: (GrantRecord | DeclaredGrant)[];
  unchanged: GrantRecord[];
  /** Revoked, or in a dry run the grants that would be. */
  removed: GrantRecord[];
  /** Dry run only: the prune guard would refuse this sync without confirmPrune. */
  pruneGuard?: RuleViolation;
}

const compareIds = (a: GrantRecord, b: GrantRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Every grant of a source in a live status (index query, all pages). */
const liveGrantsOf = async (deps: AppDeps, source: string): Promise<GrantRecord[]> => {
  const grants: GrantRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.grants.listGrants({ source }, { limit: 100, cursor });
    grants.push(...page.items.filter((grant) => OPEN_STATUSES.includes(grant.status)));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return grants.sort(compareIds);
};

/** The R9 identity of a stored grant; a grant the current configuration no longer accepts keeps its own. */
const storedKey = (deps: AppDeps, grant: GrantRecord, now: Date): string => {
  const checked = validateGrantRequest(deps.config, planRequestOf(grant, { withExpiry: false }), now);
  return checked.ok ? (checked.grant ?? checked.cloud).key : `stored:${grant.id}`;
};

const prefixed = (index: number, violations: readonly RuleViolation[]): RuleViolation[] =>
  violations.map((v) => ({ ...v, path: v.path === '' ? `grants[${index}]` : `grants[${index}].${v.path}` }));

interface Declared {
  index: number;
  request: DeclaredGrant;
  key: string;
}

/**
 * Checks the declared set as it will stand after the sync — every other desired grant, minus the
 * ones this sync revokes, plus the new ones — so a quota overflow (C3) is refused before anything
 * is applied. Returns the violations (paths `grants[i]…`).
 */
const checkFinalState = async (
  deps: AppDeps,
  added: readonly Declared[],
  removedIds: ReadonlySet<string>,
  now: Date,
): Promise<RuleViolation[]> => {
  if (added.length === 0) return [];
  const planes = [...new Set(added.map((entry) => entry.request.dataPlane))];
  const kept: GrantRecord[] = [];
  const attributes: Parameters<typeof attributesInput>[0][number][] = [];
  for (const plane of planes) {
    kept.push(
      ...(await deps.grants.listGrantsByStatus(plane, DESIRED_STATUSES)).filter((grant) => !removedIds.has(grant.id)),
    );
    attributes.push(...(await deps.attributes.listAttributes(plane)));
  }
  kept.sort(compareIds);
  const keptRequests = kept.map((grant) => planRequestOf(grant, { withExpiry: false }));
  const input = { config: deps.config, now, attributes: attributesInput(attributes) };
  const after = planGrants({ ...input, requests: [...keptRequests, ...added.map((entry) => entry.request)] });
  const violations: RuleViolation[] = [];
  for (const rejected of after.rejected) {
    const entry = added[rejected.index - keptRequests.length];
    if (entry !== undefined) violations.push(...prefixed(entry.index, rejected.errors));
  }
  const displaced = after.rejected.filter((rejected) => rejected.index < keptRequests.length);
  if (displaced.length > 0) {
    const before = new Set(planGrants({ ...input, requests: keptRequests }).rejected.map((rejected) => rejected.index));
    for (const rejected of displaced.filter((entry) => !before.has(entry.index))) {
      const grant = kept[rejected.index];
      const first = rejected.errors[0];
      violations.push({
        path: 'grants',
        code: first?.code ?? 'quota.policies-per-role',
        message: `The new grants would push grant ${grant?.id ?? '?'} (${grant?.source ?? '?'}, ${grant?.targetKey ?? '?'}) out of IAM's quota: ${first?.message ?? 'it would no longer fit'}`,
      });
    }
  }
  return violations;
};

/**
 * Syncs one source's complete set (docs/git-sync.md): validates every declared grant (any invalid → 422,
 * nothing applied), diffs by grant identity against the source's live grants, refuses to revoke more
 * than half of them without `confirmPrune` (409 `sync.prune-guard`), then revokes the removed ones
 * and creates the added ones approved on arrival, with the revision in the audit. The first sync
 * creates the source. A dry run only reports.
 */
export const syncSource = async (deps: AppDeps, input: SyncInput): Promise<SyncResult> => {
  if (!SOURCE_NAME.test(input.source) || RESERVED_SOURCES.includes(input.source)) {
    throw new ValidationError([
      {
        path: 'source',
        code: 'source.invalid-name',
        message: RESERVED_SOURCES.includes(input.source)
          ? `"${input.source}" is reserved for API and ticket grants; name the git source after its repository`
          : 'A source name is 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
      },
    ]);
  }
  const now = deps.clock.now();
  const [onlyPlane, ...otherPlanes] = deps.config.dataPlanes;
  const defaultPlane = onlyPlane !== undefined && otherPlanes.length === 0 ? onlyPlane.name : undefined;

  const violations: RuleViolation[] = [];
  const declared: Declared[] = [];
  input.grants.forEach((raw, index) => {
    const request =
      defaultPlane !== undefined &&
      typeof raw === 'object' &&
      raw !== null &&
      !Array.isArray(raw) &&
      !('dataPlane' in raw)
        ? { ...raw, dataPlane: defaultPlane }
        : raw;
    const checked = validateGrantRequest(deps.config, request, now);
    if (!checked.ok) violations.push(...prefixed(index, checked.errors));
    else
      declared.push({
        index,
        request: { ...(request as Record<string, unknown>), dataPlane: (checked.grant ?? checked.cloud).plane.name },
        key: (checked.grant ?? checked.cloud).key,
      });
  });
  if (violations.length > 0)
    throw new ValidationError(
      violations,
      `The grants of source ${input.source} break the documented rules; nothing was applied`,
    );

  if (input.dryRun === true) return diffAndApply(deps, input, declared, now);
  // One sync of a source at a time (two CI runs overlapping would both add the same grants): a lease
  // taken with the delivery records' conditional put, released when the sync ends.
  const lease = {
    source: `sync#${input.source}`,
    deliveryId: 'lease',
    at: now.toISOString(),
    result: { actor: input.actor.sub },
  };
  const held = await deps.deliveries.claimDelivery(lease, SYNC_LEASE_SECONDS, now);
  if (held !== null) {
    throw new StateConflictError(
      'sync.in-progress',
      `Another sync of source ${input.source} is running (started ${held.at}); retry when it has finished`,
    );
  }
  try {
    return await diffAndApply(deps, input, declared, now);
  } finally {
    await deps.deliveries.rememberDelivery(lease, 0);
  }
};

const sameInstant = (a: string | undefined, b: string | undefined): boolean =>
  a === undefined || b === undefined ? a === b : Date.parse(a) === Date.parse(b);

/**
 * Gives a live grant the expiresAt its repository now declares (absent: no expiry), audited as
 * `grant.expiry-changed`. The compiled state does not depend on expiresAt, so no target changes; the
 * schedule ends the grant at the new time. A grant that ended meanwhile is left as it is.
 */
const setExpiry = async (
  deps: AppDeps,
  id: string,
  expiresAt: string | undefined,
  actor: string,
  detail: string,
): Promise<GrantRecord> =>
  withConflictRetry(deps, async () => {
    const grant = await deps.grants.getGrant(id);
    if (grant === null) throw new Error(`grant ${id} vanished during the sync`);
    if (!OPEN_STATUSES.includes(grant.status) || sameInstant(expiresAt, grant.expiresAt)) return grant;
    const { expiresAt: before, ...rest } = grant;
    const next: GrantRecord = {
      ...rest,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      updatedAt: deps.clock.now().toISOString(),
      version: grant.version + 1,
    };
    await deps.grants.updateGrant(
      next,
      {
        id: deps.ids.next(),
        at: next.updatedAt,
        actor,
        action: 'grant.expiry-changed',
        grantId: grant.id,
        targetKey: grant.targetKey,
        before: { status: grant.status, expiresAt: before ?? null },
        after: { status: grant.status, expiresAt: expiresAt ?? null },
        result: 'ok',
        detail,
      },
      { previousStatus: grant.status },
    );
    return next;
  });

/** The diff against the source's live grants, and (unless a dry run) its application. */
const diffAndApply = async (
  deps: AppDeps,
  input: SyncInput,
  declared: readonly Declared[],
  now: Date,
): Promise<SyncResult> => {
  const live = await liveGrantsOf(deps, input.source);
  const liveByKey = new Map<string, GrantRecord>();
  const removed: GrantRecord[] = [];
  for (const grant of live) {
    const key = storedKey(deps, grant, now);
    if (liveByKey.has(key))
      removed.push(grant); // a second live copy of one grant: keep one
    else liveByKey.set(key, grant);
  }
  const unchanged: GrantRecord[] = [];
  const added: Declared[] = [];
  // Unchanged grants whose declared expiresAt differs from the stored one: the file is the truth.
  const retimed = new Map<string, string | undefined>();
  const seen = new Set<string>();
  for (const entry of declared) {
    if (seen.has(entry.key)) continue; // R9: declared twice is one grant
    seen.add(entry.key);
    const existing = liveByKey.get(entry.key);
    if (existing === undefined) added.push(entry);
    else {
      unchanged.push(existing);
      const declaredExpiry = typeof entry.request.expiresAt === 'string' ? entry.request.expiresAt : undefined;
      if (!sameInstant(declaredExpiry, existing.expiresAt)) retimed.set(existing.id, declaredExpiry);
    }
  }
  for (const [key, grant] of liveByKey) if (!seen.has(key)) removed.push(grant);
  removed.sort(compareIds);

  const quota = await checkFinalState(deps, added, new Set(removed.map((grant) => grant.id)), now);
  if (quota.length > 0)
    throw new ValidationError(
      quota,
      `The grants of source ${input.source} do not fit IAM's quotas; nothing was applied`,
    );

  const revision = input.revision;
  const base = { source: input.source, ...(revision === undefined ? {} : { revision }) };
  const guardTrips = removed.length * 2 > live.length && input.confirmPrune !== true;
  const guardMessage = `This sync would revoke ${removed.length} of the ${live.length} grants of source ${input.source} (more than half): check the grants file, then repeat with confirmPrune=true`;
  if (input.dryRun === true) {
    return {
      ...base,
      dryRun: true,
      added: added.map((entry) => entry.request),
      unchanged,
      removed,
      ...(guardTrips ? { pruneGuard: { path: 'grants', code: 'sync.prune-guard', message: guardMessage } } : {}),
    };
  }
  if (guardTrips) throw new StateConflictError('sync.prune-guard', guardMessage, { path: 'grants' });

  const at = revision === undefined ? '' : ` at revision ${revision}`;
  const admin: Identity = { sub: input.actor.sub, roles: [...new Set([...input.actor.roles, 'admin' as const])] };
  // Removals first: the quota check above counted the final state, without them.
  const revoked: GrantRecord[] = [];
  for (const grant of removed) {
    revoked.push(
      await revokeGrant(deps, {
        id: grant.id,
        actor: admin,
        comment: `removed from source ${input.source}${at}`,
        deferRecompute: true,
      }),
    );
  }
  // The sync's removals are one change per plane: one recompute, one blast-radius check (A6).
  for (const dataPlane of new Set(removed.map((grant) => grant.dataPlane)))
    await recomputePlaneTargets(deps, dataPlane);
  const created: GrantRecord[] = [];
  for (const entry of added) {
    created.push(
      await submitGrant(deps, {
        request: entry.request,
        actor: input.actor,
        source: input.source,
        preApproved: true,
        detail: `git sync of source ${input.source}${at}`,
      }),
    );
  }
  const kept: GrantRecord[] = [];
  for (const grant of unchanged) {
    kept.push(
      retimed.has(grant.id)
        ? await setExpiry(
            deps,
            grant.id,
            retimed.get(grant.id),
            input.actor.sub,
            `git sync of source ${input.source}${at}`,
          )
        : grant,
    );
  }
  const previous = await deps.sources.getSource(input.source);
  const stamp = now.toISOString();
  await deps.sources.putSource({
    name: input.source,
    createdAt: previous?.createdAt ?? stamp,
    updatedAt: stamp,
    ...(revision === undefined
      ? previous?.lastRevision === undefined
        ? {}
        : { lastRevision: previous.lastRevision }
      : { lastRevision: revision }),
  });
  await deps.audit.appendAudit({
    id: deps.ids.next(),
    at: stamp,
    actor: input.actor.sub,
    action: 'source.synced',
    result: 'ok',
    detail: `source ${input.source}${at}: ${created.length} added, ${unchanged.length} unchanged, ${revoked.length} removed`,
  });
  return { ...base, dryRun: false, added: created, unchanged: kept, removed: revoked };
};
