// Never a 5xx for a client's mistake (docs/api.md): random and mutated bodies, parameters, content
// types and callers sent to every implemented route, against DynamoDB Local.
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import * as YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeAttributesHandler } from '../../functions/http/attributes.js';
import { makeHandler as makeAuditHandler } from '../../functions/http/audit.js';
import { makeHandler as makeGrantsHandler } from '../../functions/http/grants.js';
import { makeHandler as makeHealthHandler } from '../../functions/http/health.js';
import { handler as consoleHandler } from '../../functions/http/console.js';
import { makeHandler as makePlanHandler } from '../../functions/http/plan.js';
import { makeHandler as makeSourcesHandler } from '../../functions/http/sources.js';
import { makeHandler as makeTargetsHandler } from '../../functions/http/targets.js';
import { makeHandler as makeWebhookHandler } from '../../functions/webhook.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import type { HttpHandler } from '../../functions/shared/http.js';
import { ROUTES, type RouteGroup } from '../../functions/shared/routes.js';
import { parseConfig } from '../../lib/domain/config.js';
import { signGeneric, signHub, SIGNATURE_HEADERS } from '../../lib/domain/webhooks/signatures.js';
import { buildDeps } from '../../lib/wiring/http.js';
import { freshTable } from '../helpers/dynamo.js';
import { apiEvent, lambdaContext } from './events.js';

const config = parseConfig(
  YAML.parse(readFileSync(new URL('../../examples/grantplane.config.yaml', import.meta.url), 'utf8')),
);
// The log would hold every refused request; errors still fail the assertions below.
const options = { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) };

const validGrant = {
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
  resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
  justification: 'fuzz',
  expiresAt: '2026-12-20T00:00:00Z',
  ticket: { system: 'jira', key: 'OPS-1' },
};

/** A valid body with one leaf or branch replaced by an arbitrary JSON value. */
const mutated = (base: unknown): fc.Arbitrary<unknown> => {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    paths.push(path);
    if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.jsonValue(), fc.boolean()).map(([path, replacement, remove]) => {
    const copy: unknown = structuredClone(base);
    if (path.length === 0) return replacement;
    let node = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path[path.length - 1] as string;
    if (remove) delete node[last];
    else node[last] = replacement;
    return copy;
  });
};

const body = fc.oneof(
  mutated(validGrant),
  mutated({ grants: [validGrant] }),
  mutated({ comment: 'fine' }),
  mutated({ attributes: { projectQuotaCpu: '8' }, project: 'flytesnacks', domain: 'staging' }),
  mutated({
    event: 'ticket.created',
    ticket: { system: 'jira', key: 'OPS-9' },
    actor: { id: 'u1' },
    grant: validGrant,
  }),
  mutated({ event: 'ticket.approved', ticket: { system: 'jira', key: 'OPS-9' }, actor: { id: 'u2' } }),
  // The classes an outside fuzz found answering 500: names past DynamoDB's key limits, attribute
  // names objects carry themselves.
  mutated({ ...validGrant, ticket: { system: 'jira', key: 'k'.repeat(2100) } }),
  mutated({ event: 'ticket.approved', ticket: { system: 'jira', key: 'OPS-9' }, actor: { id: 'a'.repeat(2100) } }),
  fc
    .constantFrom('constructor', '', '__proto__', 'prototype', 'n'.repeat(300))
    .map((name) => ({ raw: `{"attributes": {${JSON.stringify(name)}: "1"}}` })),
  fc.jsonValue(),
  fc.string().map((text) => ({ raw: text })),
  fc.constant(undefined),
);

/** Cursors a client could forge: valid base64url JSON naming a real index, with other keys. */
const forgedCursor = fc
  .record({
    i: fc.constantFrom('gsi4:GRANT:', 'gsi2:GRANT#STATUS#active:', 'gsi4:AU:', 'gsi1:AUDIT:'),
    k: fc.dictionary(fc.constantFrom('pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi4pk', 'gsi4sk', 'x'), fc.string()),
  })
  .map((cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url'));

const segment = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('prod', 'flytesnacks', 'staging', 'global', 'generic', 'jira', 'servicenow'),
  },
  fc.constantFrom('prod', 'flytesnacks', 'staging', 'global', 'analytics', '01ABC', 'generic', 'jira', 'servicenow'),
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom('p'.repeat(1100), 'i'.repeat(2100)),
);
const groups = fc.subarray(['requester', 'approver', 'admin', 'someone-else']);
const WEBHOOK_SECRET = 'fuzz-secret';
const implemented = ROUTES.filter((route) => route.group !== 'http/drift');

