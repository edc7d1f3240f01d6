// The applier Lambda (docs/applier.md): the table's stream → the touched targets, each reconciled once;
// partial batch failures name the records of the targets that failed, so Lambda's event source
// mapping retries exactly those (A4). A scheduled invocation (no Records) sweeps every target that
// is behind, failed, or waiting for its uctl update (an acknowledgement or attribute import may have woken nothing).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { applyPendingTargets, applyTargets, type ApplierDeps, type TargetOutcome } from '../lib/app/applier.js';
import { liveApplierDeps, targetsOfRecord } from '../lib/wiring/applier.js';
import { logger, powertoolsLog } from './shared/logger.js';
import { countIfEngineError, countMetric, METRIC, metrics } from './shared/metrics.js';

/** Applier deps, or a function giving them on first use (the live wiring). */
export type ApplierDepsSource = ApplierDeps | (() => ApplierDeps);

/** FailedApplies / FailedGrants for the alarms (docs/deploy.md): targets that failed, grants moved to failed. */
const countFailures = (outcomes: readonly TargetOutcome[]): void => {
  countMetric(METRIC.failedApplies, outcomes.filter((o) => o.outcome === 'failed').length);
  countMetric(
    METRIC.failedGrants,
    outcomes.flatMap((o) => o.grantChanges).filter((change) => change.endsWith('→ failed')).length,
  );
};

/** The applier Lambda on any deps; an engine failure fails the invocation (and counts EngineErrors). */
export const makeHandler = (source: ApplierDepsSource) =>
  middy(async (event: DynamoDBStreamEvent | ScheduledEvent): Promise<DynamoDBBatchResponse> => {
    try {
      return await handle(typeof source === 'function' ? source() : source, event);
    } catch (error: unknown) {
      countIfEngineError(error);
      throw error;
    }
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));

const handle = async (
  deps: ApplierDeps,
  event: DynamoDBStreamEvent | ScheduledEvent,
): Promise<DynamoDBBatchResponse> => {
  if (!('Records' in event)) {
    const outcomes = await applyPendingTargets(deps);
    countFailures(outcomes);
    const summary = {
      targets: outcomes.length,
      failed: outcomes.filter((o) => o.outcome === 'failed').map((o) => o.targetKey),
    };
    if (outcomes.length > 0) logger.info('sweep done', summary);
    else logger.debug('sweep done', summary);
    return { batchItemFailures: [] };
  }
  const sequences = new Map<string, string[]>();
  for (const record of event.Records) {
    const sequence = record.dynamodb?.SequenceNumber;
    for (const key of targetsOfRecord(record))
      sequences.set(key, [...(sequences.get(key) ?? []), ...(sequence === undefined ? [] : [sequence])]);
  }
  if (sequences.size === 0) return { batchItemFailures: [] };
  const outcomes = await applyTargets(deps, [...sequences.keys()]);
  countFailures(outcomes);
  const failed = outcomes.filter((outcome) => outcome.outcome === 'failed');
  logger.info('batch applied', {
    records: event.Records.length,
    targets: outcomes.length,
    failed: failed.map((o) => o.targetKey),
  });
  return {
    batchItemFailures: failed
      .flatMap((outcome) => sequences.get(outcome.targetKey) ?? [])
      .map((itemIdentifier) => ({ itemIdentifier })),
  };
};

export const handler = makeHandler(() => liveApplierDeps(powertoolsLog));
