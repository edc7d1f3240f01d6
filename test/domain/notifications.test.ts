// Notifications (docs/notifications.md): the configuration's channels and subscriptions, which audit
// events notify, what the message says, and which channels get it.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/domain/config.js';
import {
  channelsFor,
  expiringNotificationOf,
  notificationOf,
  type AuditFacts,
} from '../../lib/domain/notifications.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { prodPlane } from './engine-fixtures.js';

const SECRET = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/slack-AbCdEf';
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:grantplane-approvers';

const withNotifications = (notifications: unknown) => ({ dataPlanes: [prodPlane()], notifications });

const problem = (raw: unknown): string => {
  try {
    parseConfig(raw);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
};

const channels = [
  { name: 'approvers', type: 'slack', webhookUrlSecretArn: SECRET },
  { name: 'mail', type: 'email', topicArn: TOPIC },
];

describe('notifications configuration (docs/notifications.md)', () => {
  it('defaults to no channels and no subscriptions', () => {
    expect(parseConfig({ dataPlanes: [prodPlane()] }).notifications).toEqual({ channels: [], subscriptions: [] });
  });

  it('names the key of every mistake: duplicate channel, unknown channel, unknown plane, event, ARN', () => {
    expect(
      problem(withNotifications({ channels: [...channels, { name: 'mail', type: 'email', topicArn: TOPIC }] })),
    ).toMatch(/^notifications\.channels\[2\]\.name: duplicate channel name "mail"/);
    expect(
      problem(withNotifications({ channels, subscriptions: [{ channel: 'pager', events: ['decision'] }] })),
    ).toMatch(/^notifications\.subscriptions\[0\]\.channel: no channel is named "pager"/);
    expect(
      problem(
        withNotifications({
          channels,
          subscriptions: [{ channel: 'mail', events: ['decision'], dataPlanes: ['nope'] }],
        }),
      ),
    ).toMatch(/^notifications\.subscriptions\[0\]\.dataPlanes\[0\]: no data plane is named "nope"/);
    expect(
      problem(withNotifications({ channels, subscriptions: [{ channel: 'mail', events: ['coffee'] }] })),
    ).toContain('notifications.subscriptions[0].events[0]');
    expect(
      problem(
        withNotifications({
          channels: [{ name: 'a', type: 'slack', webhookUrlSecretArn: 'https://hooks.slack.com/x' }],
        }),
      ),
    ).toContain('notifications.channels[0].webhookUrlSecretArn');
  });
});

const grant = (over: Partial<GrantRecord> = {}): GrantRecord =>
  ({
    id: 'g-1',
    dataPlane: 'prod',
    scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
    resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
    requester: 'alice',
    source: 'api',
    status: 'pending-approval',
    justification: 'training',
    history: [{ status: 'pending-approval', at: '2026-12-05T10:00:00.000Z', actor: 'alice' }],
    ...over,
  }) as GrantRecord;

const audit = (action: string, over: Partial<AuditFacts> = {}): AuditFacts => ({
  id: 'a-1',
  action,
  actor: 'bob',
  at: '2026-12-05T10:05:00.000Z',
  grantId: 'g-1',
  ...over,
});

describe('notificationOf and channelsFor (docs/notifications.md)', () => {
  it('asks for approval only when the grant waits for one (a git-synced grant arrives approved)', () => {
    expect(notificationOf(audit('grant.submitted'), grant(), {})?.event).toBe('approval-requested');
    const synced = grant({ history: [{ status: 'approved', at: '2026-12-05T10:00:00.000Z', actor: 'git' }] } as never);
    expect(notificationOf(audit('grant.submitted'), synced, {})).toBeNull();
    expect(notificationOf(audit('target.applied'), grant(), {})).toBeNull();
  });

  it('says who decided, with the comment of that decision, and links the console', () => {
    const rejected = grant({
      status: 'rejected',
      history: [
        { status: 'pending-approval', at: '2026-12-05T10:00:00.000Z', actor: 'alice' },
        { status: 'rejected', at: '2026-12-05T10:05:00.000Z', actor: 'bob', comment: 'too broad' },
      ],
    } as never);
    const message = notificationOf(audit('grant.rejected'), rejected, {
      consoleUrl: 'https://gp.example.com/console/',
    });
    expect(message?.lines[0]).toBe(
      'Rejected by bob: read on S3 bucket acme-ml-data under team-a/, for project flytesnacks, domain staging on plane prod',
    );
    expect(message?.lines).toContain('Comment: too broad');
    expect(message?.link).toBe('https://gp.example.com/console/#/grants/g-1');
    expect(message?.subject.length).toBeLessThanOrEqual(100);
  });

  it('sends to the channels subscribed to the event on the plane, each once', () => {
    const config = parseConfig(
      withNotifications({
        channels,
        subscriptions: [
          { channel: 'approvers', events: ['approval-requested', 'decision'] },
          { channel: 'approvers', events: ['decision'], dataPlanes: ['prod'] },
          { channel: 'mail', events: ['apply-failed'], dataPlanes: ['prod'] },
        ],
      }),
    );
    const decided = notificationOf(audit('grant.approved'), grant({ status: 'approved' }), {});
    expect(decided).not.toBeNull();
    expect(channelsFor(config.notifications!, decided!).map((channel) => channel.name)).toEqual(['approvers']);
  });

  it('reminds of an active grant within 7 days of its expiry, once per expiry date', () => {
    const now = new Date('2026-12-05T10:00:00.000Z');
    const active = (expiresAt: string) => grant({ status: 'active', expiresAt } as never);
    const soon = expiringNotificationOf(active('2026-12-08T10:00:00.000Z'), now, {});
    expect(soon?.event).toBe('expiring-soon');
    expect(soon?.lines[0]).toMatch(/^Expires in 3 days: read on S3 bucket acme-ml-data/);
    expect(soon?.id).toBe('expiring#g-1#2026-12-08T10:00:00.000Z');
    expect(expiringNotificationOf(active('2026-12-13T10:00:00.000Z'), now, {})).toBeNull(); // 8 days
    expect(expiringNotificationOf(active('2026-12-05T09:00:00.000Z'), now, {})).toBeNull(); // past
    expect(expiringNotificationOf(grant({ expiresAt: '2026-12-06T10:00:00.000Z' } as never), now, {})).toBeNull();
  });
});
