// The "Ticket webhooks" walk-through of docs/webhooks.md, run as written: a bash script that signs the generic
// webhook with openssl and sends it with curl to the local server (lib/local/server.ts) — created,
// approved by another person, replayed, and a bad signature refused (docs/api.md, docs/webhooks.md).
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../lib/local/server.js';
import { startExampleServer } from '../helpers/local-server.js';

const SECRET = 'dev-webhook-secret';
let server: LocalServer;

// Keep in step with docs/webhooks.md: the same commands, with API instead of 127.0.0.1:8080.
const SEND = String.raw`
send() { # send <source> <json body>: sign as X-Grantplane-Signature and POST
  T=$(date +%s)
  SIG=$(printf '%s.%s' "$T" "$2" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
  curl -sS -X POST "$API/v1/webhooks/$1" -H 'Content-Type: application/json' \
    -H "X-Grantplane-Signature: t=$T,v1=$SIG" --data-binary "$2" -w ' %{http_code}\n'
}
`;
const CREATED = `{"event":"ticket.created","ticket":{"system":"servicedesk","key":"SD-42"},"actor":{"id":"alice"},"grant":{"dataPlane":"prod","scope":{"type":"project-domain","project":"flytesnacks","domain":"staging"},"resource":{"type":"s3","bucket":"acme-ml-data","prefix":"team-a/","access":"read"},"justification":"training jobs read features"}}`;
const APPROVED = `{"event":"ticket.approved","ticket":{"system":"servicedesk","key":"SD-42"},"actor":{"id":"bob"}}`;

function bash(script: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { env: { PATH: process.env.PATH ?? '', API: server.url, SECRET } },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
        else resolvePromise(stdout);
      },
    );
  });
}

/** `<json> <status>` lines as curl -w prints them. */
const answers = (stdout: string): { status: number; body: Record<string, unknown> }[] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => {
      const at = line.lastIndexOf(' ');
      return { status: Number(line.slice(at + 1)), body: JSON.parse(line.slice(0, at)) as Record<string, unknown> };
    });

beforeAll(async () => {
  server = await startExampleServer({ GRANTPLANE_WEBHOOK_SECRET_GENERIC: `old-secret, ${SECRET}` });
});

afterAll(async () => {
  await server?.close();
});

describe('generic webhook on the local server, signed with openssl (docs/webhooks.md)', () => {
  it('created → 200 pending; approved by bob → 202 approved; the same delivery again → 200 replay', async () => {
    const out = await bash(`${SEND}\nsend generic '${CREATED}'\nsend generic '${APPROVED}'`);
    const [created, approved] = answers(out);
    expect(created?.status).toBe(200);
    expect(created?.body).toMatchObject({
      status: 'pending-approval',
      source: 'generic',
      requester: 'alice',
      ticket: { system: 'servicedesk', key: 'SD-42' },
    });
    expect(approved?.status).toBe(202);
    expect(approved?.body).toMatchObject({ status: 'approved', approvedBy: 'bob' });

    // A replay is the same bytes with the same signature header.
    const replay = await bash(
      `T=$(date +%s); SIG=$(printf '%s.%s' "$T" '${APPROVED}' | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
       for i in 1 2; do curl -sS -X POST "$API/v1/webhooks/generic" -H 'Content-Type: application/json' -H "X-Grantplane-Signature: t=$T,v1=$SIG" --data-binary '${APPROVED}' -w ' %{http_code}\\n'; done`,
    );
    const [first, second] = answers(replay);
    expect(first?.status).toBe(200); // already approved: nothing to do
    expect(second).toEqual({ status: 200, body: { ...first?.body, replay: true } });
  });

  it('a wrong secret → 401 problem+json', async () => {
    const out = await bash(`SECRET=not-the-secret\n${SEND}\nsend generic '${APPROVED}'`);
    const [refused] = answers(out);
    expect(refused?.status).toBe(401);
    expect(refused?.body).toMatchObject({ status: 401, errors: [{ code: 'signature.mismatch' }] });
  });
});
