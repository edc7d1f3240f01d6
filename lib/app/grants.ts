// Grant use cases (docs/api.md): submit, approve, reject, revoke, read and list. Every state change
// writes an audit event with it; every change of a plane's desired set recompiles its targets.
import { planGrants } from '../domain/engine.js';
import { transition, type StatusChangeInput } from '../domain/lifecycle.js';
import { ForbiddenError, NotFoundError, StateConflictError, ValidationError } from '../domain/errors.js';
import { grantRequestSchema, type GrantRequest } from '../domain/grant.js';
import type { PlanResult, RuleViolation } from '../domain/model.js';
import { ConcurrentUpdateError, type Identity } from '../domain/ports.js';
import {
  GLOBAL_UNIT,
  isDesiredStatus,
  OPEN_STATUSES,
  targetKey,
  unitOf,
  type AttributeRecord,
  type AuditEvent,
  type DesiredMember,
  type GrantFilter,
  type GrantRecord,
  type GrantStatus,
  type Page,
} from '../domain/records.js';
import { pageLimit, withConflictRetry, type AppDeps } from './deps.js';
import { effectOf, type GrantView } from './effect.js';
import { globalVerdictSuffices, pairOfRequest, planDesired, type DesiredPlan } from '../domain/desired.js';
import { attributesInput, planRequestOf, prepareUnit, recomputeScope, type PreparedUnit } from './targets.js';

export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './deps.js';

export interface SubmitGrantInput {
  /** The grant request as received (validated here, through the engine). */
  request: unknown;
  actor: Identity;
  /** `api` (default), a webhook source, or a git source name. */
  source?: string;
  /** Overrides the request's ticket (webhooks link the ticket they came from). */
  ticket?: GrantRequest['ticket'];
  /** Approved on arrival (git sync: the repository's review is the approval, docs/api.md). */
  preApproved?: boolean;
  /** Extra audit detail (e.g. the git sync's revision). */
  detail?: string;
}

export interface DecisionInput {
  id: string;
  actor: Identity;
  comment?: string;
}

const auditOf = (
  deps: AppDeps,
  action: string,
  actor: string,
  grant: GrantRecord,
  before: GrantStatus | null,
  extra: Partial<AuditEvent> = {},
): AuditEvent => ({
  id: deps.ids.next(),
  at: deps.clock.now().toISOString(),
  actor,
  action,
  grantId: grant.id,
  targetKey: grant.targetKey,
  before: before === null ? null : { status: before },
  after: { status: grant.status },
  result: 'ok',
  ...extra,
});

/** The plane a request names, or the only configured one (docs/configuration.md); undefined when ambiguous. */
const resolvePlane = (deps: AppDeps, request: unknown): string | undefined => {
  const named =
    typeof request === 'object' && request !== null && 'dataPlane' in request && typeof request.dataPlane === 'string'
      ? request.dataPlane
      : undefined;
  if (named !== undefined) return named;
  const [only, ...others] = deps.config.dataPlanes;
  return only !== undefined && others.length === 0 ? only.name : undefined;
};

interface Checked {
  request: GrantRequest;
  dataPlane: string;
  notes: { code: string; message: string }[];
  secretGroup?: string;
  secretKey?: string;
  /** Its unit's room for inline copies as read (PlaneInput). */
  inlineRoom: number;
  /** Planned from the warm container's cache (PlaneInput). */
  cached?: CachedInput;
}

/** What a request is checked against: desired grants, attributes, and its unit's room for inline copies. */
interface PlaneInput {
  grants: DesiredMember[];
  attributes: AttributeRecord[];
  /** UnitState.inline's room of the request's unit, for the write that makes it desired. */
  inlineRoom: number;
  /** Set when planned from the warm container's cache: the unit versions its write must still find. */
  cached?: CachedInput;
}

interface CachedInput {
  unit: string;
  pair: { project: string; domain: string } | null;
  versions: { unit: string; version: number }[];
}

