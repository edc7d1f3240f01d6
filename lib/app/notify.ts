// The notifier (docs/notifications.md): audit events from the table's stream → the messages the
// subscriptions ask for (a drift run's audit event: the news of its report), and an hourly pass for
// expiring grants and updates that wait too long; each (event, channel) delivered once. A delivery record per pair, claimed
// with a conditional put before sending, makes a replayed stream batch or a concurrent retry send
// nothing twice; a send that failed is marked so, and its retry sends it again.
import type { NotificationChannel, NotificationEvent, NotificationsConfig } from '../domain/config.js';
import {
  channelsFor,
  driftNotificationsOf,
  expiringNotificationOf,
  waitingUpdateNotificationOf,
  notificationOf,
  type AuditFacts,
  type ChannelSender,
  type Notification,
} from '../domain/notifications.js';
import type { AttributeUpdate } from '../domain/records.js';
import type {
  AttributeStore,
  Clock,
  DeliveryStore,
  DriftStore,
  GrantStore,
  InfrastructureUpdateStore,
} from '../domain/ports.js';

export interface NotifierDeps {
  grants: Pick<GrantStore, 'getGrant' | 'listGrantsByStatus'>;
  /** The configured planes' names: the reminder pass reads each plane's active grants. */
  dataPlanes: string[];
  deliveries: DeliveryStore;
  driftReports: Pick<DriftStore, 'getLatestDriftReport'>;
  attributes: Pick<AttributeStore, 'listAttributeUpdates'>;
  infrastructure: Pick<InfrastructureUpdateStore, 'listInfrastructureUpdates'>;
  notifications: NotificationsConfig;
  clock: Clock;
  send: ChannelSender;
  log: {
    info(message: string, detail?: Record<string, unknown>): void;
    error(message: string, detail?: Record<string, unknown>): void;
  };
}

/** Delivery records are kept this long: far past the stream's 24-hour retention and the retries. */
export const NOTIFICATION_RECORD_TTL_SECONDS = 14 * 24 * 3600;
/** A claim this old whose send never reported back (the function stopped mid-send) is sent again. */
export const STALE_SENDING_MS = 5 * 60_000;

type DeliveryState = { state: 'sending' | 'sent' | 'failed'; error?: string };

export interface NotifyOutcome {
  /** The audit event's id. */
  id: string;
  sent: string[];
  /** Channels that had it already (a replay). */
  duplicate: string[];
  failed: { channel: string; error: string }[];
}

const sourceOf = (channel: NotificationChannel): string => `notify#${channel.name}`;

const stateOf = (result: unknown): DeliveryState['state'] | undefined =>
  typeof result === 'object' && result !== null && 'state' in result
    ? (result.state as DeliveryState['state'])
    : undefined;

const subscribedTo = (deps: NotifierDeps, events: readonly NotificationEvent[]): boolean =>
  deps.notifications.subscriptions.some((subscription) => subscription.events.some((e) => events.includes(e)));

/**
 * Delivers one audit event's notification on every subscribed channel that has not had it yet. A
 * drift run's event (`drift.checked`) delivers the news of the latest report: drift found per plane,
 * roles waiting past the grace period.
 */
export async function notifyAudit(deps: NotifierDeps, audit: AuditFacts): Promise<NotifyOutcome> {
  const empty: NotifyOutcome = { id: audit.id, sent: [], duplicate: [], failed: [] };
  if (audit.action === 'drift.checked') {
    if (!subscribedTo(deps, ['drift-found', 'role-waiting'])) return empty;
    const latest = await deps.driftReports.getLatestDriftReport();
    if (latest === null) return empty;
    return deliverAll(deps, audit.id, driftNotificationsOf(latest.report, deps.notifications));
  }
  if (audit.grantId === undefined) return empty;
  const grant = await deps.grants.getGrant(audit.grantId);
  if (grant === null) return empty;
  const notification = notificationOf(audit, grant, deps.notifications);
  return notification === null ? empty : deliver(deps, notification);
}

export interface ReminderOutcome {
  /** Reminders due (each once per grant and expiry date, or per waiting update). */
  due: number;
  sent: number;
  failed: { id: string; channel: string; error: string }[];
}

/**
 * The schedule's pass: every active grant expiring within 7 days (once per expiry date), and every
 * uctl or infrastructure update pending longer than `updateWaitingMinutes` (once per update), on the
 * channels subscribed to `expiring-soon` / `update-waiting` (nothing is read for an event no one
 * subscribed to).
 */
