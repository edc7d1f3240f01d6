// The notifier (docs/notifications.md): audit events from the table's stream → the messages the
// subscriptions ask for, each (event, channel) delivered once. A delivery record per pair, claimed
// with a conditional put before sending, makes a replayed stream batch or a concurrent retry send
// nothing twice; a send that failed is marked so, and its retry sends it again.
import type { NotificationChannel, NotificationsConfig } from '../domain/config.js';
import {
  channelsFor,
  expiringNotificationOf,
  notificationOf,
  type AuditFacts,
  type Notification,
} from '../domain/notifications.js';
import type { Clock, DeliveryStore, GrantStore } from '../domain/ports.js';

/** Sends one message on one channel; throws when the receiver did not take it. */
export type ChannelSender = (channel: NotificationChannel, notification: Notification) => Promise<void>;

export interface NotifierDeps {
  grants: Pick<GrantStore, 'getGrant' | 'listGrantsByStatus'>;
  /** The configured planes' names: the reminder pass reads each plane's active grants. */
  dataPlanes: string[];
  deliveries: DeliveryStore;
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

/** Delivers one audit event's notification on every subscribed channel that has not had it yet. */
export async function notifyAudit(deps: NotifierDeps, audit: AuditFacts): Promise<NotifyOutcome> {
  const empty: NotifyOutcome = { id: audit.id, sent: [], duplicate: [], failed: [] };
  if (audit.grantId === undefined) return empty;
  const grant = await deps.grants.getGrant(audit.grantId);
  if (grant === null) return empty;
  const notification = notificationOf(audit, grant, deps.notifications);
  return notification === null ? empty : deliver(deps, notification);
}

export interface ReminderOutcome {
  /** Reminders due (each once per grant and expiry date). */
  due: number;
  sent: number;
  failed: { id: string; channel: string; error: string }[];
}

/**
 * The schedule's pass: every active grant expiring within 7 days, announced once per expiry date on
 * the channels subscribed to `expiring-soon` (nothing is read when none is).
 */
export async function notifyExpiringGrants(deps: NotifierDeps): Promise<ReminderOutcome> {
  const outcome: ReminderOutcome = { due: 0, sent: 0, failed: [] };
  if (!deps.notifications.subscriptions.some((subscription) => subscription.events.includes('expiring-soon')))
    return outcome;
  for (const plane of deps.dataPlanes) {
    for (const grant of await deps.grants.listGrantsByStatus(plane, ['active'])) {
      const notification = expiringNotificationOf(grant, deps.clock.now(), deps.notifications);
      if (notification === null) continue;
      outcome.due += 1;
      const delivered = await deliver(deps, notification);
      outcome.sent += delivered.sent.length;
      outcome.failed.push(...delivered.failed.map((failure) => ({ id: notification.id, ...failure })));
    }
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
