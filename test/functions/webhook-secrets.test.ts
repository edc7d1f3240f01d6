// Webhook secrets from Secrets Manager (DESIGN §10 "Secrets Manager in AWS"): the SigV4 signing is
// checked against the AWS SDK's own signer (@smithy/signature-v4), and the webhook handler reads the
// secret through a loopback endpoint that verifies every signature with that signer — the IAM
// emulator's approach for a service that cannot run locally.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSecrets, makeHandler } from '../../functions/webhook.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import {
  makeSecretsManagerReader,
  signSecretsManagerRequest,
  SecretsReadError,
} from '../../lib/adapters/secrets/secrets-manager.js';
import { parseConfig } from '../../lib/domain/config.js';
import { signGeneric } from '../../lib/domain/webhooks/index.js';
import { buildDeps } from '../../lib/wiring.js';
import { counterIds, freshTable, TestClock, TEST_CONFIG } from '../helpers/dynamo.js';
import { apiEvent, lambdaContext } from './events.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/webhook/generic-AbCdEf';

/** SHA-256 for the SDK signer, on node:crypto (what @aws-crypto/sha256-js would give). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {}
}

/** What the SDK's signer writes as Authorization for the same request. */
async function sdkAuthorization(
  request: { headers: Record<string, string>; body: string; url: string },
  signingDate: Date,
): Promise<string> {
  const url = new URL(request.url);
  const signer = new SignatureV4({
    service: 'secretsmanager',
    region: 'us-west-2',
    credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const { authorization: _drop, 'x-amz-date': _date, 'x-amz-security-token': _token, ...headers } = request.headers;
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers,
      body: request.body,
    },
    { signingDate },
  );
  return String(signed.headers.authorization);
}

let secretsServer: Server;
let endpoint: string;
let calls = 0;
let secretString = 'sm-old,sm-new';

beforeAll(async () => {
  secretsServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        calls += 1;
        const body = Buffer.concat(chunks).toString('utf8');
        // Verify over the headers the client says it signed (fetch adds others: accept, user-agent, …).
        const signedNames = /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))?.[1]?.split(';') ?? [];
        const headers = Object.fromEntries(
          Object.entries(req.headers)
            .filter(([k]) => signedNames.includes(k) || k === 'authorization')
            .map(([k, v]) => [k, String(v)]),
        );
        const amzDate = headers['x-amz-date'] ?? '';
        const date = new Date(
          `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
        );
        const expected = await sdkAuthorization({ headers, body, url: `${endpoint}${req.url ?? '/'}` }, date);
        const ok =
          headers.authorization === expected &&
          headers['x-amz-target'] === 'secretsmanager.GetSecretValue' &&
          JSON.parse(body).SecretId === ARN;
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify(
            ok
              ? { ARN, Name: 'grantplane/webhook/generic', SecretString: secretString }
              : { __type: 'AccessDeniedException' },
          ),
        );
      })();
    });
  });
  await new Promise<void>((resolve) => secretsServer.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(secretsServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => secretsServer.close(() => resolve()));
});

describe('Secrets Manager reader (SigV4)', () => {
  it('signs exactly as the AWS SDK signer does', async () => {
    const now = new Date('2026-11-23T04:00:00Z');
    const request = signSecretsManagerRequest({
      region: 'us-west-2',
      target: 'secretsmanager.GetSecretValue',
      body: JSON.stringify({ SecretId: ARN }),
      endpoint: 'https://secretsmanager.us-west-2.amazonaws.com/',
      credentials,
      now,
    });
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261123\/us-west-2\/secretsmanager\/aws4_request, /,
    );
    expect(request.headers.authorization).toBe(await sdkAuthorization(request, now));
  });

  it('reads a secret string; a refused call is a SecretsReadError naming the ARN, not the value', async () => {
    const read = makeSecretsManagerReader({ credentials, endpoint });
    expect(await read(ARN)).toBe('sm-old,sm-new');
    const wrongKey = makeSecretsManagerReader({ credentials: { ...credentials, secretAccessKey: 'wrong' }, endpoint });
    await expect(wrongKey(ARN)).rejects.toThrow(SecretsReadError);
    await expect(wrongKey(ARN)).rejects.toThrow(/AccessDeniedException/);
    await expect(read('arn:aws:s3:::bucket')).rejects.toThrow(/not a Secrets Manager secret ARN/);
  });
});

describe('webhook secrets from the environment', () => {
  const env = {
    GRANTPLANE_WEBHOOK_SECRET_ARN_GENERIC: ARN,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    GRANTPLANE_WEBHOOK_SECRET_JIRA: ' jira-a , jira-b ',
  };
  it('plain values are split on commas; an ARN is read (rotation list) and cached, then re-read', async () => {
    let now = 0;
    const before = calls;
    const secrets = envSecrets({ ...env, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint }, undefined, () => now);
    expect(await secrets('jira')).toEqual(['jira-a', 'jira-b']);
    expect(await secrets('servicenow')).toEqual([]);
    expect(await secrets('generic')).toEqual(['sm-old', 'sm-new']);
    expect(await secrets('generic')).toEqual(['sm-old', 'sm-new']);
    expect(calls - before).toBe(1);
    secretString = 'sm-new';
    now += 5 * 60_000 + 1;
    expect(await secrets('generic')).toEqual(['sm-new']);
    expect(calls - before).toBe(2);
    secretString = 'sm-old,sm-new';
  });

  it('the webhook handler verifies deliveries with the secret read from Secrets Manager', async () => {
    const table = await freshTable();
    const clock = new TestClock(new Date('2026-11-23T04:00:00Z'));
    const deps = buildDeps({
      client: table.client,
      tableName: table.tableName,
      config: parseConfig(TEST_CONFIG),
      clock,
      ids: counterIds('01SECR'),
    });
    const handler = makeHandler(deps, {
      auth: parseAuthEnv({}),
      logger: new Logger({ logLevel: 'SILENT' }),
      secrets: envSecrets({ ...env, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint }),
    });
    const text = JSON.stringify({
      event: 'ticket.created',
      ticket: { system: 'servicedesk', key: 'SM-1' },
      actor: { id: 'alice' },
      grant: {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
        resource: { type: 's3', bucket: 'acme-sm', access: 'read' },
      },
    });
    const t = Math.floor(clock.now().getTime() / 1000);
    const send = (secret: string) =>
      handler(
        apiEvent({
          method: 'POST',
          path: '/v1/webhooks/generic',
          headers: { 'Content-Type': 'application/json', 'X-Grantplane-Signature': signGeneric(text, secret, t) },
          body: text,
        }),
        lambdaContext(),
      );
    expect((await send('not-it')).statusCode).toBe(401);
    const accepted = await send('sm-new');
    expect(accepted.statusCode).toBe(200);
    expect(JSON.parse(accepted.body ?? '{}').grant).toMatchObject({ status: 'pending-approval', source: 'generic' });
  });
});