/**
 * The desired grants and attributes that can change the engine's verdict on `request`, read
 * strongly consistent, so a submit plans one unit, not the whole plane (docs/data-model.md). For a
 * project-domain request: the plane's global grants (they take room on every role and cover
 * statements, C1/C3) and its unit's — every pair spelling the same namespace `<project>-<domain>`
 * (its own pair: R9 repeats and its role's quota, C3; look-alike pairs: the namespace rule) — with
 * the pair's imported attributes. No other grant takes part in any of those rules, and none can be
 * displaced by this request. A global request (or one whose scope cannot be read) is planned with
 * the plane's global grants first: checkAgainstPlane reads the whole plane only when
 * the request would add a global policy, the one way it can reach a pair (globalVerdictSuffices).
 */
const stateFor = async (deps: AppDeps, dataPlane: string, request: unknown, useCache: boolean): Promise<PlaneInput> => {
  const pair = pairOfRequest(request);
  const unit = pair === null ? GLOBAL_UNIT : unitOf({ type: 'project-domain', ...pair });
  const hit = useCache ? deps.desiredCache?.get(dataPlane, unit, pair) : undefined;
  const read =
    hit ??
    (await deps.planes.getDesiredGrants(
      dataPlane,
      pair === null ? [GLOBAL_UNIT] : [GLOBAL_UNIT, unit],
      pair === null ? [] : [pair],
    ));
  if (hit === undefined) deps.desiredCache?.put(dataPlane, unit, pair, read);
  return {
    grants: read.grants,
    attributes: read.attributes,
    inlineRoom: read.units.find((state) => state.unit === unit)?.inline?.room ?? 0,
    ...(hit === undefined
      ? {}
      : { cached: { unit, pair, versions: hit.units.map((state) => ({ unit: state.unit, version: state.version })) } }),
  };
};

/** The whole plane's desired grants and attributes (a global request that adds a global policy). */
const wholePlaneState = async (deps: AppDeps, dataPlane: string): Promise<PlaneInput> => {
  const snapshot = await deps.planes.getPlaneSnapshot(dataPlane);
  return {
    grants: snapshot.grants.filter((grant) => isDesiredStatus(grant.status)),
    attributes: snapshot.attributes,
    inlineRoom: snapshot.units.find((state) => state.unit === GLOBAL_UNIT)?.inline?.room ?? 0,
  };
};

/**
 * Validates one request through the engine together with the desired grants it can share a role
 * with (its unit's and the plane's global grants, read strongly consistent), so a request that
 * would overflow a role's policy quota (C3) is rejected now, not at apply time.
 */
const checkAgainstPlane = async (
  deps: AppDeps,
  request: unknown,
  ignoreId?: string,
  options: { useCache?: boolean; trace?: { cached: boolean } } = {},
): Promise<Checked> => {
  const dataPlane = resolvePlane(deps, request);
  const planWith = (state: PlaneInput | undefined) => {
    const existing = (state?.grants ?? [])
      .filter((grant) => grant.id !== ignoreId)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const requests: unknown[] = existing.map((grant) => planRequestOf(grant, { withExpiry: false }));
    const index = requests.length;
    requests.push(
      dataPlane !== undefined && typeof request === 'object' && request !== null ? { ...request, dataPlane } : request,
    );
    const planInput = {
      config: deps.config,
      requests,
      now: deps.clock.now(),
      attributes: attributesInput(state?.attributes ?? []),
    };
    // The same grants without the request: planned once, on first need (the global check, displacement).
    let without: PlanResult | undefined;
    const withoutRequest = () => (without ??= planGrants({ ...planInput, requests: requests.slice(0, index) }));
    return {
      existing,
      requests,
      index,
      plan: planGrants(planInput),
      withoutRequest,
      inlineRoom: state?.inlineRoom ?? 0,
      cached: state?.cached,
    };
  };
  let planned = planWith(
    dataPlane === undefined ? undefined : await stateFor(deps, dataPlane, request, options.useCache === true),
  );
  if (dataPlane !== undefined && pairOfRequest(request) === null) {
    // Planned with the global grants alone: enough unless the request adds a global policy.
    if (!globalVerdictSuffices(planned.plan, planned.withoutRequest(), planned.index, dataPlane))
      planned = planWith(await wholePlaneState(deps, dataPlane));
  }
  const { existing, requests, index, plan, withoutRequest, inlineRoom, cached } = planned;
  if (options.trace !== undefined) options.trace.cached = cached !== undefined;

  const own = plan.rejected.find((entry) => entry.index === index);
  if (own !== undefined) throw new ValidationError(own.errors);
  const displaced = plan.rejected.filter((entry) => entry.index < index);
  if (displaced.length > 0) {
    // The new grant sorts before existing ones and pushes them out of the quota (C3): the existing
    // grants keep their place, the new one is refused. Existing rejections that happen without the
    // new request (a configuration change) are not its fault.
    const before = new Set(withoutRequest().rejected.map((entry) => entry.index));
    const caused = displaced.filter((entry) => !before.has(entry.index));
    if (caused.length > 0)
      throw displacementError(caused.map((entry) => ({ errors: entry.errors, grant: existing[entry.index] })));
  }
  const parsed = grantRequestSchema.safeParse(requests[index]);
  if (!parsed.success || dataPlane === undefined) {
    // The engine accepted it, so this means engine and schema disagree: refuse rather than store junk.
    throw new ValidationError([
      { path: 'dataPlane', code: 'request.invalid', message: 'The request could not be read; name its dataPlane' },
    ]);
  }
  const accepted = plan.accepted.find((entry) => entry.index === index);
  const notes = plan.notes.filter((note) => note.index === index).map(({ code, message }) => ({ code, message }));
  return {
    request: parsed.data,
    dataPlane,
    notes,
    inlineRoom,
    ...(cached === undefined ? {} : { cached }),
    ...(accepted?.secretGroup === undefined ? {} : { secretGroup: accepted.secretGroup }),
    ...(accepted?.secretKey === undefined ? {} : { secretKey: accepted.secretKey }),
  };
};

