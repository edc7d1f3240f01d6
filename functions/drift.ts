// The drift/expiry Lambda (docs/drift-and-expiry.md): EventBridge Scheduler's target (every 15 minutes by
// default, infra `driftSchedule`), and what POST /v1/drift-checks invokes asynchronously. One run:
// expire due grants, check every AWS plane, store the report, hand repairs to the applier (through
// the table's stream: this function reads IAM only), publish DriftedTargets / ExpiredGrants.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from '../lib/domain/zod.js';
import { runDriftCheck, type DriftRunDeps } from '../lib/app/drift-run.js';
import { isDrift } from '../lib/domain/reconcile/index.js';
import { liveDriftDeps } from '../lib/wiring/drift.js';
import { logger, powertoolsLog } from './shared/logger.js';
import { countIfEngineError, metrics, powertoolsDriftMetrics } from './shared/metrics.js';

/**
 * What an invocation may carry: nothing from the schedule; from POST /v1/drift-checks the admin
 * who asked and whether orphan pruning past the guard is confirmed. Anything else is ignored, so a
 * schedule's payload can never stop the run.
 */
const invocationSchema = z.object({
  actor: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  confirmPrune: z.optional(z.boolean()),
});

export type DriftDepsSource = DriftRunDeps | (() => DriftRunDeps);

/**
 * The drift Lambda on any deps. `metrics`: the Powertools instance published after each run
 * (default the module's); null publishes nothing (the local stack, where EMF lines are noise).
 * Answers a summary of the run (the report itself is stored).
 */
export const makeHandler = (source: DriftDepsSource, options: { metrics?: Metrics | null } = {}) => {
  const chain = middy(async (event: unknown) => {
    const parsed = invocationSchema.safeParse(event ?? {});
    if (!parsed.success) logger.warn('invocation payload ignored', { issue: parsed.error.issues[0]?.message });
    const input = parsed.success ? parsed.data : {};
    const report = await runDriftCheck(typeof source === 'function' ? source() : source, {
      actor: input.actor ?? 'schedule',
      ...(input.confirmPrune === undefined ? {} : { confirmPrune: input.confirmPrune }),
    }).catch((error: unknown) => {
      if (options.metrics !== null) countIfEngineError(error, options.metrics ?? metrics);
      throw error;
    });
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

export const handler = makeHandler(() => liveDriftDeps(powertoolsLog, powertoolsDriftMetrics()));
