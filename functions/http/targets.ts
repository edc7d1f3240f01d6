// Targets (DESIGN §8): compiled desired state, last applied state, the uctl file and its update.
import * as z from 'zod';
import { getTarget, listTargets } from '../../lib/app/targets.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring.js';
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { parseWith } from '../shared/params.js';

const listQuery = z.object({ dataPlane: z.string().min(1).optional() }).strict();

/** The targets Lambda on any deps. */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/targets',
    {
      listTargets: async (req) => ({
        status: 200,
        body: await listTargets(resolveDeps(source).app, parseWith(listQuery, req.query, 'query')),
      }),
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
