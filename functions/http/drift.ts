// POST /v1/drift-checks (admin) and GET /v1/drift-checks/latest (any caller), docs/api.md, docs/drift-and-expiry.md.
// POST starts a drift and expiry run now and answers 202; it is never skipped (no "a run is
// already going" refusal: runs are idempotent). Behind API Gateway the run goes to the drift
// Lambda by an asynchronous Invoke (GRANTPLANE_DRIFT_FUNCTION_NAME, set by infra), so the answer
// does not wait for IAM; without that variable (`npm start`, a single-function deployment) the run
// happens within this invocation and the 202 carries its summary.
import { isDrift } from '../../lib/domain/reconcile/index.js';
import * as z from 'zod';
import { liveInvoker } from '../../lib/wiring/drift-api.js';
import { runDriftCheck, type DriftRunReport } from '../../lib/app/drift-run.js';
import { NotFoundError } from '../../lib/domain/errors.js';
import type { DriftStore } from '../../lib/domain/ports.js';
import { liveDeps, WiringError } from '../../lib/wiring/http.js';
import { liveDriftDeps } from '../drift.js';
import { callerOf, makeHttpHandler, type ChainOptions } from '../shared/http.js';
import { parseWith } from '../shared/params.js';

export interface DriftRunInput {
  actor: string;
  confirmPrune: boolean;
}

/** `started`: handed to the drift function; `completed`: ran here, with the stored report. */
export type DriftStart = { status: 'started' } | { status: 'completed'; report: DriftRunReport };

export interface DriftHttpDeps {
  driftReports: DriftStore;
  start(input: DriftRunInput): Promise<DriftStart>;
}

export type DriftHttpDepsSource = DriftHttpDeps | (() => DriftHttpDeps);

const LATEST = '/v1/drift-checks/latest';

const startQuery = z
  .object({
    confirmPrune: z.enum(['true', 'false'], { error: 'confirmPrune must be true or false' }).optional(),
  })
  .strict();

const summaryOf = (report: DriftRunReport) => ({
  id: report.id,
  checkedAt: report.checkedAt,
  targets: report.targets.length,
  notInSync: report.targets.filter((target) => isDrift(target.status)).length,
  expired: report.expired.length,
  errors: report.errors,
});

/** The drift HTTP Lambda on any deps. */
export const makeHandler = (source: DriftHttpDepsSource, options?: ChainOptions) => {
  const deps = (): DriftHttpDeps => (typeof source === 'function' ? source() : source);
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

const envSchema = z.object({
  GRANTPLANE_DRIFT_FUNCTION_NAME: z.string().min(1).optional(),
});

let live: DriftHttpDeps | undefined;

/** Live deps: async Invoke of the drift function when infra names it, else a run in this process. */
export function liveDriftHttpDeps(): DriftHttpDeps {
  if (live !== undefined) return live;
  const env = envSchema.safeParse(process.env);
  if (!env.success) throw new WiringError(`${env.error.issues[0]?.path.join('.')}: ${env.error.issues[0]?.message}`);
  const functionName = env.data.GRANTPLANE_DRIFT_FUNCTION_NAME;
  if (functionName === undefined) {
    const drift = liveDriftDeps();
    live = {
      driftReports: drift.driftReports,
      start: async (input) => ({ status: 'completed', report: await runDriftCheck(drift, input) }),
    };
    return live;
  }
  // The SDK's LambdaClient takes region, credentials (the execution role's) and endpoint
  // (AWS_ENDPOINT_URL_LAMBDA) from its standard configuration.
  const invoke = liveInvoker();
  live = {
    driftReports: liveDeps().app.driftReports,
    start: async (input) => {
      await invoke(functionName, input);
      return { status: 'started' };
    },
  };
  return live;
}

export const handler = makeHandler(liveDriftHttpDeps);
