// The local HTTP adapter (docs/api.md): real HTTP into the very Lambda handlers, tokens verified the
// way API Gateway's JWT authorizer verifies them, against DynamoDB Local.
import { request as httpRequest } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runToken } from '../../lib/cli/token.js';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { InvalidTokenError, localJwtSecret, mintLocalToken, signJwt, verifyJwt } from '../../lib/local/jwt.js';
import type { LocalServer } from '../../lib/local/server.js';
import { startExampleServer } from '../helpers/local-server.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let server: LocalServer;

const token = (sub: string, roles: string[]) => mintLocalToken({ sub, roles }, DEV_JWT_SECRET);
const grantBody = {
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
  resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
  justification: 'training jobs read features',
};

beforeAll(async () => {
  server = await startExampleServer();
});

afterAll(async () => {
  await server?.close();
});

describe('local server', () => {
  it('serves a request with a minted token end to end: submit, approve, read', async () => {
    const created = await fetch(`${server.url}/v1/grants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('alice', ['requester'])}`, 'content-type': 'application/json' },
      body: JSON.stringify(grantBody),
    });
    expect(created.status).toBe(201);
    const grant = (await created.json()) as { id: string; status: string };
    expect(grant.status).toBe('pending-approval');

    const approved = await fetch(`${server.url}/v1/grants/${grant.id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('bob', ['approver'])}` },
    });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'approved', approvedBy: 'bob' });

    const target = await fetch(`${server.url}/v1/targets/prod/flytesnacks/staging`, {
      headers: { authorization: `Bearer ${token('carol', [])}` },
    });
    expect(target.status).toBe(200);
    expect(await target.json()).toMatchObject({ desired: { role: { name: 'acme-flytesnacks-staging' } } });
  });

  it('answers 401 {"message":"Unauthorized"} itself without a token, with a bad signature, or an expired token', async () => {
    const forged = mintLocalToken({ sub: 'mallory', roles: ['admin'] }, 'not-the-key');
    const expired = mintLocalToken(
      { sub: 'alice', roles: ['requester'], nowSeconds: 1_000_000, ttlSeconds: 60 },
      DEV_JWT_SECRET,
    );
    for (const authorization of [
      undefined,
      'Bearer',
      `Bearer ${forged}`,
      `Bearer ${expired}`,
      `Basic ${token('alice', ['requester'])}`,
    ]) {
      const answer = await fetch(`${server.url}/v1/grants`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(answer.status, String(authorization)).toBe(401);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(await answer.json()).toEqual({ message: 'Unauthorized' });
    }
  });

  it('takes the token alone, as API Gateway does, as well as after "Bearer "', async () => {
    for (const authorization of [token('alice', ['requester']), `bearer ${token('alice', ['requester'])}`]) {
      const answer = await fetch(`${server.url}/v1/grants`, { headers: { authorization } });
      expect(answer.status, authorization.slice(0, 8)).toBe(200);
    }
  });

  it('answers /healthz without a token, 403 problem+json for a missing role, and 404/405 for unknown routes', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const forbidden = await fetch(`${server.url}/v1/audit`, {
      headers: { authorization: `Bearer ${token('carol', ['requester'])}` },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toBe('application/problem+json');
    const missing = await fetch(`${server.url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 404, errors: [{ code: 'route.not-found' }] });
    const wrongMethod = await fetch(`${server.url}/healthz`, { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('lets signature routes through without a token: the webhook Lambda answers, not the authorizer', async () => {
    const answer = await fetch(`${server.url}/v1/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'ticket.closed', ticket: { system: 'jira', key: 'OPS-1' }, actor: { id: 'x' } }),
    });
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.status).toBeLessThan(500);
  });
});

describe('local server: the edges API Gateway has', () => {
  const admin = () => ({ authorization: `Bearer ${token('root', ['admin'])}` });
  const raw = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    new Promise<{ status: number; type: string | undefined; body: string }>((resolveAnswer, reject) => {
      // node's fetch normalises the path (dot segments): a raw request sends it as typed.
      const url = new URL(server.url);
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: init.method ?? 'GET',
          headers: { ...admin(), ...init.headers },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            resolveAnswer({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }),
          );
        },
      );
      request.on('error', reject);
      request.end(init.body);
    });

  it('keeps dot segments and double slashes as sent: /v1/grants/. is a grant id, /v1//grants no route', async () => {
    const dot = await raw('/v1/grants/.');
    expect(dot.status).toBe(404);
    expect(JSON.parse(dot.body)).toMatchObject({ errors: [{ code: 'grant.not-found' }] });
    const double = await raw('/v1//grants');
    expect(double.status).toBe(404);
    expect(JSON.parse(double.body)).toMatchObject({ errors: [{ code: 'route.not-found' }] });
    expect((await raw('/v1/grants/')).status).toBe(404);
  });

  it('answers a body over the payload limit with problem+json naming the body', async () => {
    const answer = await raw('/v1/grants', {
      method: 'POST',
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(413);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ path: 'body', code: 'request.too-large' }] });
  });

  it('refuses ?__proto__=1 as an unknown parameter instead of dropping it', async () => {
    const answer = await raw('/v1/grants?__proto__=1');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ code: 'request.unknown-field' }] });
  });

  it('refuses a token whose nbf is a string', async () => {
    const now = Math.floor(Date.now() / 1000);
    const odd = signJwt(
      {
        sub: 'alice',
        groups: ['requester'],
        iss: 'grantplane-local',
        aud: 'grantplane',
        iat: now,
        exp: now + 600,
        nbf: 'soon',
      },
      DEV_JWT_SECRET,
    );
    expect(() => verifyJwt(odd, DEV_JWT_SECRET)).toThrow(InvalidTokenError);
    expect((await raw('/v1/grants', { headers: { authorization: `Bearer ${odd}` } })).status).toBe(401);
  });
});

describe('local tokens', () => {
  it('round-trips claims and refuses alg none, tampering and foreign issuers', () => {
    const minted = mintLocalToken({ sub: 'alice', roles: ['requester', 'approver'] }, 'k');
    expect(verifyJwt(minted, 'k')).toMatchObject({
      sub: 'alice',
      groups: ['requester', 'approver'],
      iss: 'grantplane-local',
      aud: 'grantplane',
    });
    const [, payload] = minted.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect(() => verifyJwt(none, 'k')).toThrow(InvalidTokenError);
    const tampered = minted.replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ sub: 'root', iss: 'grantplane-local', aud: 'grantplane', exp: 4102444800 })).toString('base64url')}.`,
    );
    expect(() => verifyJwt(tampered, 'k')).toThrow(/signature/);
    const foreign = signJwt({ sub: 'a', iss: 'elsewhere', aud: 'grantplane', exp: 4102444800 }, 'k');
    expect(() => verifyJwt(foreign, 'k')).toThrow(/issuer/);
  });

  it('uses GRANTPLANE_LOCAL_JWT_SECRET when set', () => {
    expect(localJwtSecret({})).toBe(DEV_JWT_SECRET);
    expect(localJwtSecret({ GRANTPLANE_LOCAL_JWT_SECRET: 's3cret' })).toBe('s3cret');
  });

  it('grantplane token prints the token alone on stdout', async () => {
    let out = '';
    let err = '';
    const code = await runToken(['--sub', 'alice', '--roles', 'requester,approver'], {
      stdout: (text) => (out += text),
      stderr: (text) => (err += text),
      env: {},
      cwd: repo,
    });
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(verifyJwt(out.trim(), DEV_JWT_SECRET)).toMatchObject({ sub: 'alice', groups: ['requester', 'approver'] });
  });
});
