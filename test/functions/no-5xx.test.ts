// The 5xx classes an independent fuzz of the running stack found, one test each: every one is a
// 4xx problem+json whose error names its field (path), never a key DynamoDB refuses.
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import * as YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeAttributesHandler } from '../../functions/http/attributes.js';
import { makeHandler as makeAuditHandler } from '../../functions/http/audit.js';
import { makeHandler as makeGrantsHandler } from '../../functions/http/grants.js';
import { makeHandler as makeTargetsHandler } from '../../functions/http/targets.js';
import { makeHandler as makeWebhookHandler } from '../../functions/webhook.js';
import { identityOf, parseAuthEnv } from '../../functions/shared/auth.js';
import type { HttpHandler } from '../../functions/shared/http.js';
import { parseConfig } from '../../lib/domain/config.js';
import { signGeneric, signHub, SIGNATURE_HEADERS } from '../../lib/domain/webhooks/signatures.js';
import { buildDeps } from '../../lib/wiring/http.js';
import { freshTable } from '../helpers/dynamo.js';
import { apiEvent, lambdaContext, type EventInput } from './events.js';

const config = parseConfig(
  YAML.parse(readFileSync(new URL('../../examples/grantplane.config.yaml', import.meta.url), 'utf8')),
);
const options = { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) };
const SECRET = 'no-5xx-secret';
const root = { sub: 'root', groups: ['requester', 'approver', 'admin'] };
const long = (n: number) => 'x'.repeat(n);

let grants: HttpHandler;
let targets: HttpHandler;
let attributes: HttpHandler;
let audit: HttpHandler;
let webhook: HttpHandler;
let deps: ReturnType<typeof buildDeps>;

beforeAll(async () => {
  const table = await freshTable();
  deps = buildDeps({ client: table.client, tableName: table.tableName, config });
  grants = makeGrantsHandler(deps, options);
  targets = makeTargetsHandler(deps, options);
  attributes = makeAttributesHandler(deps, options);
  audit = makeAuditHandler(deps, options);
  webhook = makeWebhookHandler(deps, { ...options, secrets: () => [SECRET] });
});

interface Problem {
  status: number;
  errors: { path: string; code: string; message: string }[];
}

const send = async (handler: HttpHandler, input: EventInput) => {
  const result = await handler(apiEvent(input), lambdaContext());
  return {
    status: result.statusCode ?? 0,
    type: result.headers?.['Content-Type'],
    problem: JSON.parse(result.body ?? '{}') as Problem,
  };
};

/** A generic webhook delivery of `body`, signed with the test secret. */
const signed = (body: string): EventInput => ({
  method: 'POST',
  path: '/v1/webhooks/generic',
  headers: {
    [SIGNATURE_HEADERS.generic]: signGeneric(body, SECRET, Date.now() / 1000),
    'Content-Type': 'application/json',
  },
  body,
});

/** A 4xx problem+json whose first error names `path`. */
const expectFieldError = (answer: Awaited<ReturnType<typeof send>>, path: string, status?: number) => {
  expect(answer.status, JSON.stringify(answer.problem)).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  if (status !== undefined) expect(answer.status).toBe(status);
  expect(answer.type).toBe('application/problem+json');
  expect(answer.problem.errors[0]?.path).toBe(path);
};

/** A global read granted by root with `ticket` (its bucket named after the system's length). */
const submitTicketed = (ticket: { system: string; key: string }) =>
  send(grants, {
    method: 'POST',
    path: '/v1/grants',
    caller: root,
    body: {
      dataPlane: 'prod',
      scope: { type: 'global' },
      resource: { type: 's3', bucket: `acme-${ticket.system.length}-data`, access: 'read' },
      justification: 'x',
      ticket,
    },
  });

describe('ids and path parameters past DynamoDB key limits', () => {
  it.each([
    ['GET', ''],
    ['DELETE', ''],
    ['POST', '/approve'],
    ['POST', '/reject'],
  ])('%s /v1/grants/<2,100 characters>%s → 400 naming path.id', async (method, suffix) => {
    const path = `/v1/grants/${long(2100)}${suffix}`;
    expectFieldError(await send(grants, { method, path, caller: root, body: {} }), 'path.id', 400);
  });

  it('a project or domain of 1,010 characters on /v1/targets → 400', async () => {
    expectFieldError(
      await send(targets, { method: 'GET', path: `/v1/targets/prod/${long(1010)}/staging`, caller: root }),
      'path.project',
      400,
    );
    expectFieldError(
      await send(targets, { method: 'GET', path: `/v1/targets/prod/flytesnacks/${long(1010)}`, caller: root }),
      'path.domain',
      400,
    );
  });

  it('PUT /v1/attributes with a 1,100-character project, and an ack of a 2,100-character id → 400', async () => {
    expectFieldError(
      await send(attributes, {
        method: 'PUT',
        path: `/v1/attributes/prod/${long(1100)}/staging`,
        caller: root,
        body: { attributes: {} },
      }),
      'path.project',
      400,
    );
    expectFieldError(
      await send(attributes, { method: 'POST', path: `/v1/attribute-updates/${long(2100)}/ack`, caller: root }),
      'path.id',
      400,
    );
  });

  it('a ticket.key of 2,100 characters on POST /v1/grants → 422 naming ticket.key', async () => {
    expectFieldError(await submitTicketed({ system: 'jira', key: long(2100) }), 'ticket.key', 422);
  });

  it('a signed generic delivery with an actor.id of 2,100 characters → 422 naming actor', async () => {
    const body = JSON.stringify({
      event: 'ticket.approved',
      ticket: { system: 'jira', key: 'OPS-1' },
      actor: { id: long(2100) },
    });
    expectFieldError(await send(webhook, signed(body)), 'actor', 422);
  });

  it('a token whose sub has 2,100 characters → 400 naming token.sub', async () => {
    const answer = await send(grants, {
      method: 'GET',
      path: '/v1/grants',
      caller: { sub: long(2100), groups: ['admin'] },
    });
    expectFieldError(answer, 'token.sub', 400);
  });
});