/** A change of this grant's desired set made here: this container's cached reads of its unit are stale. */
const desiredSetChanged = (deps: AppDeps, grant: GrantRecord): void =>
  deps.desiredCache?.forgetUnit(grant.dataPlane, unitOf(grant.scope), GLOBAL_UNIT);

/** Approved on arrival: pre-approved by its source, or a project-domain in the plane's autoApproveDomains. */
const autoApproves = (
  deps: AppDeps,
  preApproved: boolean | undefined,
  dataPlane: string | undefined,
  scope: unknown,
): boolean => {
  if (preApproved === true) return true;
  const plane = deps.config.dataPlanes.find((candidate) => candidate.name === dataPlane);
  return (
    plane !== undefined &&
    typeof scope === 'object' &&
    scope !== null &&
    'type' in scope &&
    scope.type === 'project-domain' &&
    'domain' in scope &&
    typeof scope.domain === 'string' &&
    plane.autoApproveDomains.includes(scope.domain)
  );
};

/**
 * Submits a grant request: validated against the documented rules and the plane's quota, stored as
 * `pending-approval`, or `approved` when its domain is in the plane's autoApproveDomains (or the
 * source pre-approves it); an approved grant recompiles the plane's targets at once.
 */
export const submitGrant = (deps: AppDeps, input: SubmitGrantInput): Promise<GrantRecord> => submit(deps, input, true);

