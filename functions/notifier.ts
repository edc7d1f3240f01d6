// The notifier Lambda (docs/notifications.md): the table's stream, filtered to the audit events that
// can notify someone → a message on every subscribed channel, once per event and channel. Partial
// batch failures name the records whose sends failed, so the event source mapping retries exactly
// those (the delivery records skip channels that already had them); what still fails lands in the DLQ.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { notifyAudit, notifyReminders, type NotifierDeps, type ReminderOutcome } from '../lib/app/notify.js';
import { auditFactsOf, liveNotifierDeps } from '../lib/wiring/notifier.js';
import { logger, powertoolsLog } from './shared/logger.js';
import { countMetric, metrics } from './shared/metrics.js';

/** Notifier deps, or a function giving them on first use (the live wiring). */
export type NotifierDepsSource = NotifierDeps | (() => NotifierDeps);

export const makeHandler = (source: NotifierDepsSource) =>
  middy(
    async (event: DynamoDBStreamEvent | Record<string, unknown>): Promise<DynamoDBBatchResponse | ReminderOutcome> => {
      const deps = typeof source === 'function' ? source() : source;
      // The schedule's invocation (an event without Records): grants expiring soon, updates waiting.
      if (!Array.isArray(event.Records)) {
        const reminders = await notifyReminders(deps);
        countMetric('NotificationsSent', reminders.sent);
        countMetric('NotificationsFailed', reminders.failed.length);
        if (reminders.failed.length > 0)
          // A failed pass is retried (Lambda's asynchronous retries, then the next hour); sent ones are skipped.
          throw new Error(
            `${reminders.failed.length} reminder(s) not delivered: ${reminders.failed.map((f) => `${f.id} on ${f.channel}: ${f.error}`).join('; ')}`,
          );
        return reminders;
      }
      const failures: { itemIdentifier: string }[] = [];
      let sent = 0;
      for (const record of (event as DynamoDBStreamEvent).Records) {
        const audit = auditFactsOf(record);
        if (audit === null) continue;
        try {
          const outcome = await notifyAudit(deps, audit);
          sent += outcome.sent.length;
          if (outcome.failed.length === 0) continue;
        } catch (error: unknown) {
          logger.error('notification not processed', { auditId: audit.id, error: String(error) });
        }
        const sequence = record.dynamodb?.SequenceNumber;
        if (sequence !== undefined) failures.push({ itemIdentifier: sequence });
      }
      countMetric('NotificationsSent', sent);
      countMetric('NotificationsFailed', failures.length);
      return { batchItemFailures: failures };
    },
  )
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));

export const handler = makeHandler(() => liveNotifierDeps(powertoolsLog));
