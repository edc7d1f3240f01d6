// The one middy chain (docs/api.md): routing, identity, body checks and the
// problem+json error shape — all refused before any use case or table is touched.
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { makeHandler as makeGrantsHandler } from '../../functions/http/grants.js';
import { makeHandler as makeHealthHandler } from '../../functions/http/health.js';
import { makeHandler as makeAttributesHandler } from '../../functions/http/attributes.js';
import { makeHandler as makeAuditHandler } from '../../functions/http/audit.js';
import { makeHandler as makePlanHandler } from '../../functions/http/plan.js';
import { makeHandler as makeSourcesHandler } from '../../functions/http/sources.js';
import { makeHandler as makeTargetsHandler } from '../../functions/http/targets.js';
import { ROUTES } from '../../functions/shared/routes.js';
import { parseAuthEnv, AuthConfigError, claimValues, identityOf } from '../../functions/shared/auth.js';
import { makeHttpHandler, MAX_BODY_BYTES } from '../../functions/shared/http.js';
import type { HttpDeps } from '../../lib/wiring/http.js';
import { apiEvent, invoke } from './events.js';

// Any use of deps here is a bug: every request in this file must be refused by the chain first.
const noDeps = (): HttpDeps => {
  throw new Error('the chain let a refused request reach the use case');
};
const auth = parseAuthEnv({});
const logger = new Logger({ logLevel: 'SILENT' });
const grants = makeGrantsHandler(noDeps, { auth, logger });
const alice = { sub: 'alice', groups: ['requester'] };

