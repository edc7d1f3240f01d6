// PUT /v1/sources/{source}/grants (docs/git-sync.md): GitOps sync of one repository's complete set.
// Parse → one use case (syncSource) → shape. Always 200 with {added, unchanged, removed}.
import * as z from '../../lib/domain/zod.js';
import { syncSource } from '../../lib/app/sync.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring/http.js';
import { callerOf, makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { parseWith } from '../shared/params.js';

// Entries stay unknown here: validating each grant is the use case's job (422 with grants[i] paths).
const syncBody = z.strictObject({
  grants: z
    .array(z.unknown())
    .check(z.maxLength(1000, 'at most 1,000 grants per source; split the repository into several sources')),
  revision: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

const flag = z.pipe(
  z.enum(['true', 'false'], { error: 'must be true or false' }),
  z.transform((value) => value === 'true'),
);
const syncQuery = z.strictObject({ dryRun: z.optional(flag), confirmPrune: z.optional(flag) });

/** The sources Lambda on any deps. */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/sources',
    {
      syncSourceGrants: async (req) => {
        const query = parseWith(syncQuery, req.query, 'query');
        const body = parseWith(syncBody, req.body, 'body');
        const result = await syncSource(resolveDeps(source).app, {
          source: req.params.source ?? '',
          grants: body.grants,
          ...(body.revision === undefined ? {} : { revision: body.revision }),
          dryRun: query.dryRun ?? false,
          confirmPrune: query.confirmPrune ?? false,
          actor: callerOf(req),
        });
        return { status: 200, body: result };
      },
    },
    options,
  );

export const handler = makeHandler(liveDeps);