describe('every implemented route under random input', () => {
  let handlers: Partial<Record<RouteGroup, HttpHandler>>;

  beforeAll(async () => {
    const table = await freshTable();
    const deps = buildDeps({ client: table.client, tableName: table.tableName, config });
    handlers = {
      'http/grants': makeGrantsHandler(deps, options),
      'http/plan': makePlanHandler(deps, options),
      'http/targets': makeTargetsHandler(deps, options),
      'http/attributes': makeAttributesHandler(deps, options),
      'http/audit': makeAuditHandler(deps, options),
      'http/health': makeHealthHandler(),
      'http/console': consoleHandler,
      'http/sources': makeSourcesHandler(deps, options),
      webhook: makeWebhookHandler(deps, { ...options, secrets: () => [WEBHOOK_SECRET] }),
    };
  });

  it('answers every request below 500, with problem+json for every error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...implemented),
        fc.array(segment, { minLength: 3, maxLength: 3 }),
        body,
        // Mostly well-formed envelopes, so most requests reach the use cases; the rest probe the edges.
        fc.oneof(
          { weight: 4, arbitrary: fc.constant('application/json') },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              'application/json; charset=utf-8',
              'text/plain',
              'application/yaml',
              'application/x-www-form-urlencoded',
              undefined,
            ),
          },
        ),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant({}) },
          {
            weight: 1,
            arbitrary: fc.dictionary(
              fc.constantFrom(
                'limit',
                'cursor',
                'status',
                'project',
                'domain',
                'source',
                'grantId',
                'target',
                'actor',
                'dataPlane',
                'x',
              ),
              fc.string({ maxLength: 12 }),
            ),
          },
          { weight: 1, arbitrary: forgedCursor.map((cursor) => ({ cursor })) },
        ),
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .constantFrom('carol', 'dave')
              .map((sub) => ({ sub, groups: ['requester', 'approver', 'admin'] })),
          },
          { weight: 2, arbitrary: fc.record({ sub: fc.string({ maxLength: 12 }), groups }) },
          { weight: 1, arbitrary: fc.constant(null) },
          {
            weight: 1,
            arbitrary: fc
              .constant(null)
              .map(() => ({ sub: 's'.repeat(2100), groups: ['requester', 'approver', 'admin'] })),
          },
        ),
        fc.option(fc.string({ maxLength: 40 })),
        fc.boolean(),
        async (route, segments, payload, contentType, query, caller, idempotencyKey, signed) => {
          let i = 0;
          const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(segments[i++] ?? 'x'));
          const headers: Record<string, string> = {};
          if (contentType !== undefined) headers['Content-Type'] = contentType;
          if (idempotencyKey !== null) headers['Idempotency-Key'] = idempotencyKey;
          const rawBody =
            payload === undefined
              ? undefined
              : typeof payload === 'object' && payload !== null && 'raw' in payload
                ? String(payload.raw)
                : JSON.stringify(payload);
          // Half the webhook deliveries carry a valid signature, so the fuzz reaches past the 401.
          const kind = segments[0];
          if (
            route.group === 'webhook' &&
            signed &&
            rawBody !== undefined &&
            (kind === 'generic' || kind === 'jira' || kind === 'servicenow')
          ) {
            headers[SIGNATURE_HEADERS[kind]] =
              kind === 'jira'
                ? signHub(rawBody, WEBHOOK_SECRET)
                : signGeneric(rawBody, WEBHOOK_SECRET, Date.now() / 1000);
          }
          const event = apiEvent({
            method: route.method,
            path,
            query,
            headers,
            ...(rawBody === undefined ? {} : { body: rawBody }),
            ...(caller === null ? {} : { caller }),
          });
          const handler = handlers[route.group];
          if (handler === undefined) throw new Error(`no handler for ${route.group}`);
          const result = await handler(event, lambdaContext());
          const status = result.statusCode ?? 0;
          expect(status, `${route.method} ${path} → ${status}: ${result.body}`).toBeLessThan(500);
          if (status >= 400) {
            expect(result.headers?.['Content-Type']).toBe('application/problem+json');
            const problem: unknown = JSON.parse(result.body ?? '');
            expect(problem).toMatchObject({ status, title: expect.any(String), errors: expect.any(Array) });
          }
        },
      ),
      { numRuns: 400, seed: 20261202 },
    );
  });
});
