// Which audit events are worth telling someone about (docs/notifications.md), what the message says,
// and which channels get it. Plain functions: the notifier (lib/app/notify.ts) reads the grant, the
// drift report or the waiting updates and delivers; nothing here talks to a network.
import * as z from './zod.js';
import { sha256Hex } from './compile/hash.js';
import type { NotificationChannel, NotificationEvent, NotificationsConfig } from './config.js';
import type { AttributeUpdate, AuditEvent, GrantRecord, InfrastructureUpdate } from './records.js';

/** One message to deliver: the audit event it comes from names it, so a replay is recognised. */
export interface Notification {
  /** The audit event's id: one notification per event, whatever the number of deliveries. */
  id: string;
  event: NotificationEvent;
  dataPlane: string;
  /** The grant it is about; absent for a plane's news (drift, a waiting role or update). */
  grantId?: string;
  /** The grant's ticket: a Jira or ServiceNow channel comments on it (and hears nothing else). */
  ticket?: { system: string; key: string };
  /** One line, also the e-mail subject (SNS allows 100 characters). */
  subject: string;
  /** The body, plain text, one fact per line. */
  lines: string[];
  /** The grant's page in the console, when the console's address is configured. */
  link?: string;
}

/** Sends one message on one channel; throws when the receiver did not take it. */
export type ChannelSender = (channel: NotificationChannel, notification: Notification) => Promise<void>;

/** The part of an audit event that decides a notification. */
export type AuditFacts = Pick<AuditEvent, 'id' | 'action' | 'actor' | 'grantId' | 'detail' | 'at'> & {
  /** The grant's status after the event (the audit event's `after.status`). */
  status?: string;
};

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
    case 'grant.active':
      return 'active';
    case 'grant.revoked':
    case 'grant.expired':
      return 'ended';
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
      default:
        // GCP and Azure grants are planned, never stored (the API refuses them): named by type.
        return `${resource.type} ${JSON.stringify({ ...resource, type: undefined })}`;
    }
  })();
  const scope =
    grant.scope.type === 'global'
      ? 'every project and domain (global)'
      : `project ${grant.scope.project}, domain ${grant.scope.domain}`;
  return `${what}, for ${scope} on plane ${grant.dataPlane}`;
}

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** What a notification is about: a grant (its page, its ticket) or a plane's page in the console. */
type About = { grant: GrantRecord } | { dataPlane: string; page: 'drift' | 'targets' };