const submit = async (deps: AppDeps, input: SubmitGrantInput, useCache: boolean): Promise<GrantRecord> => {
  const request =
    input.ticket !== undefined && typeof input.request === 'object' && input.request !== null
      ? { ...input.request, ticket: input.ticket }
      : input.request;
  const trace = { cached: false };
  let checked: Checked;
  try {
    checked = await checkAgainstPlane(deps, request, undefined, {
      useCache: useCache && input.preApproved !== true,
      trace,
    });
  } catch (error: unknown) {
    // A refusal writes nothing, so no check at write time vouches for what the cache held: one
    // planned from the cache is decided again from a fresh read.
    if (trace.cached && error instanceof ValidationError) return submit(deps, input, false);
    throw error;
  }
  const scope = checked.request.scope;
  const autoApproved = autoApproves(deps, input.preApproved, checked.dataPlane, scope);
  // A grant approved on arrival writes its unit in the same transaction, which must not also check
  // it (DynamoDB refuses two operations on one item): planned from a fresh read.
  if (autoApproved && checked.cached !== undefined) return submit(deps, input, false);
  const now = deps.clock.now().toISOString();
  const status: GrantStatus = autoApproved ? 'approved' : 'pending-approval';
  const { dataPlane: _ignored, ...rest } = checked.request;
  const grant: GrantRecord = {
    ...rest,
    id: deps.ids.next(),
    dataPlane: checked.dataPlane,
    targetKey: targetKey(checked.dataPlane, scope),
    status,
    requester: input.actor.sub,
    source: input.source ?? 'api',
    createdAt: now,
    updatedAt: now,
    history: [
      { status: 'pending-approval', at: now, actor: input.actor.sub },
      ...(autoApproved
        ? [
            {
              status: 'approved' as const,
              at: now,
              actor: input.actor.sub,
              comment: input.preApproved === true ? 'approved by its source' : 'auto-approved domain',
            },
          ]
        : []),
    ],
    ...(autoApproved
      ? { approvedBy: input.preApproved === true ? `source:${input.source ?? 'api'}` : 'auto-approve' }
      : {}),
    ...(checked.notes.length > 0 ? { notes: checked.notes } : {}),
    ...(checked.secretGroup === undefined ? {} : { secretGroup: checked.secretGroup }),
    ...(checked.secretKey === undefined ? {} : { secretKey: checked.secretKey }),
    version: 1,
  };
  const { cached } = checked;
  try {
    await deps.grants.createGrant(
      grant,
      auditOf(
        deps,
        'grant.submitted',
        input.actor.sub,
        grant,
        null,
        input.detail === undefined ? {} : { detail: input.detail },
      ),
      { inlineRoom: checked.inlineRoom, ...(cached === undefined ? {} : { unitVersions: cached.versions }) },
    );
  } catch (error: unknown) {
    if (!(error instanceof ConcurrentUpdateError) || cached === undefined) throw error;
    // What the cache held moved meanwhile: nothing was written; planned again from a fresh read.
    deps.desiredCache?.forget(grant.dataPlane, cached.unit, cached.pair);
    return submit(deps, input, false);
  }
  if (autoApproved) {
    desiredSetChanged(deps, grant);
    await recomputeScope(deps, grant.dataPlane, grant.scope);
  }
  return grant;
};

const mustGet = async (deps: AppDeps, id: string): Promise<GrantRecord> => {
  const grant = await deps.grants.getGrant(id);
  if (grant === null) throw new NotFoundError('grant.not-found', `No grant with id ${id}`);
  return grant;
};

/** One lifecycle move (lib/domain/lifecycle.ts) at the deps' time. */
const move = (
  deps: AppDeps,
  grant: GrantRecord,
  status: GrantStatus,
  actor: string,
  comment: string | undefined,
  extra: Pick<StatusChangeInput, 'approvedBy' | 'endingAs'> = {},
): GrantRecord =>
  transition(grant, status, {
    actor,
    at: deps.clock.now().toISOString(),
    ...(comment === undefined ? {} : { comment }),
    ...extra,
  });

const refuseSelfDecision = (grant: GrantRecord, actor: Identity): void => {
  if (grant.requester === actor.sub) {
    throw new ForbiddenError(
      'grant.self-approval',
      'You cannot decide on your own request (admins included): ask another approver',
    );
  }
};

const mustBePending = (grant: GrantRecord, verb: string): void => {
  if (grant.status !== 'pending-approval') {
    throw new StateConflictError(
      'grant.not-pending',
      `Only a pending-approval grant can be ${verb}; this one is ${grant.status}`,
    );
  }
};

/**
 * Approves a pending grant (never your own, admins included), re-checking the plane's quota with the
 * grants approved since it was submitted, and recompiles the plane's targets.
 */
export const approveGrant = async (deps: AppDeps, input: DecisionInput): Promise<GrantRecord> => {
  const { approved, prepared } = await withConflictRetry(deps, async () => {
    const grant = await mustGet(deps, input.id);
    refuseSelfDecision(grant, input.actor);
    mustBePending(grant, 'approved');
    const next = move(deps, grant, 'approved', input.actor.sub, input.comment, { approvedBy: input.actor.sub });
    // A pair grant is checked with its unit's state, planned once: that plan is the recompute's.
    const { prepared: checked, inlineRoom } =
      grant.scope.type === 'global'
        ? await checkAgainstPlane(deps, { ...planRequestOf(grant, { withExpiry: true }) }, grant.id).then(
            ({ inlineRoom }) => ({ prepared: undefined, inlineRoom }),
          )
        : await checkInUnit(deps, next).then((prepared) => ({
            prepared,
            inlineRoom: prepared.snapshot.unit.inline?.room ?? 0,
          }));
    await deps.grants.updateGrant(
      next,
      auditOf(
        deps,
        'grant.approved',
        input.actor.sub,
        next,
        grant.status,
        input.comment === undefined ? {} : { detail: input.comment },
      ),
      { previousStatus: grant.status, inlineRoom },
    );
    return { approved: next, prepared: checked };
  });
  desiredSetChanged(deps, approved);
  await recomputeScope(deps, approved.dataPlane, approved.scope, prepared);
  return approved;
};

