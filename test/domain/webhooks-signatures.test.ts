// docs/webhooks.md webhook signatures: generic/ServiceNow `t=…,v1=…` with a 300 s window, Jira `sha256=…`.
import { createHmac } from 'node:crypto';

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  signGeneric,
  signHub,
  verifyGenericSignature,
  verifyHubSignature,
  verifyServiceNowSignature,
} from '../../lib/domain/webhooks/signatures.js';

const NOW = 1_795_000_000;
const BODY = '{"event":"ticket.approved","ticket":{"system":"jira","key":"OPS-1"},"actor":{"id":"alice"}}';
const SECRET = 'whsec-current';
// Independent of the code under test: the docs/webhooks.md formula written out.
const hmac = (secret: string, message: string): string => createHmac('sha256', secret).update(message).digest('hex');

describe('verifyGenericSignature (docs/webhooks.md X-Grantplane-Signature)', () => {
  it('accepts a correct signature and returns it as the delivery id', () => {
    const v1 = hmac(SECRET, `${NOW}.${BODY}`);
    expect(verifyGenericSignature(`t=${NOW},v1=${v1}`, BODY, [SECRET], NOW)).toEqual({ ok: true, deliveryId: v1 });
  });

  it('tolerates spaces, upper-case hex and unknown extra schemes', () => {
    const v1 = hmac(SECRET, `${NOW}.${BODY}`);
    expect(verifyGenericSignature(` t=${NOW} , v1=${v1.toUpperCase()}, v2=abc`, BODY, [SECRET], NOW)).toEqual({
      ok: true,
      deliveryId: v1,
    });
  });

  it('rejects a missing header', () => {
    expect(verifyGenericSignature(undefined, BODY, [SECRET], NOW)).toMatchObject({
      ok: false,
      code: 'signature.missing',
    });
    expect(verifyGenericSignature('  ', BODY, [SECRET], NOW)).toMatchObject({ ok: false, code: 'signature.missing' });
  });

  it('rejects malformed headers', () => {
    const v1 = hmac(SECRET, `${NOW}.${BODY}`);
    for (const header of [
      v1,
      `v1=${v1}`,
      `t=${NOW}`,
      `t=abc,v1=${v1}`,
      `t=${NOW},v1=${v1.slice(2)}`,
      `t=${NOW},v1=${v1.slice(0, 63)}z`,
      `t=${NOW},t=${NOW},v1=${v1}`,
      `t=-5,v1=${v1}`,
      'sha256=' + v1,
    ]) {
      expect(verifyGenericSignature(header, BODY, [SECRET], NOW), header).toMatchObject({
        ok: false,
        code: 'signature.malformed',
      });
    }
  });

  it('rejects a signature made with another secret, or over another body', () => {
    expect(verifyGenericSignature(`t=${NOW},v1=${hmac('other', `${NOW}.${BODY}`)}`, BODY, [SECRET], NOW)).toMatchObject(
      {
        ok: false,
        code: 'signature.mismatch',
      },
    );
    expect(
      verifyGenericSignature(`t=${NOW},v1=${hmac(SECRET, `${NOW}.${BODY}`)}`, `${BODY} `, [SECRET], NOW),
    ).toMatchObject({
      ok: false,
      code: 'signature.mismatch',
    });
  });

  it('binds the timestamp: a signature moved to another t does not verify', () => {
    const v1 = hmac(SECRET, `${NOW}.${BODY}`);
    expect(verifyGenericSignature(`t=${NOW + 1},v1=${v1}`, BODY, [SECRET], NOW)).toMatchObject({
      ok: false,
      code: 'signature.mismatch',
    });
  });

  it('rejects t more than 300 s in the past or the future, accepts exactly 300 s', () => {
    for (const t of [NOW - 301, NOW + 301, 0]) {
      const header = `t=${t},v1=${hmac(SECRET, `${t}.${BODY}`)}`;
      expect(verifyGenericSignature(header, BODY, [SECRET], NOW), String(t)).toMatchObject({
        ok: false,
        code: 'signature.expired',
      });
    }
    for (const t of [NOW - 300, NOW + 300]) {
      const header = `t=${t},v1=${hmac(SECRET, `${t}.${BODY}`)}`;
      expect(verifyGenericSignature(header, BODY, [SECRET], NOW).ok, String(t)).toBe(true);
    }
  });

  it('accepts any of the configured secrets during rotation', () => {
    const oldSigned = `t=${NOW},v1=${hmac('whsec-old', `${NOW}.${BODY}`)}`;
    expect(verifyGenericSignature(oldSigned, BODY, [SECRET, 'whsec-old'], NOW).ok).toBe(true);
    expect(verifyGenericSignature(oldSigned, BODY, [SECRET], NOW).ok).toBe(false);
  });

  it('accepts a header carrying two v1 signatures when one matches', () => {
    const good = hmac(SECRET, `${NOW}.${BODY}`);
    const header = `t=${NOW},v1=${hmac('retired', `${NOW}.${BODY}`)},v1=${good}`;
    expect(verifyGenericSignature(header, BODY, [SECRET], NOW)).toEqual({ ok: true, deliveryId: good });
  });

  it('answers every delivery with a failure when no secret is configured', () => {
    const header = `t=${NOW},v1=${hmac('', `${NOW}.${BODY}`)}`;
    expect(verifyGenericSignature(header, BODY, [], NOW)).toMatchObject({ ok: false, code: 'signature.no-secret' });
    expect(verifyGenericSignature(header, BODY, [''], NOW)).toMatchObject({ ok: false, code: 'signature.no-secret' });
  });

  it('verifies byte bodies exactly like the same text', () => {
    const header = signGeneric(BODY, SECRET, NOW);
    expect(verifyGenericSignature(header, Buffer.from(BODY, 'utf8'), [SECRET], NOW).ok).toBe(true);
    expect(header).toBe(`t=${NOW},v1=${hmac(SECRET, `${NOW}.${BODY}`)}`);
  });

  it('never throws, and accepts only what it signed (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string()),
        fc.string(),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.integer(),
        (header, body, secrets, now) => {
          const result = verifyGenericSignature(header ?? undefined, body, secrets, now);
          if (result.ok) expect(header).toContain(result.deliveryId);
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (body, secret) => {
        expect(verifyGenericSignature(signGeneric(body, secret, NOW), body, [secret], NOW).ok).toBe(true);
      }),
    );
  });
});

