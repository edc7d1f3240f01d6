// POST /v1/plan (docs/api.md): dry run of {grants:[...]} against the stored desired state.
import * as z from '../../lib/domain/zod.js';
import { planAgainstDesiredState } from '../../lib/app/plan.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring/http.js';
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { parseWith } from '../shared/params.js';

// Entries stay unknown here: validating each grant is the engine's job (rejections, not a 400).
const planBody = z.strictObject({
  grants: z.array(z.unknown()).check(z.maxLength(500, 'at most 500 grants per plan')),
});

/** The plan Lambda on any deps. */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/plan',
    {
      planGrants: async (req) => {
        const { grants } = parseWith(planBody, req.body, 'body');
        return { status: 200, body: await planAgainstDesiredState(resolveDeps(source).app, grants) };
      },
    },
    options,
  );

export const handler = makeHandler(liveDeps);
