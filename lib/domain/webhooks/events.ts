// Ticket-system payloads → one normalized TicketEvent (docs/webhooks.md). Pure mapping: who may do
// what (e.g. "approved by the actor, never the requester") is decided by the use case, which
// knows the stored grant; these functions only say what the payload means.

import type { RuleViolation } from '../model.js';
import { readGrantFromField } from './grant-text.js';

export type TicketEventKind = 'created' | 'approved' | 'rejected' | 'closed' | 'ignored';

export interface TicketRef {
  system: string;
  key: string;
  url?: string;
}

/** What a delivery means for the grant linked to its ticket. */
export interface TicketEvent {
  kind: TicketEventKind;
  ticket: TicketRef;
  /** Who caused the event (Jira accountId, ServiceNow user_name, generic actor.id). */
  actor: string;
  /** The ticket's requester (Jira reporter, ServiceNow opened_by), when the payload names one. */
  requester?: string;
  /** The grant request, only on `created` (not yet validated: the engine does that). */
  grant?: unknown;
  /** Why an `ignored` event is ignored, for the log and the 200 answer. */
  ignoredReason?: string;
}

export type TicketEventResult = { ok: true; event: TicketEvent } | { ok: false; errors: RuleViolation[] };

/** What a ticket status (or ServiceNow approval/state value) does to the ticket's grant. */
export type TicketAction = 'approve' | 'reject' | 'close';

/** The per-source webhook configuration these mappers read (config `webhooks.<source>`). */
export interface TicketMappingOptions {
  /** Field holding the grant request: `description` (code block) or a custom field id. */
  grantField?: string;
  /** Status name → action. */
  statuses?: Readonly<Record<string, TicketAction>>;
  /** Plane filled into a created grant that names none. */
  dataPlane?: string;
}

/** Codes a mapping can answer with (README lists them with the docs/rules.md codes). */
export const WEBHOOK_CODES = {
  'webhook.invalid-payload':
    'The delivery is not a payload of this source (a required field is missing or has the wrong type).',
  'webhook.grant-missing': 'A ticket-created delivery carries no grant request (no code block, empty field).',
  'webhook.grant-unparseable': 'The grant request in the ticket is not valid YAML/JSON, or not an object.',
} as const;
export type WebhookCode = keyof typeof WEBHOOK_CODES;