const refusedIds = (planned: DesiredPlan): Set<string> =>
  new Set(planned.plan.rejected.map((entry) => planned.grants[entry.index]?.id ?? ''));

/** The refusal of a grant that would push already approved grants out of IAM's quota (C3). */
const displacementError = (
  caused: { errors: RuleViolation[]; grant: Pick<GrantRecord, 'targetKey'> | undefined }[],
): ValidationError => {
  const first = caused.flatMap((entry) => entry.errors)[0];
  const displacedKeys = caused.map((entry) => entry.grant?.targetKey).filter((key) => key !== undefined);
  return new ValidationError([
    {
      path: first?.path ?? 'resource',
      code: first?.code ?? 'quota.policies-per-role',
      message: `Accepting this grant would push already approved grants of ${[...new Set(displacedKeys)].join(', ')} out of IAM's quota: ${first?.message ?? 'they would no longer fit'}`,
    },
  ]);
};

/**
 * The engine's verdict on approving a pair grant, planned with its unit as the approval will leave
 * it (the grant approved, its expiry checked, R8): its own rejection, or grants of its unit it
 * would push out of the role's quota (C3), refuse the approval. Returns the plan for the recompute,
 * valid for the unit version the approval's transaction writes.
 */
const checkInUnit = async (deps: AppDeps, next: GrantRecord): Promise<PreparedUnit> => {
  const unit = unitOf(next.scope);
  const { snapshot, planned } = await prepareUnit(deps, next.dataPlane, unit, {
    with: next,
    checkExpiryOf: next.id,
  });
  const index = planned.grants.findIndex((grant) => grant.id === next.id);
  const own = planned.plan.rejected.find((entry) => entry.index === index);
  if (own !== undefined) throw new ValidationError(own.errors);
  const refusedNow = planned.plan.rejected.filter((entry) => entry.index !== index);
  if (refusedNow.length > 0) {
    // Refusals that stand without this grant (a configuration change) are not its fault. Planned
    // again without it only here, when something is refused at all (rare): the common case is one run.
    const before = refusedIds(
      planDesired(deps.config, next.dataPlane, snapshot.grants, snapshot.attributes, deps.clock.now()),
    );
    const caused = refusedNow.filter((entry) => !before.has(planned.grants[entry.index]?.id ?? ''));
    if (caused.length > 0)
      throw displacementError(caused.map((entry) => ({ errors: entry.errors, grant: planned.grants[entry.index] })));
  }
  return {
    snapshot: { ...snapshot, unit: { ...snapshot.unit, version: snapshot.unit.version + 1 } },
    planned,
  };
};

/** Rejects a pending grant (never your own); nothing reaches IAM. */
export const rejectGrant = (deps: AppDeps, input: DecisionInput): Promise<GrantRecord> =>
  withConflictRetry(deps, async () => {
    const grant = await mustGet(deps, input.id);
    refuseSelfDecision(grant, input.actor);
    mustBePending(grant, 'rejected');
    const next = move(deps, grant, 'rejected', input.actor.sub, input.comment);
    await deps.grants.updateGrant(
      next,
      auditOf(
        deps,
        'grant.rejected',
        input.actor.sub,
        next,
        grant.status,
        input.comment === undefined ? {} : { detail: input.comment },
      ),
      { previousStatus: grant.status },
    );
    return next;
  });

/**
 * Revokes a grant (its requester, or an admin): a pending one ends at once (`revoked`), one that is
 * or may be in IAM goes `revoking` and its targets are recompiled; the applier finishes the job.
 * Revoking an ending or ended grant answers it unchanged.
 */
