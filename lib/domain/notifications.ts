// Which audit events are worth telling someone about (docs/notifications.md), what the message says,
// and which channels get it. Plain functions: the notifier (lib/app/notify.ts) reads the grant and
// delivers; nothing here talks to a network.
import type { NotificationChannel, NotificationEvent, NotificationsConfig } from './config.js';
import type { AuditEvent, GrantRecord } from './records.js';

/** One message to deliver: the audit event it comes from names it, so a replay is recognised. */
export interface Notification {
  /** The audit event's id: one notification per event, whatever the number of deliveries. */
  id: string;
  event: NotificationEvent;
  dataPlane: string;
  grantId: string;
  /** One line, also the e-mail subject (SNS allows 100 characters). */
  subject: string;
  /** The body, plain text, one fact per line. */
  lines: string[];
  /** The grant's page in the console, when the console's address is configured. */
  link?: string;
}

/** The part of an audit event that decides a notification. */
export type AuditFacts = Pick<AuditEvent, 'id' | 'action' | 'actor' | 'grantId' | 'detail' | 'at'>;

/** The event an audit action stands for, or null for one nobody is told about. */
export function notificationEventOf(action: string): NotificationEvent | null {
  switch (action) {
    case 'grant.submitted':
      return 'approval-requested';
    case 'grant.approved':
    case 'grant.rejected':
      return 'decision';
    case 'grant.failed':
      return 'apply-failed';
    default:
      return null;
  }
}

/** The grant's access in words: what, where, for whom. */
export function describeGrantAccess(grant: GrantRecord): string {
  const resource = grant.resource;
  const what = (() => {
    switch (resource.type) {
      case 's3':
        return `${resource.access} on S3 bucket ${resource.bucket}${resource.prefix === undefined ? '' : ` under ${resource.prefix}`}`;
      case 'secretsmanager':
        return `read of secret ${resource.secretArn ?? resource.secretName ?? '?'}`;
      case 'ecr':
        return `pull from ECR repository ${resource.repositoryArn}`;
      case 'iam-statements':
        return `${resource.statements.length} IAM statement(s): ${resource.statements
          .map(
            (statement) =>
              `${String(statement.Effect ?? 'Allow')} ${[statement.Action ?? statement.NotAction].flat().map(String).join(', ')} on ${[statement.Resource ?? statement.NotResource].flat().map(String).join(', ')}`,
          )
          .join('; ')}`;
    }
  })();
  const scope =
    grant.scope.type === 'global'
      ? 'every project and domain (global)'
      : `project ${grant.scope.project}, domain ${grant.scope.domain}`;
  return `${what}, for ${scope} on plane ${grant.dataPlane}`;
}

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** A notification of a grant: its lines end with the console link, when the console's address is known. */
function notification(
  id: string,
  event: NotificationEvent,
  grant: GrantRecord,
  headline: string,
  lines: string[],
  config: Pick<NotificationsConfig, 'consoleUrl'>,
): Notification {
  const link =
    config.consoleUrl === undefined
      ? undefined
      : `${config.consoleUrl.replace(/\/+$/, '')}/#/grants/${encodeURIComponent(grant.id)}`;
  return {
    id,
    event,
    dataPlane: grant.dataPlane,
    grantId: grant.id,
    subject: clip(`grantplane: ${headline}`, 100),
    lines: link === undefined ? lines : [...lines, `Console: ${link}`],
    ...(link === undefined ? {} : { link }),
  };
}

/** The notification for an audit event of a grant, or null when the event is not one to tell. */
export function notificationOf(
  audit: AuditFacts,
  grant: GrantRecord,
  config: Pick<NotificationsConfig, 'consoleUrl'>,
): Notification | null {
  const event = notificationEventOf(audit.action);
  // A git-synced grant arrives approved (its review was the approval): nobody is asked to approve it.
  if (event === null || (event === 'approval-requested' && grant.history[0]?.status !== 'pending-approval'))
    return null;
  const access = describeGrantAccess(grant);
  const headline = (() => {
    switch (audit.action) {
      case 'grant.submitted':
        return `Approval requested: ${grant.requester} asks for ${access}`;
      case 'grant.approved':
        return `Approved by ${audit.actor}: ${access}`;
      case 'grant.rejected':
        return `Rejected by ${audit.actor}: ${access}`;
      default:
        return `Apply failed: ${access}`;
    }
  })();
  const lines = [
    headline,
    `Grant ${grant.id}, requested by ${grant.requester}${grant.source === 'api' ? '' : ` via ${grant.source}`}`,
  ];
  if (grant.justification !== undefined && grant.justification.trim() !== '')
    lines.push(`Justification: ${grant.justification.trim()}`);
  if (grant.ticket !== undefined) lines.push(`Ticket: ${grant.ticket.system} ${grant.ticket.key}`);
  lines.push(grant.expiresAt === undefined ? 'Expires: never' : `Expires: ${grant.expiresAt}`);
  const comment = [...grant.history].reverse().find((change) => change.at === audit.at)?.comment;
  if (event === 'decision' && comment !== undefined && comment !== '') lines.push(`Comment: ${comment}`);
  if (event === 'apply-failed') lines.push(`Reason: ${grant.failureReason ?? audit.detail ?? 'see the audit trail'}`);
  return notification(audit.id, event, grant, headline, lines, config);
}

/** An active grant is announced once this close to its expiry. */
export const EXPIRING_SOON_MS = 7 * 24 * 3600_000;

/**
 * The reminder for an active grant expiring within 7 days, or null. Its id names the grant and the
 * expiry, so each expiry is announced once, and a grant renewed to a new date is announced again.
 */
export function expiringNotificationOf(
  grant: GrantRecord,
  now: Date,
  config: Pick<NotificationsConfig, 'consoleUrl'>,
): Notification | null {
  if (grant.status !== 'active' || grant.expiresAt === undefined) return null;
  const left = Date.parse(grant.expiresAt) - now.getTime();
  if (!(left > 0 && left <= EXPIRING_SOON_MS)) return null;
  const days = Math.max(1, Math.round(left / (24 * 3600_000)));
  const headline = `Expires in ${days} day${days === 1 ? '' : 's'}: ${describeGrantAccess(grant)}`;
  const lines = [
    headline,
    `Grant ${grant.id}, requested by ${grant.requester}${grant.source === 'api' ? '' : ` via ${grant.source}`}`,
    `Expires: ${grant.expiresAt} (ask for a new expiry before then, or let it lapse)`,
  ];
  return notification(`expiring#${grant.id}#${grant.expiresAt}`, 'expiring-soon', grant, headline, lines, config);
}

/** The channels subscribed to a notification's event on its plane, each once, in configuration order. */
export function channelsFor(config: NotificationsConfig, notification: Notification): NotificationChannel[] {
  const subscribed = new Set(
    config.subscriptions
      .filter(
        (subscription) =>
          subscription.events.includes(notification.event) &&
          (subscription.dataPlanes === undefined || subscription.dataPlanes.includes(notification.dataPlane)),
      )
      .map((subscription) => subscription.channel),
  );
  return config.channels.filter((channel) => subscribed.has(channel.name));
}