export async function notifyReminders(deps: NotifierDeps): Promise<ReminderOutcome> {
  const outcome: ReminderOutcome = { due: 0, sent: 0, failed: [] };
  const remind = async (notification: Notification | null) => {
    if (notification === null) return;
    outcome.due += 1;
    const delivered = await deliver(deps, notification);
    outcome.sent += delivered.sent.length;
    outcome.failed.push(...delivered.failed.map((failure) => ({ id: notification.id, ...failure })));
  };
  const now = deps.clock.now();
  if (subscribedTo(deps, ['expiring-soon']))
    for (const plane of deps.dataPlanes)
      for (const grant of await deps.grants.listGrantsByStatus(plane, ['active']))
        await remind(expiringNotificationOf(grant, now, deps.notifications));
  if (subscribedTo(deps, ['update-waiting'])) {
    // A pair's newest pending update is the one to run (uctl replaces the pair's whole map; running
    // it acknowledges the older ones): only it is announced.
    const newest = new Map<string, AttributeUpdate>();
    let cursor: string | undefined;
    do {
      const page = await deps.attributes.listAttributeUpdates('pending', { limit: 100, cursor });
      for (const update of page.items) {
        const pair = `${update.dataPlane}/${update.project}/${update.domain}`;
        const known = newest.get(pair);
        const newer =
          known === undefined ||
          known.createdAt < update.createdAt ||
          (known.createdAt === update.createdAt && known.id < update.id);
        if (newer) newest.set(pair, update);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    for (const update of newest.values())
      await remind(waitingUpdateNotificationOf({ kind: 'uctl', ...update }, now, deps.notifications));
    for (const update of await deps.infrastructure.listInfrastructureUpdates(deps.dataPlanes))
      await remind(waitingUpdateNotificationOf({ ...update, kind: 'infrastructure' }, now, deps.notifications));
  }
  return outcome;
}

/** Delivers several notifications of one stream record; the outcome names the record. */
async function deliverAll(deps: NotifierDeps, id: string, notifications: Notification[]): Promise<NotifyOutcome> {
  const outcome: NotifyOutcome = { id, sent: [], duplicate: [], failed: [] };
  for (const notification of notifications) {
    const delivered = await deliver(deps, notification);
    outcome.sent.push(...delivered.sent);
    outcome.duplicate.push(...delivered.duplicate);
    outcome.failed.push(...delivered.failed);
  }
  return outcome;
}

/** Sends a notification on every subscribed channel whose delivery record does not say it has it. */
async function deliver(deps: NotifierDeps, notification: Notification): Promise<NotifyOutcome> {
  const outcome: NotifyOutcome = { id: notification.id, sent: [], duplicate: [], failed: [] };
  for (const channel of channelsFor(deps.notifications, notification)) {
    const now = deps.clock.now();
    const record = (result: DeliveryState) => ({
      source: sourceOf(channel),
      deliveryId: notification.id,
      at: deps.clock.now().toISOString(),
      result,
    });
    const existing = await deps.deliveries.claimDelivery(
      record({ state: 'sending' }),
      NOTIFICATION_RECORD_TTL_SECONDS,
      now,
    );
    if (existing !== null) {
      const state = stateOf(existing.result);
      const stale = state === 'sending' && now.getTime() - Date.parse(existing.at) >= STALE_SENDING_MS;
      if (state !== 'failed' && !stale) {
        outcome.duplicate.push(channel.name);
        continue;
      }
      await deps.deliveries.rememberDelivery(record({ state: 'sending' }), NOTIFICATION_RECORD_TTL_SECONDS);
    }
    try {
      await deps.send(channel, notification);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      await deps.deliveries.rememberDelivery(
        record({ state: 'failed', error: message }),
        NOTIFICATION_RECORD_TTL_SECONDS,
      );
      outcome.failed.push({ channel: channel.name, error: message });
      deps.log.error('notification not delivered', { id: notification.id, channel: channel.name, error: message });
      continue;
    }
    await deps.deliveries.rememberDelivery(record({ state: 'sent' }), NOTIFICATION_RECORD_TTL_SECONDS);
    outcome.sent.push(channel.name);
  }
  if (outcome.sent.length > 0)
    deps.log.info('notification sent', { id: notification.id, event: notification.event, channels: outcome.sent });
  return outcome;
}
