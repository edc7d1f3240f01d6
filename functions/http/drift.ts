// POST /v1/drift-checks (admin) and GET /v1/drift-checks/latest (any caller), docs/api.md, docs/drift-and-expiry.md.
// POST starts a drift and expiry run now and answers 202; it is never skipped (no "a run is
// already going" refusal: runs are idempotent). Behind API Gateway the run goes to the drift
// Lambda by an asynchronous Invoke (GRANTPLANE_DRIFT_FUNCTION_NAME, set by infra), so the answer
// does not wait for IAM; without that variable (`npm start`, a single-function deployment) the run
// happens within this invocation and the 202 carries its summary.
import * as z from '../../lib/domain/zod.js';
import { type DriftApiDeps, type DriftRunReport } from '../../lib/app/drift-run.js';
import { NotFoundError } from '../../lib/domain/errors.js';
import { isDrift } from '../../lib/domain/reconcile/index.js';
import { liveDriftApiDeps } from '../../lib/wiring/drift-api.js';
import { liveDriftDeps } from '../../lib/wiring/drift.js';
import { callerOf, makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { powertoolsLog } from '../shared/logger.js';
import { powertoolsDriftMetrics } from '../shared/metrics.js';
import { parseWith } from '../shared/params.js';

export type DriftApiDepsSource = DriftApiDeps | (() => DriftApiDeps);

const LATEST = '/v1/drift-checks/latest';

const startQuery = z.strictObject({
  confirmPrune: z.optional(z.enum(['true', 'false'], { error: 'confirmPrune must be true or false' })),
});

const summaryOf = (report: DriftRunReport) => ({
  id: report.id,
  checkedAt: report.checkedAt,
  targets: report.targets.length,
  notInSync: report.targets.filter((target) => isDrift(target.status)).length,
  expired: report.expired.length,
  errors: report.errors,
});

/** The drift HTTP Lambda on any deps. */
export const makeHandler = (source: DriftApiDepsSource, options?: ChainOptions) => {
  const deps = (): DriftApiDeps => (typeof source === 'function' ? source() : source);
  return makeHttpHandler(
    'http/drift',
    {
      startDriftCheck: async (req) => {
        const { confirmPrune } = parseWith(startQuery, req.query, 'query');
        const started = await deps().start({ actor: callerOf(req).sub, confirmPrune: confirmPrune === 'true' });
        return {
          status: 202,
          headers: { Location: LATEST },
          body:
            started.status === 'started'
              ? { status: 'started', latest: LATEST }
              : { status: 'completed', latest: LATEST, report: summaryOf(started.report) },
        };
      },
      getLatestDriftCheck: async () => {
        const record = await deps().driftReports.getLatestDriftReport();
        if (record === null) {
          throw new NotFoundError('drift-check.none', 'No drift check has run yet: POST /v1/drift-checks starts one');
        }
        return { status: 200, body: record.report };
      },
    },
    options,
  );
};

export const handler = makeHandler(() =>
  liveDriftApiDeps(() => liveDriftDeps(powertoolsLog, powertoolsDriftMetrics())),
);
