// openapi.yaml is the reference of the HTTP API (docs/api.md) and must never disagree with the route
// table the router and the CDK routes are built from.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { ROUTES } from '../functions/shared/routes.js';
import { grantRequestSchema } from '../lib/domain/grant.js';
import { GRANT_STATUSES } from '../lib/domain/records.js';
import { RULE_CODES } from '../lib/domain/rules/codes.js';
import { GUARDRAIL_CODES } from '../lib/domain/rules/guardrails.js';

const ROOT = resolve(import.meta.dirname, '..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

// Only the parts of an OpenAPI document this test reads; parsed, not cast.
const mediaSchema = z.looseObject({
  schema: z.unknown().optional(),
  example: z.unknown().optional(),
  examples: z
    .record(z.string(), z.looseObject({ value: z.unknown().optional(), $ref: z.string().optional() }))
    .optional(),
});
const operationSchema = z.looseObject({
  operationId: z.string(),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  parameters: z
    .array(z.looseObject({ name: z.string().optional(), in: z.string().optional(), $ref: z.string().optional() }))
    .optional(),
  requestBody: z
    .looseObject({ content: z.record(z.string(), mediaSchema).optional(), $ref: z.string().optional() })
    .optional(),
  responses: z.record(
    z.string(),
    z.looseObject({ $ref: z.string().optional(), content: z.record(z.string(), mediaSchema).optional() }),
  ),
});
const specSchema = z.looseObject({
  openapi: z.string(),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.looseObject({
    schemas: z.record(z.string(), z.looseObject({})),
    examples: z.record(z.string(), z.looseObject({ value: z.unknown() })),
    parameters: z.record(z.string(), z.looseObject({ name: z.string(), in: z.string() })),
  }),
});

type Operation = z.infer<typeof operationSchema>;
type Spec = z.infer<typeof specSchema>;

const spec: Spec = specSchema.parse(parseYaml(readFileSync(resolve(ROOT, 'openapi.yaml'), 'utf8')));

const operations = (): Array<{ method: string; path: string; operation: Operation }> =>
  Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      method: method.toUpperCase(),
      path,
      operation: operationSchema.parse(item[method]),
    })),
  );

const resolveExample = (example: { value?: unknown; $ref?: string }): unknown => {
  if (example.$ref === undefined) return example.value;
  const name = example.$ref.replace('#/components/examples/', '');
  const target = spec.components.examples[name];
  if (!target) throw new Error(`dangling example reference ${example.$ref}`);
  return target.value;
};

const stringArray = z.array(z.string());

