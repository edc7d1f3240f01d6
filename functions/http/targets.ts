// Targets (docs/api.md): compiled desired state, last applied state, the uctl file and its update.
import * as z from '../../lib/domain/zod.js';
import { getTarget, listTargets } from '../../lib/app/targets.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring/http.js';
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { pageQuery, parseWith } from '../shared/params.js';

const listQuery = z.strictObject({ dataPlane: z.optional(z.string().check(z.minLength(1))), ...pageQuery });

/** The targets Lambda on any deps. */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/targets',
    {
      listTargets: async (req) => {
        const { dataPlane, limit, cursor } = parseWith(listQuery, req.query, 'query');
        const filter = dataPlane === undefined ? {} : { dataPlane };
        const page = { limit, cursor };
        return { status: 200, body: await listTargets(resolveDeps(source).app, filter, page) };
      },
      getGlobalTarget: async (req) => ({
        status: 200,
        body: await getTarget(resolveDeps(source).app, {
          dataPlane: req.params.dataPlane ?? '',
          scope: { type: 'global' },
        }),
      }),
      getTarget: async (req) => ({
        status: 200,
        body: await getTarget(resolveDeps(source).app, {
          dataPlane: req.params.dataPlane ?? '',
          scope: { type: 'project-domain', project: req.params.project ?? '', domain: req.params.domain ?? '' },
        }),
      }),
    },
    options,
  );

export const handler = makeHandler(liveDeps);
