// Cluster resource attributes (docs/rules.md C5, docs/api.md): import a pair's current attributes (JSON or the
// YAML `uctl get cluster-resource-attribute` prints), list uctl updates, acknowledge one; and the
// changes the blast-radius guard holds (A6): list, read, release (admin). The operator's updates.
import * as z from '../../lib/domain/zod.js';
import { acknowledgeAttributeUpdate, importAttributes, listAttributeUpdates } from '../../lib/app/attributes.js';
import { getHeldChange, listHeldChanges, releaseHeldChange } from '../../lib/app/holds.js';
import { acknowledgeInfrastructureUpdate, listInfrastructureUpdates } from '../../lib/app/infrastructure.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring/http.js';
import { callerOf, makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { decisionBodySchema, pageQuery, parseWith } from '../shared/params.js';

const listQuery = z.strictObject({
  status: z.optional(z.enum(['pending', 'acknowledged'], { error: 'status must be pending or acknowledged' })),
  ...pageQuery,
});
const heldQuery = z.strictObject({ ...pageQuery });
const infrastructureQuery = z.strictObject({
  status: z.optional(z.enum(['pending', 'acknowledged'], { error: 'status must be pending or acknowledged' })),
  dataPlane: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  ...pageQuery,
});

/** The attributes Lambda on any deps. */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/attributes',
    {
      importAttributes: async (req) => {
        const { dataPlane = '', project = '', domain = '' } = req.params;
        // A YAML body arrives unparsed (rawBody); a JSON body arrives parsed.
        const body = req.body === undefined ? (req.rawBody ?? '') : req.body;
        const result = await importAttributes(resolveDeps(source).app, {
          dataPlane,
          project,
          domain,
          body,
          actor: callerOf(req),
        });
        return { status: 200, body: result };
      },
      listAttributeUpdates: async (req) => ({
        status: 200,
        body: await listAttributeUpdates(resolveDeps(source).app, parseWith(listQuery, req.query, 'query')),
      }),
      listInfrastructureUpdates: async (req) => ({
        status: 200,
        body: await listInfrastructureUpdates(
          resolveDeps(source).app,
          parseWith(infrastructureQuery, req.query, 'query'),
        ),
      }),
      acknowledgeInfrastructureUpdate: async (req) => ({
        status: 200,
        body: await acknowledgeInfrastructureUpdate(resolveDeps(source).app, {
          id: req.params.id ?? '',
          actor: callerOf(req),
        }),
      }),
      listHeldChanges: async (req) => ({
        status: 200,
        body: await listHeldChanges(resolveDeps(source).app, parseWith(heldQuery, req.query, 'query')),
      }),
      getHeldChange: async (req) => ({
        status: 200,
        body: await getHeldChange(resolveDeps(source).app, req.params.dataPlane ?? ''),
      }),
      releaseHeldChange: async (req) => {
        const body = parseWith(decisionBodySchema, req.body, 'body');
        return {
          status: 200,
          body: await releaseHeldChange(resolveDeps(source).app, {
            dataPlane: req.params.dataPlane ?? '',
            actor: callerOf(req),
            ...body,
          }),
        };
      },
      acknowledgeAttributeUpdate: async (req) => ({
        status: 200,
        body: await acknowledgeAttributeUpdate(resolveDeps(source).app, {
          id: req.params.id ?? '',
          actor: callerOf(req),
        }),
      }),
    },
    { yamlBodies: ['importAttributes'], ...options },
  );

export const handler = makeHandler(liveDeps);
