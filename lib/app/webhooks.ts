// Ticket-system webhooks (docs/webhooks.md): a signed delivery → one grant use case, at most once.
//
// Order matters: the signature is checked first and nothing is stored for a delivery that fails it;
// then the delivery is claimed with a conditional put (concurrent duplicates: one wins, the others
// see "in progress"), mapped, acted on, and its answer remembered so a replay gets the first answer.
//
// Webhook identity: the ticket system's verified signature vouches for who acted. The use cases run
// as the ticket's actor (Jira `user`, ServiceNow `approved_by`/`sys_updated_by`, generic
// `actor.id`) holding the role `approver` granted by the ticket system — so the usual rules hold:
// the actor of an approval must not be the ticket's requester (403 `grant.self-approval`). Closing a
// ticket is the ticket system's own decision on a grant it created, so a close revokes with the
// authority of that source (as an admin would), recorded under the actor's id.
import {
  NotFoundError,
  refusalOf,
  StateConflictError,
  UnauthorizedError,
  ValidationError,
  type Refusal,
} from '../domain/errors.js';
import type { Identity } from '../domain/ports.js';
import type { GrantRecord } from '../domain/records.js';
import {
  mapTicketPayload,
  verifyWebhookDelivery,
  type RawBody,
  type SignatureFailureCode,
  type TicketEvent,
  type TicketMappingOptions,
  type WebhookKind,
  WEBHOOK_KINDS,
} from '../domain/webhooks/index.js';
import type { AppDeps } from './deps.js';
import { approveGrant, rejectGrant, revokeGrant, submitGrant } from './grants.js';

export { WEBHOOK_KINDS };

/** How long a delivery is remembered: replays within it answer the first result. */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;
/** How long a claim stays "in progress" when its processing crashed before remembering an answer. */
export const IN_PROGRESS_TTL_SECONDS = 60;

/**
 * What a delivery came to, as remembered for replays: the grant it acted on (`queued` when it
 * handed work to the applier), an event that needs nothing, or a refusal the sender must fix.
 */
export type WebhookOutcome =
  | { kind: 'grant'; grant: GrantRecord; queued: boolean }
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused'; refusal: Refusal };

/** An outcome, `replay` when it repeats the one remembered for the same delivery. */
export type WebhookResult = WebhookOutcome & { replay?: true };

/** A delivery's signature does not verify (or the source has no secret), nothing stored. */
export class WebhookSignatureError extends UnauthorizedError {
  constructor(code: SignatureFailureCode, message: string) {
    super(message, code, { path: 'headers' });
    this.name = 'WebhookSignatureError';
  }
}

/** The same delivery is being processed right now (a concurrent duplicate): retry in a moment. */
export class DeliveryInProgressError extends StateConflictError {
  constructor(message = 'This delivery is being processed right now; retry in a moment') {
    super('webhook.delivery-in-progress', message, { retryAfterSeconds: 2 });
    this.name = 'DeliveryInProgressError';
  }
}

/** The webhook source a path names, or a 404 naming the ones there are. */
export const webhookKindOf = (name: string | undefined): WebhookKind => {
  const kind = WEBHOOK_KINDS.find((known) => known === name);
  if (kind === undefined)
    throw new NotFoundError(
      'webhook.unknown-source',
      `No webhook source "${name ?? ''}"; use one of ${WEBHOOK_KINDS.join(', ')}.`,
      { path: 'path.source' },
    );
  return kind;
};

export interface WebhookDelivery {
  kind: WebhookKind;
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received (signatures cover bytes). */
  rawBody: RawBody;
  /** The source's secrets (several during rotation); none → every delivery is refused. */
  secrets: readonly string[];
}

const IN_PROGRESS = { state: 'in-progress' } as const;

const isInProgress = (result: unknown): boolean =>
  typeof result === 'object' && result !== null && 'state' in result && result.state === 'in-progress';

const OUTCOME_KINDS: readonly string[] = ['grant', 'ignored', 'refused'] satisfies WebhookOutcome['kind'][];

const isOutcome = (value: unknown): value is WebhookOutcome =>
  typeof value === 'object' &&
  value !== null &&
  'kind' in value &&
  typeof value.kind === 'string' &&
  OUTCOME_KINDS.includes(value.kind);

const replayOf = (outcome: WebhookOutcome): WebhookResult => ({ ...outcome, replay: true });