describe('forged cursors: base64url JSON naming the right index with other or empty keys', () => {
  const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const cursors = [
    forge({ i: 'gsi4:GRANT:', k: {} }),
    forge({ i: 'gsi4:GRANT:', k: { pk: 'x', sk: 'y' } }),
    forge({ i: 'gsi4:GRANT:', k: { pk: 'GRANT#1', sk: 'GRANT', gsi4pk: 'OTHER', gsi4sk: 'z' } }),
    forge({ i: 'gsi4:GRANT:', k: { pk: 'GRANT#1', sk: 'GRANT', gsi4pk: 'GRANT', gsi4sk: 'z', extra: 'q' } }),
    forge({ i: 'gsi4:GRANT:', k: { pk: '', sk: '', gsi4pk: 'GRANT', gsi4sk: '' } }),
  ];
  it.each([
    ['grants', '/v1/grants'],
    ['audit', '/v1/audit'],
    ['attributes', '/v1/attribute-updates'],
  ] as const)('%s listing → 400 cursor.invalid', async (group, path) => {
    const handler = { grants, audit, attributes }[group];
    for (const cursor of cursors) {
      const answer = await send(handler, { method: 'GET', path, caller: root, query: { cursor } });
      expectFieldError(answer, 'cursor', 400);
    }
  });
});

describe('attribute names', () => {
  it.each(['constructor', '', '__proto__', 'prototype', 'has space'])(
    'PUT /v1/attributes with attribute %j → 400 naming it (JSON and YAML)',
    async (name) => {
      const path = '/v1/attributes/prod/flytesnacks/staging';
      const json = await send(attributes, {
        method: 'PUT',
        path,
        caller: root,
        body: `{"attributes": {${JSON.stringify(name)}: "1"}}`,
        headers: { 'Content-Type': 'application/json' },
      });
      const yaml = await send(attributes, {
        method: 'PUT',
        path,
        caller: root,
        body: `attributes:\n  ${JSON.stringify(name)}: "1"\n`,
        headers: { 'Content-Type': 'application/yaml' },
      });
      for (const answer of [json, yaml]) {
        // A __proto__ key is refused by the parsers themselves (path body); every other name is named.
        const named = `attributes[${JSON.stringify(name)}]`;
        const path = name === '__proto__' ? (answer.problem.errors[0]?.path ?? '') : named;
        expect(['body', named]).toContain(path);
        expectFieldError(answer, path, 400);
      }
    },
  );
});

describe('errors always name their field', () => {
  it('a non-object webhook body → path body; an unknown field named "" → path [""]', async () => {
    expectFieldError(await send(webhook, signed('[1,2]')), 'body', 422);
    const extra = JSON.stringify({
      event: 'ticket.closed',
      ticket: { system: 'jira', key: 'OPS-1' },
      actor: { id: 'u' },
      '': 1,
    });
    expectFieldError(await send(webhook, signed(extra)), '[""]', 422);
  });

  it('a Jira delivery without a numeric timestamp is refused (the age check cannot be skipped)', async () => {
    for (const timestamp of [undefined, '1700000000000']) {
      const body = JSON.stringify({
        webhookEvent: 'jira:issue_updated',
        ...(timestamp === undefined ? {} : { timestamp }),
        issue: { key: 'OPS-7', fields: {} },
        changelog: { items: [] },
      });
      const answer = await send(webhook, {
        method: 'POST',
        path: '/v1/webhooks/jira',
        headers: { [SIGNATURE_HEADERS.jira]: signHub(body, SECRET), 'Content-Type': 'application/json' },
        body,
      });
      expectFieldError(answer, 'timestamp', 422);
    }
  });
});

describe('smaller holes', () => {
  const event = (groups: string, bearerGroups?: unknown) => {
    const payload = Buffer.from(JSON.stringify({ sub: 'eve', groups: bearerGroups })).toString('base64url');
    const built = apiEvent({ method: 'GET', path: '/v1/grants', caller: { sub: 'eve', groups } });
    return bearerGroups === undefined
      ? built
      : { ...built, headers: { ...built.headers, authorization: `Bearer h.${payload}.s` } };
  };

  it('matches whole group names: "platform admin" and "requester,admin" give no admin role', () => {
    const auth = parseAuthEnv({});
    expect(identityOf(event('platform admin'), auth)?.roles).toEqual([]);
    expect(identityOf(event('requester,admin'), auth)?.roles).toEqual([]);
    // API Gateway flattens ["platform admin"] to "[platform admin]": the request's token has the array.
    expect(identityOf(event('[platform admin]', ['platform admin']), auth)?.roles).toEqual([]);
    expect(identityOf(event('[requester admin]', ['requester', 'admin']), auth)?.roles).toEqual(['requester', 'admin']);
  });

  it('keeps ticket links apart: {sd, x#K} does not find the grant of {sd#x, K}', async () => {
    expect((await submitTicketed({ system: 'sd#x', key: 'K' })).status).toBe(201);
    expect(await deps.app.grants.findGrantByTicket('api', 'sd#x', 'K')).not.toBeNull();
    expect(await deps.app.grants.findGrantByTicket('api', 'sd', 'x#K')).toBeNull();
  });
});