describe('verifyServiceNowSignature (X-ServiceNow-Signature, the generic scheme)', () => {
  it('uses t=…,v1=… with the same window', () => {
    expect(verifyServiceNowSignature(signGeneric(BODY, SECRET, NOW), BODY, [SECRET], NOW).ok).toBe(true);
    expect(verifyServiceNowSignature(signGeneric(BODY, SECRET, NOW - 400), BODY, [SECRET], NOW)).toMatchObject({
      code: 'signature.expired',
    });
  });
});

describe('verifyHubSignature (docs/webhooks.md Jira X-Hub-Signature)', () => {
  const header = `sha256=${hmac(SECRET, BODY)}`;

  it('accepts sha256=<hex HMAC of the raw body>', () => {
    expect(verifyHubSignature(header, BODY, [SECRET])).toEqual({ ok: true, deliveryId: hmac(SECRET, BODY) });
    expect(signHub(BODY, SECRET)).toBe(header);
  });

  it('rejects missing, malformed, wrong-secret and changed-body deliveries', () => {
    expect(verifyHubSignature(undefined, BODY, [SECRET])).toMatchObject({ ok: false, code: 'signature.missing' });
    expect(verifyHubSignature(hmac(SECRET, BODY), BODY, [SECRET])).toMatchObject({
      ok: false,
      code: 'signature.malformed',
    });
    expect(verifyHubSignature(`sha1=${hmac(SECRET, BODY)}`, BODY, [SECRET])).toMatchObject({
      ok: false,
      code: 'signature.malformed',
    });
    expect(verifyHubSignature(`sha256=${hmac('x', BODY)}`, BODY, [SECRET])).toMatchObject({
      ok: false,
      code: 'signature.mismatch',
    });
    expect(verifyHubSignature(header, `${BODY}\n`, [SECRET])).toMatchObject({ ok: false, code: 'signature.mismatch' });
    expect(verifyHubSignature(header, BODY, [])).toMatchObject({ ok: false, code: 'signature.no-secret' });
  });

  it('accepts a rotated secret', () => {
    expect(verifyHubSignature(header, BODY, ['next', SECRET]).ok).toBe(true);
  });
});
