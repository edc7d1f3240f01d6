// Grants (DESIGN §8): submit, list, read, approve, reject, revoke. Parse → one use case → shape.
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import * as z from 'zod';
import { approveGrant, getGrant, listGrants, rejectGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import { liveDeps, resolveDeps, type DepsSource, type HttpDeps } from '../../lib/wiring.js';
import type { Identity } from '../../lib/domain/ports.js';
import { callerOf, makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { decisionBodySchema, grantStatusSchema, pageQuery, parseWith } from '../shared/params.js';

const listQuery = z.object({ project: z.string().min(1).optional(), domain: z.string().min(1).optional(), status: grantStatusSchema.optional(), source: z.string().min(1).optional(), ...pageQuery }).strict();
const idempotencyKey = z.string().min(1).max(255, 'Idempotency-Key must be at most 255 characters');

// One idempotent submit per persistence layer: Powertools keys it on (caller, Idempotency-Key) and
// refuses the same key with a different body (422).
interface SubmitInput {
  sub: string;
  key: string;
  request: unknown;
  actor: Identity;
}
const submitters = new WeakMap<object, (input: SubmitInput) => Promise<unknown>>();
const idempotentSubmit = (deps: HttpDeps, persistenceStore: NonNullable<HttpDeps['idempotency']>) => {
  let fn = submitters.get(persistenceStore);
  if (fn === undefined) {
    const config = new IdempotencyConfig({ eventKeyJmesPath: '[sub, key]', payloadValidationJmesPath: 'request', expiresAfterSeconds: 24 * 3600 });
    fn = makeIdempotent(
      async (input: SubmitInput) => submitGrant(deps.app, { request: input.request, actor: input.actor, source: 'api' }),
      { persistenceStore, config },
    );
    submitters.set(persistenceStore, fn);
  }
  return fn;
};

/** The grants Lambda on any deps (tests pass their own). */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler('http/grants', {
    createGrant: async (req) => {
      const deps = resolveDeps(source);
      const actor = callerOf(req);
      const key = req.headers['idempotency-key'];
      if (key === undefined || deps.idempotency === null) {
        return { status: 201, body: await submitGrant(deps.app, { request: req.body, actor, source: 'api' }) };
      }
      const submit = idempotentSubmit(deps, deps.idempotency);
      return { status: 201, body: await submit({ sub: actor.sub, key: parseWith(idempotencyKey, key, 'headers.idempotency-key'), request: req.body ?? null, actor }) };
    },
    listGrants: async (req) => {
      const { limit, cursor, ...filter } = parseWith(listQuery, req.query, 'query');
      return { status: 200, body: await listGrants(resolveDeps(source).app, filter, { limit, ...(cursor === undefined ? {} : { cursor }) }) };
    },
    getGrant: async (req) => ({ status: 200, body: await getGrant(resolveDeps(source).app, { id: req.params.id ?? '' }) }),
    approveGrant: async (req) => {
      const body = parseWith(decisionBodySchema, req.body, 'body');
      return { status: 200, body: await approveGrant(resolveDeps(source).app, { id: req.params.id ?? '', actor: callerOf(req), ...body }) };
    },
    rejectGrant: async (req) => {
      const body = parseWith(decisionBodySchema, req.body, 'body');
      return { status: 200, body: await rejectGrant(resolveDeps(source).app, { id: req.params.id ?? '', actor: callerOf(req), ...body }) };
    },
    revokeGrant: async (req) => ({ status: 202, body: await revokeGrant(resolveDeps(source).app, { id: req.params.id ?? '', actor: callerOf(req) }) }),
  }, options);

export const handler = makeHandler(liveDeps);