const expectProblem = (
  answer: { status: number; headers: Record<string, string>; body: unknown },
  status: number,
  code: string,
) => {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body).toMatchObject({
    type: expect.stringMatching(/^urn:grantplane:problem:/),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  const errors = (answer.body as { errors: { path: string; code: string; message: string }[] }).errors;
  expect(errors.length).toBeGreaterThan(0);
  expect(errors[0]).toMatchObject({ path: expect.any(String), code, message: expect.any(String) });
};

describe('the HTTP chain', () => {
  it('answers GET /healthz without a token', async () => {
    const answer = await invoke(makeHealthHandler(), { method: 'GET', path: '/healthz' });
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(answer.headers['content-type']).toBe('application/json');
  });

  it('answers 404 problem+json for an unknown route', async () => {
    expectProblem(await invoke(grants, { method: 'GET', path: '/v1/nope', caller: alice }), 404, 'route.not-found');
  });

  it('answers 405 with an Allow header for a wrong method', async () => {
    const answer = await invoke(grants, { method: 'PATCH', path: '/v1/grants/abc', caller: alice });
    expectProblem(answer, 405, 'route.method-not-allowed');
    expect(answer.headers.allow).toBe('DELETE, GET');
  });

  it('refuses (401) an event that carries no authorizer claims (docs/api.md)', async () => {
    expectProblem(await invoke(grants, { method: 'GET', path: '/v1/grants' }), 401, 'auth.unauthenticated');
  });

  it('refuses (401) claims without a subject', async () => {
    expectProblem(
      await invoke(grants, { method: 'GET', path: '/v1/grants', caller: { groups: 'requester' } }),
      401,
      'auth.unauthenticated',
    );
  });

  it('answers 403 to a valid caller without the role', async () => {
    const answer = await invoke(grants, { method: 'POST', path: '/v1/grants/abc/approve', caller: alice, body: {} });
    expectProblem(answer, 403, 'auth.missing-role');
    expect((answer.body as { detail: string }).detail).toContain('approver');
  });

  it('lets approver or admin through to approve and reject, and nobody else (docs/api.md)', async () => {
    // noDeps makes a request that passed the role check a generic 500; a refused one is a 403.
    for (const verb of ['approve', 'reject']) {
      const path = `/v1/grants/abc/${verb}`;
      for (const groups of [['approver'], ['admin']]) {
        const passed = await invoke(grants, { method: 'POST', path, caller: { sub: 'x', groups }, body: {} });
        expect(passed.body, `${verb} ${groups.join()}`).toMatchObject({
          status: 500,
          type: 'urn:grantplane:problem:internal',
        });
      }
      const refused = await invoke(grants, { method: 'POST', path, caller: alice, body: {} });
      expectProblem(refused, 403, 'auth.missing-role');
      expect((refused.body as { detail: string }).detail).toContain('approver or admin');
    }
  });

  it('answers 413 to a body over 256 KB', async () => {
    const body = JSON.stringify({ justification: 'x'.repeat(MAX_BODY_BYTES) });
    expectProblem(
      await invoke(grants, {
        method: 'POST',
        path: '/v1/grants',
        caller: alice,
        body,
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'request.too-large',
    );
  });

  it.each([
    ['400 to malformed JSON', '{"scope": ', 'application/json', 400, 'request.malformed-json'],
    [
      '400 to a JSON body with a __proto__ key',
      '{"__proto__": {"x": 1}}',
      'application/json',
      400,
      'request.malformed-json',
    ],
    ['415 to a non-JSON content type', 'scope: global', 'text/plain', 415, 'request.unsupported-media-type'],
  ])('answers %s', async (_what, body, contentType, status, code) => {
    const answer = await invoke(grants, {
      method: 'POST',
      path: '/v1/grants',
      caller: alice,
      body,
      headers: { 'Content-Type': contentType },
    });
    expectProblem(answer, status, code);
  });

  it('answers 415 to YAML on a JSON-only route but not on PUT attributes (checked past the media type)', async () => {
    const admin = { sub: 'root', groups: ['admin'] };
    const yaml = { 'Content-Type': 'application/yaml' };
    expectProblem(
      await invoke(grants, { method: 'POST', path: '/v1/grants', caller: alice, body: 'a: b', headers: yaml }),
      415,
      'request.unsupported-media-type',
    );
    // The attributes route accepts YAML, so the request gets as far as the deps (which this file forbids).
    const attributes = makeAttributesHandler(noDeps, { auth, logger });
    const answer = await invoke(attributes, {
      method: 'PUT',
      path: '/v1/attributes/prod/flytesnacks/production',
      caller: admin,
      body: 'attributes: {a: "1"}',
      headers: yaml,
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ type: 'urn:grantplane:problem:internal', status: 500 });
    expect(JSON.stringify(answer.body)).not.toContain('the chain let');
  });

  it('answers 400 naming the parameter for a bad query value', async () => {
    const answer = await invoke(grants, { method: 'GET', path: '/v1/grants', caller: alice, query: { limit: '101' } });
    expectProblem(answer, 400, 'request.invalid');
    expect((answer.body as { errors: { path: string }[] }).errors[0]?.path).toBe('query.limit');
  });

  it('refuses to build a handler that lacks a function for a route of its group, or serves a foreign one', () => {
    expect(() => makeHttpHandler('http/drift', {}, { auth, logger })).toThrow(
      /http\/drift: no function for startDriftCheck, getLatestDriftCheck/,
    );
    expect(() =>
      makeHttpHandler(
        'http/health',
        { health: async () => ({ status: 200, body: {} }), listGrants: async () => ({ status: 200, body: {} }) },
        { auth, logger },
      ),
    ).toThrow(/listGrants not a route of the group/);
  });

  it("answers 404 for another function's route (API Gateway never sends one)", async () => {
    const answer = await invoke(grants, { method: 'GET', path: '/v1/drift-checks/latest', caller: alice });
    expectProblem(answer, 404, 'route.not-found');
  });
});

describe('route wiring', () => {
  const everyone = { sub: 'root', groups: ['requester', 'approver', 'admin'] };
  const handlers = {
    'http/grants': grants,
    'http/plan': makePlanHandler(noDeps, { auth, logger }),
    'http/targets': makeTargetsHandler(noDeps, { auth, logger }),
    'http/attributes': makeAttributesHandler(noDeps, { auth, logger }),
    'http/audit': makeAuditHandler(noDeps, { auth, logger }),
    'http/sources': makeSourcesHandler(noDeps, { auth, logger }),
  } as const;
  const wired = ROUTES.filter(
    (route): route is typeof route & { group: keyof typeof handlers } => route.group in handlers,
  );

  it.each(wired.map((route) => [route.operationId, route] as const))('%s reaches its use case', async (_id, route) => {
    // Path parameters filled in, a JSON body where the route takes one: the request passes the chain
    // and reaches the deps, which this file forbids (a generic 500) — not a 404 or 501.
    const path = route.path.replace(/\{[^}]+\}/g, 'x');
    const answer = await invoke(handlers[route.group], {
      method: route.method,
      path,
      caller: everyone,
      ...(route.body
        ? { body: ['planGrants', 'syncSourceGrants'].includes(route.operationId) ? { grants: [] } : {} }
        : {}),
    });
    expect(answer.body).toMatchObject({ status: 500, type: 'urn:grantplane:problem:internal' });
  });
});

describe('identity from claims', () => {
  it('reads groups as API Gateway passes them: [a b], JSON arrays, space or comma lists, arrays', () => {
    expect(claimValues('[requester approver]')).toEqual(['requester', 'approver']);
    expect(claimValues('["requester","admin"]')).toEqual(['requester', 'admin']);
    // A plain string is one group, whole: `platform admin` is not `admin`, `requester,admin` not either.
    expect(claimValues('requester, approver')).toEqual(['requester, approver']);
    expect(claimValues('platform admin')).toEqual(['platform admin']);
    expect(claimValues('requester,admin')).toEqual(['requester,admin']);
    expect(claimValues(['admin'])).toEqual(['admin']);
    expect(claimValues(42)).toEqual([]);
  });

  it('maps IdP groups to roles with GRANTPLANE_ROLE_MAPPING and a custom claim', () => {
    const config = parseAuthEnv({
      GRANTPLANE_ROLES_CLAIM: 'cognito:groups',
      GRANTPLANE_ROLE_MAPPING: '{"platform-leads":["approver","requester"],"ops":"admin"}',
    });
    const event = apiEvent({
      method: 'GET',
      path: '/v1/grants',
      caller: { sub: 'carol', 'cognito:groups': '[platform-leads requester]' },
    });
    // `requester` is not in the mapping: once a mapping is set, only mapped groups count.
    expect(identityOf(event, config)).toEqual({ sub: 'carol', roles: ['requester', 'approver'] });
  });

  it('fails at cold start naming the variable when the mapping is wrong', () => {
    expect(() => parseAuthEnv({ GRANTPLANE_ROLE_MAPPING: '{"ops":"root"}' })).toThrow(AuthConfigError);
    expect(() => parseAuthEnv({ GRANTPLANE_ROLE_MAPPING: '{"ops":"root"}' })).toThrow(/GRANTPLANE_ROLE_MAPPING/);
    expect(() => parseAuthEnv({ GRANTPLANE_ROLE_MAPPING: 'not json' })).toThrow(/GRANTPLANE_ROLE_MAPPING is not JSON/);
  });
});
