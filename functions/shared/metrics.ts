// The one Powertools Metrics instance (EMF lines in each function's log): namespace `grantplane`,
// dimension `service=grantplane`, which is what infra's alarms read (docs/deploy.md).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DriftMetrics } from '../../lib/app/drift-run.js';
import { EngineError } from '../../lib/domain/errors.js';

export const metrics = new Metrics({ namespace: 'grantplane', serviceName: 'grantplane' });

/** Names of the metrics grantplane publishes; infra/stacks alarms on them by these names. */
export const METRIC = {
  engineErrors: 'EngineErrors',
  failedApplies: 'FailedApplies',
  failedGrants: 'FailedGrants',
  driftRuns: 'DriftRuns',
  rolesWaitingPastGrace: 'RolesWaitingPastGrace',
  heldRemovals: 'HeldRemovals',
  driftedTargets: 'DriftedTargets',
} as const;

/** Adds a count to the stored metrics (published by logMetrics, or by publishNow). */
export const countMetric = (name: string, value = 1, target: Metrics = metrics): void => {
  target.addMetric(name, MetricUnit.Count, value);
};

/** Publishes what is stored now: for handlers that do not run the logMetrics middleware. */
export const publishNow = (target: Metrics = metrics): void => {
  target.publishStoredMetrics();
};

/** Counts an engine failure (the EngineErrors alarm) when `error` is one; true when it was. */
export const countIfEngineError = (error: unknown, target: Metrics = metrics): boolean => {
  const engine = error instanceof EngineError || (error instanceof Error && error.cause instanceof EngineError);
  if (engine) countMetric(METRIC.engineErrors, 1, target);
  return engine;
};

/** Powertools metrics as a drift run's counters (EMF in the function's log). */
export const powertoolsDriftMetrics = (target: Metrics = metrics): DriftMetrics => ({
  count: (name, value) => countMetric(name, value, target),
});
