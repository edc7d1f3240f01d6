// One entry point per delivery for the webhook handler (docs/webhooks.md): pick the signature scheme
// and the payload mapping by the source's kind, and name the delivery for replay detection.

import {
  JIRA_DELIVERY_ID_HEADER,
  SIGNATURE_HEADERS,
  verifyGenericSignature,
  verifyHubSignature,
  verifyServiceNowSignature,
  type RawBody,
  type SignatureResult,
} from './signatures.js';
import { sha256Hex } from '../compile/hash.js';
import type { RuleViolation } from '../model.js';
import {
  mapGenericPayload,
  mapJiraPayload,
  mapServiceNowPayload,
  type TicketEvent,
  type TicketEventResult,
  type TicketMappingOptions,
} from './events.js';

import type { WebhookKind } from './kinds.js';

export { WEBHOOK_KINDS, type WebhookKind } from './kinds.js';

/** The header a lowercase name resolves to, whatever case the gateway delivered it in. */
function header(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * Verify a delivery's signature by the scheme of its kind. On success `deliveryId` is what replay
 * detection remembers: always the verified signature. For generic/ServiceNow it covers the
 * timestamp. For Jira — which signs no timestamp — docs/webhooks.md names `X-Atlassian-Webhook-Identifier`
 * as the delivery id, but that header is not signed: a captured body replayed under a fresh
 * identifier would pass. The body signature is the same for Jira's own retries (same body) and
 * differs between events (each body carries its `timestamp`), so it is the safer key; the
 * identifier is returned as `externalId` for logs and for remembering too.
 */
export function verifyWebhookDelivery(
  kind: WebhookKind,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: RawBody,
  secrets: readonly string[],
  nowSeconds: number,
): SignatureResult {
  switch (kind) {
    case 'generic':
      return verifyGenericSignature(header(headers, SIGNATURE_HEADERS.generic), rawBody, secrets, nowSeconds);
    case 'servicenow':
      return verifyServiceNowSignature(header(headers, SIGNATURE_HEADERS.servicenow), rawBody, secrets, nowSeconds);
    case 'jira': {
      const verified = verifyHubSignature(header(headers, SIGNATURE_HEADERS.jira), rawBody, secrets);
      if (!verified.ok) return verified;
      const identifier = header(headers, JIRA_DELIVERY_ID_HEADER)?.trim();
      if (identifier === undefined || identifier === '') return verified;
      // Remembered under a key: an id longer than any real one (a UUID) is kept as its hash.
      return { ...verified, externalId: identifier.length <= 128 ? identifier : `sha256:${sha256Hex(identifier)}` };
    }
  }
}

/** Map a parsed delivery body to a TicketEvent by the source's kind (options: config `webhooks.<source>`). */
export async function mapTicketPayload(
  kind: WebhookKind,
  body: unknown,
  options: TicketMappingOptions = {},
): Promise<TicketEventResult> {
  const mapped =
    kind === 'generic'
      ? mapGenericPayload(body, options.dataPlane === undefined ? {} : { dataPlane: options.dataPlane })
      : kind === 'jira'
        ? await mapJiraPayload(body, options)
        : await mapServiceNowPayload(body, options);
  return mapped.ok ? withinLimits(mapped.event) : mapped;
}

/** Longest ticket system, ticket key, actor and requester a delivery may name (they key stored items). */
export const TICKET_FIELD_LIMITS = { system: 64, key: 256, url: 2048, person: 256 } as const;

/**
 * A mapped event whose names fit: a ticket key or actor id of thousands of characters is a
 * delivery to refuse (422, naming the field), not a key DynamoDB refuses (a 500 the sender retries).
 */
function withinLimits(event: TicketEvent): TicketEventResult {
  const errors: RuleViolation[] = [];
  const check = (path: string, value: string | undefined, max: number) => {
    if (value !== undefined && value.length > max)
      errors.push({
        path,
        code: 'webhook.invalid-payload',
        message: `${path} has ${value.length} characters; at most ${max} are accepted`,
      });
  };
  check('ticket.system', event.ticket.system, TICKET_FIELD_LIMITS.system);
  check('ticket.key', event.ticket.key, TICKET_FIELD_LIMITS.key);
  check('ticket.url', event.ticket.url, TICKET_FIELD_LIMITS.url);
  check('actor', event.actor, TICKET_FIELD_LIMITS.person);
  check('requester', event.requester, TICKET_FIELD_LIMITS.person);
  return errors.length === 0 ? { ok: true, event } : { ok: false, errors };
}
