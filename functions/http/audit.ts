// GET /v1/audit?grantId=&target=&actor= (docs/api.md): audit events, newest first, cursor-paged.
import * as z from 'zod';
import { listAudit } from '../../lib/app/audit.js';
import { liveDeps, resolveDeps, type DepsSource } from '../../lib/wiring/http.js';
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { pageQuery, parseWith } from '../shared/params.js';

const auditQuery = z
  .object({
    grantId: z.string().min(1).optional(),
    // A target key (`prod#flytesnacks#staging`, `prod#global`) or the same as a path (`prod/flytesnacks/staging`).
    target: z
      .string()
      .min(1)
      .transform((value) => value.replaceAll('/', '#'))
      .optional(),
    actor: z.string().min(1).optional(),
    ...pageQuery,
  })
  .strict();

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