/** Jira signs no timestamp; its body's own `timestamp` (ms, signed) must fall inside the remember window. */
const checkJiraAge = (body: unknown, nowMs: number): void => {
  const stamp = typeof body === 'object' && body !== null && 'timestamp' in body ? body.timestamp : undefined;
  // Every Jira Cloud delivery carries it: without it (or as text) the age cannot be checked, and a
  // signed body could be replayed after its delivery record expired.
  if (typeof stamp !== 'number' || !Number.isFinite(stamp))
    throw new ValidationError(
      [
        {
          path: 'timestamp',
          code: 'webhook.invalid-payload',
          message: 'A Jira delivery carries its timestamp (epoch milliseconds, a number): this one has none',
        },
      ],
      'The delivery cannot be read as a ticket event',
    );
  if (Math.abs(nowMs - stamp) > (DELIVERY_TTL_SECONDS - 3600) * 1000) {
    throw new WebhookSignatureError(
      'signature.expired',
      'the delivery is older than the replay window (its timestamp); send a new event',
    );
  }
};

const mappingOptions = (deps: AppDeps, kind: WebhookKind): TicketMappingOptions => {
  const hook: unknown = deps.config.webhooks[kind];
  if (typeof hook !== 'object' || hook === null) return {};
  const options: TicketMappingOptions = {};
  if ('grantField' in hook && typeof hook.grantField === 'string') options.grantField = hook.grantField;
  if ('dataPlane' in hook && typeof hook.dataPlane === 'string') options.dataPlane = hook.dataPlane;
  if ('statuses' in hook && typeof hook.statuses === 'object' && hook.statuses !== null) {
    options.statuses = hook.statuses as TicketMappingOptions['statuses'];
  }
  return options;
};

/** Where each kind's payload carries the grant request (prefix of 422 paths). */
const GRANT_FIELD_PATH: Record<WebhookKind, (field: string) => string> = {
  generic: () => 'grant',
  jira: (field) => `issue.fields.${field}`,
  servicenow: (field) => field,
};

const grantAnswer = (grant: GrantRecord, queued: boolean): WebhookOutcome => ({ kind: 'grant', grant, queued });

const ignored = (reason: string): WebhookOutcome => ({ kind: 'ignored', reason });

const ticketText = (event: TicketEvent): string => `${event.ticket.system} ticket ${event.ticket.key}`;

/** Runs what a mapped ticket event means for its grant (the use cases decide who may do what). */
const act = async (deps: AppDeps, kind: WebhookKind, event: TicketEvent): Promise<WebhookOutcome> => {
  if (event.kind === 'ignored') return ignored(event.ignoredReason ?? 'the event needs no action');
  const linked = await deps.grants.findGrantByTicket(kind, event.ticket.system, event.ticket.key);
  const via = `via ${kind} webhook, ${ticketText(event)}`;

  if (event.kind === 'created') {
    // A ticket creates one grant: a second "created" for it (a re-sent event) answers that grant.
    if (linked !== null) return grantAnswer(linked, false);
    const requester: Identity = { sub: event.requester ?? event.actor, roles: ['requester'] };
    // Two different deliveries creating the same ticket's grant at once (a resent event) must not
    // make two grants: a short lease per ticket, on the delivery records' conditional put.
    const now = deps.clock.now();
    const lease = {
      source: `ticket#${kind}`,
      deliveryId: `${event.ticket.system}#${event.ticket.key}`,
      at: now.toISOString(),
      result: IN_PROGRESS,
    };
    if ((await deps.deliveries.claimDelivery(lease, IN_PROGRESS_TTL_SECONDS, now)) !== null) {
      const meanwhile = await deps.grants.findGrantByTicket(kind, event.ticket.system, event.ticket.key);
      if (meanwhile !== null) return grantAnswer(meanwhile, false);
      throw new DeliveryInProgressError(
        `Another delivery is creating the grant of ${ticketText(event)}; retry in a moment`,
      );
    }
    try {
      // Look again under the lease: a delivery that held it a moment ago may have created the grant.
      const meanwhile = await deps.grants.findGrantByTicket(kind, event.ticket.system, event.ticket.key);
      if (meanwhile !== null) return grantAnswer(meanwhile, false);
      const grant = await submitGrant(deps, {
        request: event.grant,
        actor: requester,
        source: kind,
        ticket: event.ticket,
        detail: via,
      });
      return grantAnswer(grant, grant.status === 'approved');
    } catch (error: unknown) {
      // Name the field of the ticket the grant came from, so the fix is found where it was written.
      if (!(error instanceof ValidationError)) throw error;
      const at = GRANT_FIELD_PATH[kind](mappingOptions(deps, kind).grantField ?? 'description');
      throw new ValidationError(
        error.violations.map((violation) => ({
          ...violation,
          path: violation.path === '' ? at : `${at}.${violation.path}`,
        })),
        `The grant request in ${ticketText(event)} breaks the documented rules`,
      );
    } finally {
      await deps.deliveries.rememberDelivery(lease, 0);
    }
  }

  if (linked === null) {
    // Jira and ServiceNow send every ticket's transitions; only tickets that created a grant matter.
    if (kind !== 'generic') return ignored(`no grant is linked to ${ticketText(event)}`);
    throw new NotFoundError(
      'webhook.grant-not-found',
      `No grant is linked to ${ticketText(event)}: send ticket.created with the grant first`,
    );
  }
  const approver: Identity = { sub: event.actor, roles: ['approver'] };
  switch (event.kind) {
    case 'approved':
      // A repeated approval (another delivery of the same transition) changes nothing.
      if (linked.status === 'approved' || linked.status === 'active') return grantAnswer(linked, false);
      return grantAnswer(await approveGrant(deps, { id: linked.id, actor: approver, comment: via }), true);
    case 'rejected':
      if (linked.status === 'rejected') return grantAnswer(linked, false);
      return grantAnswer(await rejectGrant(deps, { id: linked.id, actor: approver, comment: via }), false);
    case 'closed': {
      if (linked.status === 'rejected') return grantAnswer(linked, false);
      const revoked = await revokeGrant(deps, {
        id: linked.id,
        actor: { sub: event.actor, roles: ['approver', 'admin'] },
        comment: via,
      });
      return grantAnswer(revoked, revoked.status === 'revoking' && linked.status !== 'revoking');
    }
  }
};

