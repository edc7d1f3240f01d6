// Grants (docs/api.md): submit, list, read, approve, reject, revoke. Parse → one use case → shape.
import * as z from '../../lib/domain/zod.js';
import { approveGrant, getGrant, listGrants, rejectGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { liveDeps, resolveDeps, type DepsSource, type HttpDeps } from '../../lib/wiring/http.js';
import { callerOf, makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { makeIdempotentCall, persistenceOn, type IdempotentCall } from '../shared/idempotency.js';
import { decisionBodySchema, grantStatusSchema, pageQuery, parseWith } from '../shared/params.js';

const listQuery = z.strictObject({
  project: z.optional(z.string().check(z.minLength(1))),
  domain: z.optional(z.string().check(z.minLength(1))),
  status: z.optional(grantStatusSchema),
  source: z.optional(z.string().check(z.minLength(1))),
  ...pageQuery,
});

// One idempotent submit per deps, built on first use (only this function carries the persistence).
const submitters = new WeakMap<object, IdempotentCall<unknown, GrantRecord>>();
const idempotentSubmit = (deps: HttpDeps): IdempotentCall<unknown, GrantRecord> => {
  let submit = submitters.get(deps);
  if (submit === undefined) {
    submit = makeIdempotentCall(persistenceOn(deps.table), (request: unknown, actor) =>
      submitGrant(deps.app, { request, actor, source: 'api' }),
    );
    submitters.set(deps, submit);
  }
  return submit;
};

/** The grants Lambda on any deps (tests pass their own). */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/grants',
    {
      createGrant: async (req) => {
        const deps = resolveDeps(source);
        const actor = callerOf(req);
        const key = req.headers['idempotency-key'];
        if (key === undefined) {
          return { status: 201, body: await submitGrant(deps.app, { request: req.body, actor, source: 'api' }) };
        }
        const { value, replayed } = await idempotentSubmit(deps)(key, req.body ?? null, actor, req.context);
        return { status: replayed ? 200 : 201, body: value };
      },
      listGrants: async (req) => {
        const { limit, cursor, ...filter } = parseWith(listQuery, req.query, 'query');
        return {
          status: 200,
          body: await listGrants(resolveDeps(source).app, filter, { limit, cursor }),
        };
      },
      getGrant: async (req) => ({
        status: 200,
        body: await getGrant(resolveDeps(source).app, { id: req.params.id ?? '' }),
      }),
      approveGrant: async (req) => {
        const body = parseWith(decisionBodySchema, req.body, 'body');
        return {
          status: 200,
          body: await approveGrant(resolveDeps(source).app, { id: req.params.id ?? '', actor: callerOf(req), ...body }),
        };
      },
      rejectGrant: async (req) => {
        const body = parseWith(decisionBodySchema, req.body, 'body');
        return {
          status: 200,
          body: await rejectGrant(resolveDeps(source).app, { id: req.params.id ?? '', actor: callerOf(req), ...body }),
        };
      },
      revokeGrant: async (req) => ({
        status: 202,
        body: await revokeGrant(resolveDeps(source).app, { id: req.params.id ?? '', actor: callerOf(req) }),
      }),
    },
    options,
  );

export const handler = makeHandler(liveDeps);
