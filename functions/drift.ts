// The drift/expiry Lambda (docs/drift-and-expiry.md): EventBridge Scheduler's target (every 15 minutes by
// default, infra `driftSchedule`), and what POST /v1/drift-checks invokes asynchronously. One run:
// expire due grants, check every AWS plane, store the report, hand repairs to the applier (through
// the table's stream: this function reads IAM only), publish DriftedTargets / ExpiredGrants.
import { isDrift } from '../lib/domain/reconcile/index.js';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import type { ApplierLog } from '../lib/app/applier.js';
import { makeStorePolicyTagCache, runDriftCheck, type DriftMetrics, type DriftRunDeps } from '../lib/app/drift-run.js';
import { liveApplierDeps, liveIamSource } from '../lib/wiring/applier.js';
import { logger } from './shared/logger.js';
import { countIfEngineError, metrics } from './shared/metrics.js';

/** The shared instance: namespace and `service` dimension infra's alarms read. */
export { metrics };

/** Powertools metrics as the run's counters (EMF in the function's log). */
export const powertoolsDriftMetrics = (target: Metrics): DriftMetrics => ({
  count: (name, value) => {
    target.addMetric(name, MetricUnit.Count, value);
  },
});

/** The Powertools logger as the run's structured log. */
export const driftLog: ApplierLog = {
  debug: (message, attributes) => logger.debug(message, { ...attributes }),
  info: (message, attributes) => logger.info(message, { ...attributes }),
  warn: (message, attributes) => logger.warn(message, { ...attributes }),
  error: (message, attributes) => logger.error(message, { ...attributes }),
};

/**
 * What an invocation may carry: nothing from the schedule; from POST /v1/drift-checks the admin
 * who asked and whether orphan pruning past the guard is confirmed. Anything else is ignored, so a
 * schedule's payload can never stop the run.
 */
const invocationSchema = z.object({
  actor: z.string().min(1).max(256).optional(),
  confirmPrune: z.boolean().optional(),
});

export type DriftDepsSource = DriftRunDeps | (() => DriftRunDeps);

let live: DriftRunDeps | undefined;

/**
 * Sets the deps liveDriftDeps gives from now on: the local stack (`npm start`) passes its own, whose
 * IAM reaches each plane's account in the emulator, so POST /v1/drift-checks run in-process uses them.
 */
export function useLiveDriftDeps(deps: DriftRunDeps): void {
  live = deps;
}

/** The live deps: the applier's wiring with IAM through each plane's read-only role, tags cached in the table. */
export function liveDriftDeps(): DriftRunDeps {
  if (live !== undefined) return live;
  const base = liveApplierDeps(driftLog);
  live = {
    ...base,
    // Reads only, in every account: planes elsewhere through their read-only drift role.
    iamFor: liveIamSource('drift'),
    tagCache: makeStorePolicyTagCache(base.driftReports, base.clock),
    metrics: powertoolsDriftMetrics(metrics),
  };
  return live;
}

/** A summary of the run for the invocation's result (the report itself is stored). */
export interface DriftInvocationResult {
  reportId: string;
  checkedAt: string;
  targets: number;
  notInSync: number;
  expired: number;
  errors: string[];
}

/**
 * The drift Lambda on any deps. `metrics`: the Powertools instance published after each run
 * (default the module's); null publishes nothing (the local stack, where EMF lines are noise).
 */
export const makeHandler = (source: DriftDepsSource, options: { metrics?: Metrics | null } = {}) => {
  const chain = middy(async (event: unknown): Promise<DriftInvocationResult> => {
    const deps = typeof source === 'function' ? source() : source;
    const parsed = invocationSchema.safeParse(event ?? {});
    const input = parsed.success ? parsed.data : {};
    if (!parsed.success) logger.warn('invocation payload ignored', { issue: parsed.error.issues[0]?.message });
    let report: Awaited<ReturnType<typeof runDriftCheck>>;
    try {
      report = await runDriftCheck(deps, {
        actor: input.actor ?? 'schedule',
        ...(input.confirmPrune === undefined ? {} : { confirmPrune: input.confirmPrune }),
      });
    } catch (error: unknown) {
      if (options.metrics !== null) countIfEngineError(error, options.metrics ?? metrics);
      throw error;
    }
    return {
      reportId: report.id,
      checkedAt: report.checkedAt,
      targets: report.targets.length,
      notInSync: report.targets.filter((target) => isDrift(target.status)).length,
      expired: report.expired.length,
      errors: report.errors,
    };
  }).use(injectLambdaContext(logger, { resetKeys: true }));
  const published = options.metrics === undefined ? metrics : options.metrics;
  return published === null ? chain : chain.use(logMetrics(published));
};

export const handler = makeHandler(liveDriftDeps);