/**
 * Handles one webhook delivery (docs/webhooks.md): verify the signature (WebhookSignatureError, nothing
 * stored), claim the delivery (a replay answers the first result; a concurrent duplicate gets
 * DeliveryInProgressError), map the payload (a ValidationError on a grant that does not parse), run
 * the use case, and remember its outcome. A refusal (what the sender must fix) is remembered and
 * returned as one; a failure of ours releases the claim and propagates, so the sender's retry is
 * processed afresh. `body` is the parsed JSON of `rawBody`.
 */
export const receiveWebhook = async (
  deps: AppDeps,
  delivery: WebhookDelivery,
  body: unknown,
): Promise<WebhookResult> => {
  const now = deps.clock.now();
  const verified = verifyWebhookDelivery(
    delivery.kind,
    delivery.headers,
    delivery.rawBody,
    delivery.secrets,
    Math.floor(now.getTime() / 1000),
  );
  if (!verified.ok) throw new WebhookSignatureError(verified.code, `Webhook signature refused: ${verified.reason}`);
  if (delivery.kind === 'jira') checkJiraAge(body, now.getTime());

  const base = { source: delivery.kind, deliveryId: verified.deliveryId, at: now.toISOString() };
  const seen = await deps.deliveries.claimDelivery({ ...base, result: IN_PROGRESS }, IN_PROGRESS_TTL_SECONDS, now);
  if (seen !== null) {
    if (isInProgress(seen.result) || !isOutcome(seen.result)) throw new DeliveryInProgressError();
    return replayOf(seen.result);
  }
  // Jira's delivery id (X-Atlassian-Webhook-Identifier, docs/webhooks.md) is remembered too: a redelivery
  // under the same id is a replay even if its signed body differs. The id is unsigned, so it only
  // ever adds replays on top of the signature key, never lets a delivery through.
  const alias = verified.externalId === undefined ? null : { ...base, deliveryId: `id:${verified.externalId}` };
  if (alias !== null) {
    const seenAlias = await deps.deliveries.claimDelivery(
      { ...alias, result: IN_PROGRESS },
      IN_PROGRESS_TTL_SECONDS,
      now,
    );
    if (seenAlias !== null) {
      await deps.deliveries.rememberDelivery({ ...base, result: IN_PROGRESS }, 0).catch(() => undefined);
      if (isInProgress(seenAlias.result) || !isOutcome(seenAlias.result)) throw new DeliveryInProgressError();
      return replayOf(seenAlias.result);
    }
  }
  const claims = alias === null ? [base] : [base, alias];

  let outcome: WebhookOutcome;
  try {
    const mapped = await mapTicketPayload(delivery.kind, body, mappingOptions(deps, delivery.kind));
    if (!mapped.ok) throw new ValidationError(mapped.errors, 'The delivery cannot be read as a ticket event');
    outcome = await act(deps, delivery.kind, mapped.event);
  } catch (error: unknown) {
    const refusal = refusalOf(error);
    if (refusal === null) {
      // Our failure: release the claim (remember it as already expired) so the sender's retry runs again.
      await Promise.all(
        claims.map((claim) =>
          deps.deliveries.rememberDelivery({ ...claim, result: IN_PROGRESS }, 0).catch(() => undefined),
        ),
      );
      throw error;
    }
    outcome = { kind: 'refused', refusal };
  }
  await Promise.all(
    claims.map((claim) => deps.deliveries.rememberDelivery({ ...claim, result: outcome }, DELIVERY_TTL_SECONDS)),
  );
  return outcome;
};