const ACTION_TO_KIND: Record<TicketAction, TicketEventKind> = {
  approve: 'approved',
  reject: 'rejected',
  close: 'closed',
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** Walk `a.b.c` through plain objects; undefined where the path breaks. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

const invalid = (path: string, message: string): RuleViolation => ({ path, code: 'webhook.invalid-payload', message });

/** A status/state value looked up exactly first, then case-insensitively (Jira names are display names). */
function lookupAction(statuses: Readonly<Record<string, TicketAction>>, value: string): TicketAction | undefined {
  if (Object.hasOwn(statuses, value)) return statuses[value];
  const lower = value.trim().toLowerCase();
  const key = Object.keys(statuses).find((candidate) => candidate.trim().toLowerCase() === lower);
  return key === undefined ? undefined : statuses[key];
}

/** Fill the configured default plane into a grant that names none (docs/configuration.md `webhooks.*.dataPlane`). */
function withDefaultPlane(grant: Record<string, unknown>, dataPlane: string | undefined): Record<string, unknown> {
  if (dataPlane === undefined || Object.hasOwn(grant, 'dataPlane')) return grant;
  return { ...grant, dataPlane };
}

type GrantRead = { ok: true; grant: Record<string, unknown> } | { ok: false; errors: RuleViolation[] };

async function readGrant(
  value: unknown,
  path: string,
  requireCodeBlock: boolean,
  dataPlane: string | undefined,
): Promise<GrantRead> {
  const read = await readGrantFromField(value, requireCodeBlock);
  if (!read.ok) {
    return {
      ok: false,
      errors: [
        { path, code: read.missing ? 'webhook.grant-missing' : 'webhook.grant-unparseable', message: read.message },
      ],
    };
  }
  return { ok: true, grant: withDefaultPlane(read.grant, dataPlane) };
}

// ---------------------------------------------------------------------------------------------
// Generic source (docs/webhooks.md): { event, ticket: {system, key, url?}, actor: {id}, grant? }

const GENERIC_EVENTS: Record<string, TicketEventKind> = {
  'ticket.created': 'created',
  'ticket.approved': 'approved',
  // Not in docs/webhooks.md's list, but the TicketEvent has it and a ticket system may decline: accepted too.
  'ticket.rejected': 'rejected',
  'ticket.closed': 'closed',
};

/**
 * Map the generic webhook body (already JSON-parsed). `grant` is required on `ticket.created`
 * and refused on the other events (they find the grant by ticket); the requester of a created
 * ticket is its actor.
 */
export function mapGenericPayload(
  body: unknown,
  options: Pick<TicketMappingOptions, 'dataPlane'> = {},
): TicketEventResult {
  if (!isPlainObject(body)) return { ok: false, errors: [invalid('body', 'the body must be a JSON object')] };
  const errors: RuleViolation[] = [];
  const event = body['event'];
  const kind = typeof event === 'string' && Object.hasOwn(GENERIC_EVENTS, event) ? GENERIC_EVENTS[event] : undefined;
  if (kind === undefined)
    errors.push(invalid('event', `event must be one of ${Object.keys(GENERIC_EVENTS).join(', ')}`));

  const ticket = body['ticket'];
  const system = at(ticket, 'system');
  const key = at(ticket, 'key');
  const url = at(ticket, 'url');
  if (!isPlainObject(ticket)) errors.push(invalid('ticket', 'ticket must be an object {system, key, url?}'));
  else {
    if (!nonEmptyString(system))
      errors.push(invalid('ticket.system', 'ticket.system must be a non-empty string (e.g. "jira")'));
    if (!nonEmptyString(key))
      errors.push(invalid('ticket.key', 'ticket.key must be a non-empty string (e.g. "OPS-123")'));
    if (url !== undefined && typeof url !== 'string') errors.push(invalid('ticket.url', 'ticket.url must be a string'));
    for (const extra of Object.keys(ticket)) {
      if (!['system', 'key', 'url'].includes(extra))
        errors.push(
          invalid(
            `ticket.${extra === '' ? '[""]' : extra}`,
            `ticket.${extra} is not a ticket field (system, key, url)`,
          ),
        );
    }
  }
  const actor = at(body, 'actor.id');
  if (!nonEmptyString(actor)) errors.push(invalid('actor.id', 'actor.id must name who caused the event'));

  const hasGrant = Object.hasOwn(body, 'grant') && body['grant'] !== undefined && body['grant'] !== null;
  let grant: Record<string, unknown> | undefined;
  if (kind === 'created') {
    if (!hasGrant)
      errors.push({
        path: 'grant',
        code: 'webhook.grant-missing',
        message: 'ticket.created needs the grant request in grant',
      });
    else if (!isPlainObject(body['grant']))
      errors.push({
        path: 'grant',
        code: 'webhook.grant-unparseable',
        message: 'grant must be a grant request object',
      });
    else grant = withDefaultPlane(body['grant'], options.dataPlane);
  } else if (kind !== undefined && hasGrant) {
    errors.push(
      invalid('grant', `grant is only sent with ticket.created; ${String(event)} finds the grant by its ticket`),
    );
  }
  for (const extra of Object.keys(body)) {
    if (!['event', 'ticket', 'actor', 'grant'].includes(extra))
      errors.push(
        invalid(extra === '' ? '[""]' : extra, `${JSON.stringify(extra)} is not a field of the generic webhook body`),
      );
  }

  if (
    errors.length > 0 ||
    kind === undefined ||
    !nonEmptyString(system) ||
    !nonEmptyString(key) ||
    !nonEmptyString(actor)
  ) {
    return { ok: false, errors };
  }
  const ref: TicketRef = typeof url === 'string' ? { system, key, url } : { system, key };
  const mapped: TicketEvent = { kind, ticket: ref, actor };
  if (kind === 'created') {
    mapped.requester = actor;
    mapped.grant = grant;
  }
  return { ok: true, event: mapped };
}

// ---------------------------------------------------------------------------------------------
// Jira Cloud admin webhooks (docs/webhooks.md)

/** Browse URL of an issue from its REST `self` link (`https://acme.atlassian.net/rest/api/2/issue/10001`). */
function jiraBrowseUrl(self: unknown, key: string): string | undefined {
  if (typeof self !== 'string') return undefined;
  try {
    const url = new URL(self);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.origin}/browse/${encodeURIComponent(key)}`;
  } catch {
    // A malformed self link only costs the convenience URL.
    return undefined;
  }
}

/** A Jira user's id: Cloud sends `accountId`; Server/Data Center sends `name` / `key`. */
function jiraUserId(user: unknown): string | undefined {
  for (const field of ['accountId', 'name', 'key']) {
    const value = at(user, field);
    if (nonEmptyString(value)) return value;
  }
  return undefined;
}

/** Default Jira status map (the config's own default, repeated so the mapper works alone). */
export const DEFAULT_JIRA_STATUSES: Readonly<Record<string, TicketAction>> = {
  Approved: 'approve',
  Declined: 'reject',
  Done: 'close',
};

/**
 * Map a Jira Cloud webhook payload (already JSON-parsed):
 * - `jira:issue_created` → `created`, grant read from `grantField` (`description`: its first
 *   code block; a custom field: YAML/JSON text, a code block in it, or a JSON object), requester
 *   = reporter, actor = the webhook's `user` (the reporter when absent);
 * - `jira:issue_updated` with a `status` item in `changelog.items` → the configured action for
 *   its `toString` (approve / reject / close), actor = the webhook's `user`;
 * - anything else (other events, other field changes, unmapped statuses) → `ignored`.
 */
export async function mapJiraPayload(body: unknown, options: TicketMappingOptions = {}): Promise<TicketEventResult> {
  if (!isPlainObject(body)) return { ok: false, errors: [invalid('body', 'the body must be a JSON object')] };
  const webhookEvent = body['webhookEvent'];
  if (!nonEmptyString(webhookEvent))
    return { ok: false, errors: [invalid('webhookEvent', 'webhookEvent is missing: not a Jira webhook payload')] };

  const key = at(body, 'issue.key');
  if (webhookEvent !== 'jira:issue_created' && webhookEvent !== 'jira:issue_updated') {
    const ticket: TicketRef = { system: 'jira', key: nonEmptyString(key) ? key : '' };
    return {
      ok: true,
      event: {
        kind: 'ignored',
        ticket,
        actor: jiraUserId(body['user']) ?? '',
        ignoredReason: `${webhookEvent} does not change grants`,
      },
    };
  }
  if (!nonEmptyString(key)) return { ok: false, errors: [invalid('issue.key', 'issue.key is missing')] };
  const url = jiraBrowseUrl(at(body, 'issue.self'), key);
  const ticket: TicketRef = url === undefined ? { system: 'jira', key } : { system: 'jira', key, url };
  const requester = jiraUserId(at(body, 'issue.fields.reporter'));
  const user = jiraUserId(body['user']);

  if (webhookEvent === 'jira:issue_created') {
    if (requester === undefined) {
      return {
        ok: false,
        errors: [
          invalid(
            'issue.fields.reporter.accountId',
            'the issue has no reporter: the requester of a grant must be known',
          ),
        ],
      };
    }
    const grantField = options.grantField ?? 'description';
    const fieldPath = `issue.fields.${grantField}`;
    const fields = at(body, 'issue.fields');
    const raw = isPlainObject(fields) && Object.hasOwn(fields, grantField) ? fields[grantField] : undefined;
    const read = await readGrant(raw, fieldPath, grantField === 'description', options.dataPlane);
    if (!read.ok) return read;
    return { ok: true, event: { kind: 'created', ticket, actor: user ?? requester, requester, grant: read.grant } };
  }

  // jira:issue_updated: only a status transition matters.
  const items = at(body, 'changelog.items');
  const statusIndex = Array.isArray(items)
    ? items.findLastIndex((item: unknown) => at(item, 'field') === 'status' || at(item, 'fieldId') === 'status')
    : -1;
  const base = { ticket, actor: user ?? '', ...(requester === undefined ? {} : { requester }) };
  if (!Array.isArray(items) || statusIndex < 0) {
    return { ok: true, event: { ...base, kind: 'ignored', ignoredReason: 'the update changes no status' } };
  }
  const toStatus = at(items[statusIndex], 'toString');
  if (!nonEmptyString(toStatus)) {
    return {
      ok: false,
      errors: [invalid(`changelog.items[${statusIndex}].toString`, 'the status change names no new status')],
    };
  }
  const action = lookupAction(options.statuses ?? DEFAULT_JIRA_STATUSES, toStatus);
  if (action === undefined) {
    return {
      ok: true,
      event: {
        ...base,
        kind: 'ignored',
        ignoredReason: `status "${toStatus}" is not mapped in webhooks.jira.statuses`,
      },
    };
  }
  if (user === undefined) {
    return {
      ok: false,
      errors: [invalid('user.accountId', `the ${action} transition names no user: who decided must be known`)],
    };
  }
  return { ok: true, event: { ...base, actor: user, kind: ACTION_TO_KIND[action] } };
}

// ---------------------------------------------------------------------------------------------
// ServiceNow
//
// ServiceNow has no standard webhook format, so grantplane documents one. A Business Rule
// (after insert/update, e.g. on sc_req_item or change_request) sends a flat JSON object through
// an outbound REST message, signed with X-ServiceNow-Signature (see signatures.ts):
//
//   {
//     "operation": "insert" | "update",          // current.operation()
//     "number": "RITM0010001",                   // the ticket key
//     "url": "https://acme.service-now.com/…",   // optional link to the record
//     "opened_by": "jdoe",                       // user_name of the requester
//     "sys_updated_by": "asmith",                // user_name of who made this change
//     "approved_by": "asmith",                   // optional; who approved/rejected (from sysapproval_approver),
//                                                //   preferred over sys_updated_by, which may be "system"
//     "approval": "approved", "previous_approval": "requested",           // optional
//     "state": "Closed Complete", "previous_state": "Work in Progress",   // optional, display values
//     "description": "… ```yaml … ``` …"         // or the configured grantField (u_grant_request, …)
//   }
//
// - insert → `created`; the grant comes from `grantField` (default description: its first code
//   block, wiki or Markdown; another field: YAML/JSON text or an object); requester = opened_by.
// - update → the approval value is looked up in `statuses` when it changed (previous_approval
//   absent or different), else the state value when it changed; the first mapped action wins.
//   With no `statuses` configured: approval approved → approve, rejected → reject; state
//   "Closed Complete" / "Closed Incomplete" / "Closed Skipped" / "Cancelled" (or their numbers
//   3 / 4 / 7) → close. Anything else → `ignored`.

/** Default ServiceNow value map, used when `webhooks.servicenow.statuses` is empty. */
export const DEFAULT_SERVICENOW_STATUSES: Readonly<Record<string, TicketAction>> = {
  approved: 'approve',
  rejected: 'reject',
  'Closed Complete': 'close',
  'Closed Incomplete': 'close',
  'Closed Skipped': 'close',
  Cancelled: 'close',
  Canceled: 'close',
  '3': 'close',
  '4': 'close',
  '7': 'close',
};

/** Map a ServiceNow Business Rule payload (the format documented above, already JSON-parsed). */
export async function mapServiceNowPayload(
  body: unknown,
  options: TicketMappingOptions = {},
): Promise<TicketEventResult> {
  if (!isPlainObject(body)) return { ok: false, errors: [invalid('body', 'the body must be a JSON object')] };
  const errors: RuleViolation[] = [];
  const operation = body['operation'];
  if (operation !== 'insert' && operation !== 'update')
    errors.push(invalid('operation', 'operation must be "insert" or "update" (current.operation())'));
  const key = body['number'];
  if (!nonEmptyString(key)) errors.push(invalid('number', 'number (the ticket number, e.g. RITM0010001) is missing'));
  const url = body['url'];
  if (url !== undefined && typeof url !== 'string') errors.push(invalid('url', 'url must be a string'));
  const openedBy = body['opened_by'];
  const updatedBy = body['sys_updated_by'];
  const decidedBy = nonEmptyString(body['approved_by']) ? body['approved_by'] : updatedBy;
  if (operation === 'insert' && !nonEmptyString(openedBy))
    errors.push(invalid('opened_by', 'opened_by (the requester) is missing'));
  if (errors.length > 0 || !nonEmptyString(key)) return { ok: false, errors };

  const ticket: TicketRef =
    typeof url === 'string' && url !== '' ? { system: 'servicenow', key, url } : { system: 'servicenow', key };
  const requester = nonEmptyString(openedBy) ? openedBy : undefined;

  if (operation === 'insert' && requester !== undefined) {
    const grantField = options.grantField ?? 'description';
    const raw = Object.hasOwn(body, grantField) ? body[grantField] : undefined;
    const read = await readGrant(raw, grantField, grantField === 'description', options.dataPlane);
    if (!read.ok) return read;
    return {
      ok: true,
      event: {
        kind: 'created',
        ticket,
        actor: nonEmptyString(updatedBy) ? updatedBy : requester,
        requester,
        grant: read.grant,
      },
    };
  }

  const statuses =
    options.statuses !== undefined && Object.keys(options.statuses).length > 0
      ? options.statuses
      : DEFAULT_SERVICENOW_STATUSES;
  const changed = (field: string): string | undefined => {
    const value = body[field];
    const previous = body[`previous_${field}`];
    return nonEmptyString(value) && value !== previous ? value : undefined;
  };
  const base = {
    ticket,
    actor: nonEmptyString(decidedBy) ? decidedBy : '',
    ...(requester === undefined ? {} : { requester }),
  };
  for (const field of ['approval', 'state']) {
    const value = changed(field);
    const action = value === undefined ? undefined : lookupAction(statuses, value);
    if (action === undefined) continue;
    if (!nonEmptyString(decidedBy)) {
      return {
        ok: false,
        errors: [
          invalid(
            'sys_updated_by',
            `the ${action} change names no user: who decided must be known (approved_by or sys_updated_by)`,
          ),
        ],
      };
    }
    return { ok: true, event: { ...base, actor: decidedBy, kind: ACTION_TO_KIND[action] } };
  }
  return {
    ok: true,
    event: { ...base, kind: 'ignored', ignoredReason: 'neither approval nor state changed to a mapped value' },
  };
}