// The TypeScript sources whose codes reach HTTP answers: handlers, use cases, adapters, domain.
const sourceFiles = (dir: string): string[] =>
  readdirSync(resolve(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

const CODE = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*$/;
// Problem types whose `errors` carry the violations' own codes, never the slug itself.
const TYPE_ONLY_SLUGS = new Set(['validation', 'bad-request']);

/** Every `errors[].code` the code base can answer with, read from its source (one mapping). */
const answeredCodes = (): Set<string> => {
  const codes = new Set<string>();
  const quoted = (text: string) =>
    [...text.matchAll(/'([^'\n]*)'/g)].map((m) => m[1] ?? '').filter((c) => CODE.test(c));
  for (const file of ['functions', 'lib/app', 'lib/adapters', 'lib/domain'].flatMap(sourceFiles)) {
    const text = readFileSync(resolve(ROOT, file), 'utf8');
    // `code: 'x'`, `code: cond ? 'x' : 'y'`, `code: other ?? 'x'` in violations and problem bodies
    for (const m of text.matchAll(/\bcode:\s*([^,}\n]*)/g)) quoted(m[1] ?? '').forEach((c) => codes.add(c));
    // new ForbiddenError('x', …), NotFoundError, StateConflictError
    for (const m of text.matchAll(/new (?:Forbidden|NotFound|StateConflict)Error\(\s*'([^']+)'/g))
      codes.add(m[1] ?? '');
    // the codes refusal classes give themselves: `super('x', …)`, `code = 'x'` (a default)
    for (const m of text.matchAll(/\bsuper\(\s*('[^']+')/g)) quoted(m[1] ?? '').forEach((c) => codes.add(c));
    for (const m of text.matchAll(/\bcode = ('[^']+')/g)) quoted(m[1] ?? '').forEach((c) => codes.add(c));
    // problem(404, 'x', …) built by the chain and the handlers
    for (const m of text.matchAll(/\bproblem\(\s*[\w.]+,\s*'([^']+)'/g))
      if (!TYPE_ONLY_SLUGS.has(m[1] ?? '')) codes.add(m[1] ?? '');
    // webhook signature failures: the members of SignatureFailureCode
    for (const m of text.matchAll(/type SignatureFailureCode =([^;]*);/g))
      quoted(m[1] ?? '').forEach((c) => codes.add(c));
  }
  return codes;
};

describe('openapi.yaml', () => {
  it('declares exactly the (method, path, operationId) triples of ROUTES', () => {
    // Prepare
    const fromSpec = operations()
      .map(({ method, path, operation }) => `${method} ${path} ${operation.operationId}`)
      .sort();
    const fromRoutes = ROUTES.map((route) => `${route.method} ${route.path} ${route.operationId}`).sort();
    // Assess
    expect(fromSpec).toEqual(fromRoutes);
  });

  it('requires the bearer JWT everywhere except the signature and no-token routes (docs/api.md)', () => {
    expect(spec.security).toEqual([{ bearerJwt: [] }]);
    for (const { method, path, operation } of operations()) {
      const route = ROUTES.find((r) => r.method === method && r.path === path);
      const open = route?.access === 'none' || route?.access === 'signature';
      // An operation without its own `security` inherits the global bearer requirement.
      expect(operation.security, `${method} ${path}`).toEqual(open ? [] : undefined);
    }
  });

  it('documents 401 on every token or signature route, 403 on every role route, and 500 everywhere', () => {
    for (const { method, path, operation } of operations()) {
      const route = ROUTES.find((r) => r.method === method && r.path === path);
      const codes = Object.keys(operation.responses);
      expect(codes, `${method} ${path}`).toContain('500');
      if (route?.access !== 'none') expect(codes, `${method} ${path}`).toContain('401');
      if (Array.isArray(route?.access)) expect(codes, `${method} ${path}`).toContain('403');
      if (route?.body) expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['413', '415']));
    }
  });

  it('answers every error as problem+json with errors[{path, code, message}] (RFC 9457)', () => {
    const responses = z
      .record(z.string(), z.looseObject({ content: z.record(z.string(), z.unknown()) }))
      .parse(spec.components.responses);
    for (const [name, response] of Object.entries(responses)) {
      expect(Object.keys(response.content), name).toContain('application/problem+json');
    }
    const violation = spec.components.schemas.Violation;
    expect(violation?.required).toEqual(['path', 'code', 'message']);
  });

  it('documents the webhook signature headers and the Idempotency-Key header', () => {
    const webhook = operations().find(({ operation }) => operation.operationId === 'receiveWebhook');
    const headers = (webhook?.operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers).toEqual(
      expect.arrayContaining(['X-Grantplane-Signature', 'X-Hub-Signature', 'X-Atlassian-Webhook-Identifier']),
    );
    const create = operations().find(({ operation }) => operation.operationId === 'createGrant');
    const refs = (create?.operation.parameters ?? []).map((p) => p.$ref);
    expect(refs).toContain('#/components/parameters/IdempotencyKey');
    expect(spec.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header' });
  });

  it('lists every rule code of the engine in RuleCode, R7 guardrail codes included (docs/rules.md)', () => {
    const ruleCode = z.looseObject({ enum: stringArray }).parse(spec.components.schemas.RuleCode);
    expect([...ruleCode.enum].sort()).toEqual(RULE_CODES.map((info) => info.code).sort());
    expect(ruleCode.enum).toEqual(expect.arrayContaining(Object.keys(GUARDRAIL_CODES)));
  });

  it('lists every other code an answer carries in ErrorCode, and no code that is never answered', () => {
    // Prepare
    const ruleCodes = z.looseObject({ enum: stringArray }).parse(spec.components.schemas.RuleCode).enum;
    const errorCodes = z.looseObject({ enum: stringArray }).parse(spec.components.schemas.ErrorCode).enum;
    const answered = answeredCodes();
    // Assess: the scan sees the chain's and the use cases' codes (so it cannot pass vacuously) …
    expect([...answered]).toEqual(
      expect.arrayContaining(['route.not-found', 'cursor.invalid', 'grant.self-approval', 'signature.mismatch']),
    );
    // … every one of them is documented …
    const undocumented = [...answered].filter((code) => !ruleCodes.includes(code) && !errorCodes.includes(code)).sort();
    expect(undocumented).toEqual([]);
    // … and ErrorCode names nothing stale.
    expect(errorCodes.filter((code) => !answered.has(code))).toEqual([]);
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
  });

  it("names every ErrorCode in the API guide's Error shape table (docs/api.md)", () => {
    const guide = readFileSync(resolve(ROOT, 'docs/api.md'), 'utf8');
    const start = guide.indexOf('### Error shape');
    const end = guide.indexOf('\n## ', start);
    const section = guide.slice(start, end < 0 ? undefined : end);
    const errorCodes = z.looseObject({ enum: stringArray }).parse(spec.components.schemas.ErrorCode).enum;
    expect(start).toBeGreaterThan(0);
    expect(errorCodes.filter((code) => !section.includes(`\`${code}\``))).toEqual([]);
  });

  it("names each role route's roles in its description (docs/api.md, the router's access)", () => {
    for (const route of ROUTES) {
      if (!Array.isArray(route.access)) continue;
      const found = operations().find(({ operation }) => operation.operationId === route.operationId);
      const description = z.looseObject({ description: z.string() }).parse(found?.operation).description;
      for (const role of route.access) expect(description, `${route.operationId} ${role}`).toContain(`\`${role}\``);
    }
  });

  it('pages every list operation with Limit and Cursor (limit ≤ 100, cursor)', () => {
    const lists = operations().filter(({ operation }) => /^list/.test(operation.operationId));
    expect(lists.map(({ operation }) => operation.operationId).sort()).toEqual([
      'listAttributeUpdates',
      'listAudit',
      'listGrants',
      'listHeldChanges',
      'listInfrastructureUpdates',
      'listTargets',
    ]);
    for (const { operation } of lists) {
      const refs = (operation.parameters ?? []).map((p) => p.$ref);
      expect(refs, operation.operationId).toEqual(
        expect.arrayContaining(['#/components/parameters/Limit', '#/components/parameters/Cursor']),
      );
    }
    expect(spec.components.parameters.Limit).toMatchObject({ name: 'limit', in: 'query', schema: { maximum: 100 } });
  });

  it('gives request examples that the grant request schema accepts (grant.ts)', () => {
    // Prepare: every example of a body that is, or contains, grant requests.
    const requests: Array<{ where: string; value: unknown }> = [];
    for (const { operation } of operations()) {
      const content = operation.requestBody?.content?.['application/json'];
      for (const [name, example] of Object.entries(content?.examples ?? {})) {
        const value = resolveExample(example);
        const where = `${operation.operationId}/${name}`;
        if (operation.operationId === 'createGrant') requests.push({ where, value });
        if (operation.operationId === 'planGrants' || operation.operationId === 'syncSourceGrants') {
          const body = z
            .object({ grants: z.array(z.unknown()) })
            .loose()
            .parse(value);
          body.grants.forEach((grant, index) => requests.push({ where: `${where}.grants.${index}`, value: grant }));
        }
        if (operation.operationId === 'receiveWebhook') {
          const grant = z.looseObject({ grant: z.unknown().optional() }).parse(value).grant;
          if (grant !== undefined) requests.push({ where: `${where}.grant`, value: grant });
        }
      }
    }
    // Assess
    expect(requests.length).toBeGreaterThanOrEqual(8);
    for (const { where, value } of requests) {
      const result = grantRequestSchema.safeParse(value);
      expect(result.success ? 'ok' : JSON.stringify(result.error.issues), where).toBe('ok');
    }
  });

  it('gives Grant examples with the documented fields and a request that validates (docs/api.md)', () => {
    // Prepare
    const grantSchema = z
      .looseObject({ required: stringArray, properties: z.record(z.string(), z.unknown()) })
      .parse(spec.components.schemas.Grant);
    const documented = [
      'id',
      'dataPlane',
      'scope',
      'resource',
      'status',
      'requester',
      'source',
      'createdAt',
      'updatedAt',
      'history',
    ];
    const statuses = z.looseObject({ enum: stringArray }).parse(spec.components.schemas.GrantStatus).enum;
    const grantExamples = Object.entries(spec.components.examples).filter(([name]) => name.endsWith('Grant'));
    // Assess
    expect(grantSchema.required).toEqual(expect.arrayContaining(documented));
    for (const field of ['ticket', 'expiresAt', 'justification'])
      expect(Object.keys(grantSchema.properties)).toContain(field);
    expect(statuses).toEqual([...GRANT_STATUSES]);
    expect(grantExamples.length).toBeGreaterThanOrEqual(4);
    for (const [name, example] of grantExamples) {
      const grant = z.record(z.string(), z.unknown()).parse(example.value);
      for (const field of documented) expect(grant, `${name}.${field}`).toHaveProperty(field);
      expect(statuses, name).toContain(grant.status);
      const { dataPlane, scope, resource, justification, expiresAt, ticket } = grant;
      const request = Object.fromEntries(
        Object.entries({ dataPlane, scope, resource, justification, expiresAt, ticket }).filter(
          ([, v]) => v !== undefined,
        ),
      );
      expect(grantRequestSchema.safeParse(request).success, name).toBe(true);
    }
  });

  describe('redocly lint', () => {
    let output = '';
    let exitCode = 0;
    beforeAll(async () => {
      // Offline: no telemetry, no update check; strict rules from .redocly.yaml.
      const run = promisify(execFile);
      try {
        const result = await run(
          resolve(ROOT, 'node_modules/.bin/redocly'),
          ['lint', 'openapi.yaml', '--config', '.redocly.yaml', '--format=stylish'],
          {
            cwd: ROOT,
            env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
            timeout: 60_000,
          },
        );
        output = `${result.stdout}${result.stderr}`;
      } catch (error: unknown) {
        const failed = z
          .object({ code: z.number().optional(), stdout: z.string().optional(), stderr: z.string().optional() })
          .loose()
          .parse(error);
        exitCode = failed.code ?? 1;
        output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
      }
    }, 90_000);

    it('is clean under the strict recommended rules', () => {
      expect(output).toContain("using lint rules for api 'grantplane'");
      expect(exitCode, output).toBe(0);
      expect(output).not.toMatch(/\b(error|warning)\b/);
    });
  });
});