/** A notification: its lines end with the console link, when the console's address is known. */
function notification(
  id: string,
  event: NotificationEvent,
  about: About,
  headline: string,
  lines: string[],
  config: Pick<NotificationsConfig, 'consoleUrl'>,
): Notification {
  const grant = 'grant' in about ? about.grant : undefined;
  const page = grant === undefined ? (about as { page: string }).page : `grants/${encodeURIComponent(grant.id)}`;
  const link = config.consoleUrl === undefined ? undefined : `${config.consoleUrl.replace(/\/+$/, '')}/#/${page}`;
  return {
    id,
    event,
    dataPlane: grant?.dataPlane ?? (about as { dataPlane: string }).dataPlane,
    ...(grant === undefined ? {} : { grantId: grant.id }),
    ...(grant?.ticket === undefined ? {} : { ticket: { system: grant.ticket.system, key: grant.ticket.key } }),
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
  // A revocation or expiry that must first leave IAM is audited twice: when asked (the grant goes
  // `revoking`) and when done; only the end is news.
  if (event === 'ended' && audit.status === 'revoking') return null;
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
      case 'grant.active':
        return `Active: ${access}`;
      case 'grant.revoked':
        return `Revoked: ${access}`;
      case 'grant.expired':
        return `Expired: ${access}`;
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
  // The decision's own history entry (its time may differ from the audit event's by a tick).
  const decided = audit.action === 'grant.rejected' ? 'rejected' : 'approved';
  const comment = [...grant.history].reverse().find((change) => change.status === decided)?.comment;
  if (event === 'decision' && comment !== undefined && comment !== '') lines.push(`Comment: ${comment}`);
  if (event === 'apply-failed') lines.push(`Reason: ${grant.failureReason ?? audit.detail ?? 'see the audit trail'}`);
  return notification(audit.id, event, { grant }, headline, lines, config);
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
  return notification(`expiring#${grant.id}#${grant.expiresAt}`, 'expiring-soon', { grant }, headline, lines, config);
}

/** The part of a stored drift report the notifications read (the rest is the console's). */
const driftReportSchema = z.looseObject({
  id: z.string(),
  checkedAt: z.string(),
  targets: z.array(
    z.looseObject({
      dataPlane: z.string(),
      scope: z.union([
        z.looseObject({ type: z.literal('global') }),
        z.looseObject({ type: z.literal('project-domain'), project: z.string(), domain: z.string() }),
      ]),
      status: z.string(),
      differences: z._default(z.array(z.string()), []),
    }),
  ),
  rolesWaitingPastGrace: z._default(
    z.array(
      z.looseObject({ dataPlane: z.string(), targetKey: z.string(), roleName: z.string(), waitingSince: z.string() }),
    ),
    [],
  ),
});

/** The statuses that are drift: neither in sync nor grantplane's own removal. */
const DRIFT_STATUSES = new Set(['drifted', 'missing', 'orphaned']);
/** A drift message lists this many targets; the console has the rest. */
const DRIFT_LINES = 10;

const scopeWords = (scope: z.infer<typeof driftReportSchema>['targets'][number]['scope']): string =>
  scope.type === 'project-domain' ? `${scope.project}/${scope.domain}` : 'global';

/**
 * The news of a drift report: per plane with drift, one `drift-found` (its id hashes the drifted
 * targets and their differences, so the same drift, found again every run, is told once, and a
 * change in it is told again); per role waiting past the grace period, one `role-waiting` (once per
 * role and wait). A report that is not one (an older layout) tells nothing.
 */
export function driftNotificationsOf(report: unknown, config: Pick<NotificationsConfig, 'consoleUrl'>): Notification[] {
  const parsed = driftReportSchema.safeParse(report);
  if (!parsed.success) return [];
  const { targets, rolesWaitingPastGrace, checkedAt } = parsed.data;
  const out: Notification[] = [];
  const planes = [...new Set(targets.map((target) => target.dataPlane))];
  for (const dataPlane of planes) {
    const drifted = targets
      .filter((target) => target.dataPlane === dataPlane && DRIFT_STATUSES.has(target.status))
      .map((target) => ({ scope: scopeWords(target.scope), status: target.status, differences: target.differences }))
      .sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
    if (drifted.length === 0) continue;
    const headline = `Drift on plane ${dataPlane}: ${drifted.length === 1 ? '1 target differs' : `${drifted.length} targets differ`} from the desired state`;
    const lines = [
      headline,
      ...drifted
        .slice(0, DRIFT_LINES)
        .map(
          (target) =>
            `${target.scope}: ${target.status}${target.differences.length === 0 ? '' : ` (${target.differences.slice(0, 3).join('; ')})`}`,
        ),
      ...(drifted.length > DRIFT_LINES ? [`… and ${drifted.length - DRIFT_LINES} more`] : []),
      `Checked at ${checkedAt}`,
    ];
    const id = `drift#${dataPlane}#${sha256Hex(JSON.stringify(drifted)).slice(0, 16)}`;
    out.push(notification(id, 'drift-found', { dataPlane, page: 'drift' }, headline, lines, config));
  }
  for (const role of rolesWaitingPastGrace) {
    const headline = `Role ${role.roleName} on plane ${role.dataPlane} still waits for its uctl update`;
    const lines = [
      headline,
      `Target ${role.targetKey}: its grants ended, the role lost its policies at ${role.waitingSince} and is deleted once the pair's uctl update is run and acknowledged`,
      `Checked at ${checkedAt}`,
    ];
    const id = `role-waiting#${role.dataPlane}#${role.roleName}#${role.waitingSince}`;
    out.push(notification(id, 'role-waiting', { dataPlane: role.dataPlane, page: 'targets' }, headline, lines, config));
  }
  return out;
}

/** A uctl or infrastructure update still pending `updateWaitingMinutes` after it was written, once per update. */
export function waitingUpdateNotificationOf(
  update:
    | ({ kind: 'uctl' } & Pick<
        AttributeUpdate,
        'id' | 'dataPlane' | 'project' | 'domain' | 'command' | 'status' | 'createdAt'
      >)
    | ({ kind: 'infrastructure' } & Pick<
        InfrastructureUpdate,
        'id' | 'dataPlane' | 'repositoryArn' | 'accountId' | 'status' | 'createdAt'
      >),
  now: Date,
  config: Pick<NotificationsConfig, 'consoleUrl' | 'updateWaitingMinutes'>,
): Notification | null {
  if (update.status !== 'pending') return null;
  const minutes = Math.floor((now.getTime() - Date.parse(update.createdAt)) / 60_000);
  if (!(minutes >= config.updateWaitingMinutes)) return null;
  const waited = minutes >= 120 ? `${Math.floor(minutes / 60)} hours` : `${minutes} minutes`;
  const [headline, ...facts] =
    update.kind === 'uctl'
      ? [
          `uctl update for ${update.project}/${update.domain} on plane ${update.dataPlane} waits for ${waited}`,
          `Run it, then acknowledge it: ${update.command}`,
        ]
      : [
          `Repository policy update for ${update.repositoryArn} waits for ${waited}`,
          `Account ${update.accountId} owns the repository and applies it; then acknowledge it`,
        ];
  const lines = [headline, ...facts, `Update ${update.id}, written ${update.createdAt}`];
  return notification(
    `update-waiting#${update.id}`,
    'update-waiting',
    { dataPlane: update.dataPlane, page: 'targets' },
    headline,
    lines,
    config,
  );
}

/**
 * The channels subscribed to a notification's event on its plane, each once, in configuration order.
 * A Jira or ServiceNow channel only ever comments on the notification's own ticket of that system.
 */
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
  return config.channels.filter(
    (channel) =>
      subscribed.has(channel.name) &&
      ((channel.type !== 'jira' && channel.type !== 'servicenow') || notification.ticket?.system === channel.type),
  );
}
