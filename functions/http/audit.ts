// GET /v1/audit?grantId=&target=&actor= (docs/api.md): audit events, newest first, cursor-paged.
import * as z from '../../lib/domain/zod.js';
import { listAudit } from '../../lib/app/audit.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring/http.js';
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { pageQuery, parseWith } from '../shared/params.js';

const auditQuery = z.strictObject({
  grantId: z.optional(z.string().check(z.minLength(1))),
  // A target key (`prod#flytesnacks#staging`, `prod#global`) or the same as a path (`prod/flytesnacks/staging`).
  target: z.optional(
    z.pipe(
      z.string().check(z.minLength(1)),
      z.transform((value) => value.replaceAll('/', '#')),
    ),
  ),
  actor: z.optional(z.string().check(z.minLength(1))),
  ...pageQuery,
});

/** The audit Lambda on any deps. */
export const makeHandler = (source: DepsSource, options?: ChainOptions) =>
  makeHttpHandler(
    'http/audit',
    {
      listAudit: async (req) => {
        const { grantId, target, actor, limit, cursor } = parseWith(auditQuery, req.query, 'query');
        const filter = {
          ...(grantId === undefined ? {} : { grantId }),
          ...(target === undefined ? {} : { targetKey: target }),
          ...(actor === undefined ? {} : { actor }),
        };
        const page = { limit, cursor };
        return { status: 200, body: await listAudit(resolveDeps(source).app, filter, page) };
      },
    },
    options,
  );

export const handler = makeHandler(liveDeps);