export const revokeGrant = async (
  deps: AppDeps,
  input: {
    id: string;
    actor: Identity;
    comment?: string;
    /** The caller recomputes the plane once after a batch (sync): one change, one blast-radius check (A6). */
    deferRecompute?: boolean;
  },
): Promise<GrantRecord> => {
  const result = await withConflictRetry(deps, async () => {
    const grant = await mustGet(deps, input.id);
    if (grant.requester !== input.actor.sub && !input.actor.roles.includes('admin')) {
      throw new ForbiddenError('grant.not-owner', "Only the grant's requester or an admin can revoke it");
    }
    if (grant.status === 'revoking' || grant.status === 'revoked' || grant.status === 'expired') {
      return { grant, changed: false };
    }
    if (grant.status === 'rejected') {
      throw new StateConflictError(
        'grant.not-revocable',
        'A rejected grant was never granted: there is nothing to revoke',
      );
    }
    const status: GrantStatus = grant.status === 'pending-approval' ? 'revoked' : 'revoking';
    const next = move(deps, grant, status, input.actor.sub, input.comment);
    // The comment (e.g. a git sync's "removed from source … at revision …") goes into the audit too.
    const extra = input.comment === undefined ? {} : { detail: input.comment };
    await deps.grants.updateGrant(next, auditOf(deps, 'grant.revoked', input.actor.sub, next, grant.status, extra), {
      previousStatus: grant.status,
    });
    return { grant: next, changed: isDesiredStatus(grant.status) };
  });
  if (result.changed) desiredSetChanged(deps, result.grant);
  if (result.changed && input.deferRecompute !== true)
    await recomputeScope(deps, result.grant.dataPlane, result.grant.scope);
  return result.grant;
};

/**
 * Ends a grant past its `expiresAt` (the schedule, docs/webhooks.md), audited, targets recompiled. Like a
 * revoke (docs/api.md: expired as soon as its statements are gone from IAM): a pending one ends
 * `expired` at once (nothing in IAM); one that is or may be in IAM goes `revoking` with
 * `endingAs: 'expired'`, and the applier moves it to `expired` once IAM no longer has it.
 * Returns null when the grant had already ended (or is ending) or does not expire yet.
 */
export const expireGrant = async (
  deps: AppDeps,
  input: {
    id: string;
    actor?: string;
    /** The caller recomputes the plane once after a batch (the schedule): one change, one A6 check. */
    deferRecompute?: boolean;
  },
): Promise<GrantRecord | null> => {
  const actor = input.actor ?? 'schedule';
  const result = await withConflictRetry(deps, async () => {
    const grant = await mustGet(deps, input.id);
    const ended = !OPEN_STATUSES.includes(grant.status);
    if (ended || grant.expiresAt === undefined || Date.parse(grant.expiresAt) > deps.clock.now().getTime()) return null;
    const next =
      grant.status === 'pending-approval'
        ? move(deps, grant, 'expired', actor, `expired at ${grant.expiresAt}`)
        : move(deps, grant, 'revoking', actor, `expired at ${grant.expiresAt}`, { endingAs: 'expired' });
    await deps.grants.updateGrant(next, auditOf(deps, 'grant.expired', actor, next, grant.status), {
      previousStatus: grant.status,
    });
    return { grant: next, changed: isDesiredStatus(grant.status) };
  });
  if (result === null) return null;
  if (result.changed) desiredSetChanged(deps, result.grant);
  if (result.changed && input.deferRecompute !== true)
    await recomputeScope(deps, result.grant.dataPlane, result.grant.scope);
  return result.grant;
};

/** One grant with its effect (in effect yet? what is still to be done, by whom), or NotFoundError. */
export const getGrant = async (deps: AppDeps, input: { id: string }): Promise<GrantView> => {
  const grant = await mustGet(deps, input.id);
  const effect = await effectOf(deps, grant);
  return effect === undefined ? grant : { ...grant, effect };
};

/** Grants filtered by project, domain, status and source, newest first, cursor-paged (limit ≤ 100). */
export const listGrants = async (
  deps: AppDeps,
  filter: GrantFilter,
  page: { limit?: number; cursor?: string } = {},
): Promise<Page<GrantRecord>> => {
  const limit = pageLimit(page.limit);
  return deps.grants.listGrants(filter, { limit, cursor: page.cursor });
};
