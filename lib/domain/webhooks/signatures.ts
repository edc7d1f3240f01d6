// Webhook signature checks (docs/webhooks.md). Pure: the caller passes the raw body exactly as
// received (signatures cover bytes, not parsed JSON), the secrets of the source (several during
// rotation) and the current time in seconds. Comparisons are constant-time.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names, lowercase as the handler's header normalizer delivers them. */
export const SIGNATURE_HEADERS = {
  generic: 'x-grantplane-signature',
  jira: 'x-hub-signature',
  /**
   * ServiceNow has no built-in webhook signing, so grantplane defines it: the outbound REST
   * message's script sets `X-ServiceNow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
   * "<t>.<raw body>")>` — the generic scheme under its own name (e.g. with
   * `new GlideCertificateEncryption().generateMac` / a scripted HMAC), so the same 300 s replay
   * window applies.
   */
  servicenow: 'x-servicenow-signature',
} as const;

/** Jira signs no timestamp: its replay protection is this delivery id, remembered per source. */
export const JIRA_DELIVERY_ID_HEADER = 'x-atlassian-webhook-identifier';

/** How far `t` may be from now, either way (docs/webhooks.md: "more than 300 s from now → 401"). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureFailureCode =
  'signature.missing' | 'signature.malformed' | 'signature.expired' | 'signature.mismatch' | 'signature.no-secret';

export type SignatureResult =
  | {
      ok: true;
      /** The verified signature (lowercase hex): the key replay detection remembers. */
      deliveryId: string;
      /** The sender's own delivery id, when it sends one (Jira's X-Atlassian-Webhook-Identifier). */
      externalId?: string;
    }
  | { ok: false; code: SignatureFailureCode; reason: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

const fail = (code: SignatureFailureCode, reason: string): SignatureResult => ({ ok: false, code, reason });

function usableSecrets(secrets: readonly string[]): string[] {
  return secrets.filter((secret) => typeof secret === 'string' && secret.length > 0);
}

/** The raw body as received: a string (UTF-8) or bytes (when the gateway base64-encoded it). */
export type RawBody = string | Uint8Array;

function hmacDigest(secret: string, parts: readonly RawBody[]): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** Whether any secret's HMAC over `parts` equals `signatureHex` (constant-time per secret). */
function matchesAnySecret(signatureHex: string, parts: readonly RawBody[], secrets: readonly string[]): boolean {
  const given = Buffer.from(signatureHex, 'hex');
  let matched = false;
  // Every secret is tried even after a match, so timing does not reveal which one matched.
  for (const secret of secrets) {
    const expected = hmacDigest(secret, parts);
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  return matched;
}

/**
 * Verify `X-Grantplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
 * against any of `secrets`, with `t` at most 300 s from `nowSeconds` either way. Several `v1=`
 * entries are accepted (a sender signing with old and new secret during rotation). On success the
 * delivery id is the matching signature (lowercase hex), the key for replay detection.
 */
export function verifyGenericSignature(
  header: string | undefined,
  rawBody: RawBody,
  secrets: readonly string[],
  nowSeconds: number,
): SignatureResult {
  const usable = usableSecrets(secrets);
  if (usable.length === 0) return fail('signature.no-secret', 'no webhook secret is configured for this source');
  if (header === undefined || header.trim() === '') return fail('signature.missing', 'the signature header is missing');

  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return fail('signature.malformed', 'the signature header must read t=<unix seconds>,v1=<hex>');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) return fail('signature.malformed', 'the signature header has more than one t=');
      timestamp = value;
    } else if (key === 'v1') {
      signatures.push(value.toLowerCase());
    }
    // Other keys (a future v2, say) are ignored so senders can add schemes without breaking us.
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return fail('signature.malformed', 'the signature header needs t=<unix seconds>');
  }
  if (signatures.length === 0 || !signatures.every((signature) => HEX_SHA256.test(signature))) {
    return fail('signature.malformed', 'the signature header needs v1=<64 hex digits of HMAC-SHA256>');
  }
  const age = nowSeconds - Number(timestamp);
  if (!Number.isFinite(age) || Math.abs(age) > SIGNATURE_TOLERANCE_SECONDS) {
    return fail(
      'signature.expired',
      `the signature timestamp is ${Math.round(Math.abs(age))} s ${age < 0 ? 'ahead of' : 'behind'} the server clock (at most ${SIGNATURE_TOLERANCE_SECONDS} s allowed)`,
    );
  }
  const parts = [`${timestamp}.`, rawBody];
  const matched = signatures.find((signature) => matchesAnySecret(signature, parts, usable));
  if (matched === undefined)
    return fail('signature.mismatch', 'the signature does not match the body for any configured secret');
  return { ok: true, deliveryId: matched };
}

/**
 * Verify Jira's `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` (WebSub form)
 * against any of `secrets`. There is no timestamp: replay protection is the caller's, by
 * `X-Atlassian-Webhook-Identifier` (JIRA_DELIVERY_ID_HEADER). The returned delivery id is the
 * signature, a fallback id for deliveries that lack that header.
 */
export function verifyHubSignature(
  header: string | undefined,
  rawBody: RawBody,
  secrets: readonly string[],
): SignatureResult {
  const usable = usableSecrets(secrets);
  if (usable.length === 0) return fail('signature.no-secret', 'no webhook secret is configured for this source');
  if (header === undefined || header.trim() === '') return fail('signature.missing', 'the signature header is missing');
  const match = /^\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(header);
  if (match === null || match[1] === undefined) {
    return fail('signature.malformed', 'the signature header must read sha256=<64 hex digits of HMAC-SHA256>');
  }
  const signature = match[1].toLowerCase();
  if (!matchesAnySecret(signature, [rawBody], usable)) {
    return fail('signature.mismatch', 'the signature does not match the body for any configured secret');
  }
  return { ok: true, deliveryId: signature };
}

/** Verify `X-ServiceNow-Signature`: the generic `t=…,v1=…` scheme (see SIGNATURE_HEADERS.servicenow). */
export function verifyServiceNowSignature(
  header: string | undefined,
  rawBody: RawBody,
  secrets: readonly string[],
  nowSeconds: number,
): SignatureResult {
  return verifyGenericSignature(header, rawBody, secrets, nowSeconds);
}

/** Build a generic / ServiceNow signature header (for senders, the CLI and tests). */
export function signGeneric(rawBody: RawBody, secret: string, timestampSeconds: number): string {
  const t = String(Math.floor(timestampSeconds));
  return `t=${t},v1=${hmacDigest(secret, [`${t}.`, rawBody]).toString('hex')}`;
}

/** Build Jira's `X-Hub-Signature` value (for tests and local tooling). */
export function signHub(rawBody: RawBody, secret: string): string {
  return `sha256=${hmacDigest(secret, [rawBody]).toString('hex')}`;
}
