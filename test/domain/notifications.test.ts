// Notifications (docs/notifications.md): the configuration's channels and subscriptions, which audit
// events notify, what the message says, and which channels get it.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/domain/config.js';
import {
  channelsFor,
  driftNotificationsOf,
  expiringNotificationOf,
  notificationOf,
  waitingUpdateNotificationOf,
  type AuditFacts,
} from '../../lib/domain/notifications.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { prodPlane } from './engine-fixtures.js';

const SECRET = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/slack-AbCdEf';
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:grantplane-approvers';
const JIRA_TOKEN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/jira-AbCdEf';
const SNOW_PASSWORD = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/snow-AbCdEf';
const jira = {
  name: 'tickets',
  type: 'jira',
  baseUrl: 'https://acme.atlassian.net',
  email: 'grantplane@acme.example',
  apiTokenSecretArn: JIRA_TOKEN,
};
const servicenow = {
  name: 'requests',
  type: 'servicenow',
  instanceUrl: 'https://acme.service-now.com',
  user: 'grantplane',
  passwordSecretArn: SNOW_PASSWORD,
};

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
    expect(parseConfig({ dataPlanes: [prodPlane()] }).notifications).toEqual({
      updateWaitingMinutes: 60,
      channels: [],
      subscriptions: [],
    });
  });

  it('takes Jira and ServiceNow channels, ServiceNow defaulting to comments on sc_req_item', () => {
    const config = parseConfig(withNotifications({ channels: [jira, servicenow], updateWaitingMinutes: 30 }));
    expect(config.notifications?.updateWaitingMinutes).toBe(30);
    expect(config.notifications?.channels[1]).toEqual({ ...servicenow, table: 'sc_req_item', field: 'comments' });
    expect(problem(withNotifications({ channels: [{ ...jira, email: 'grantplane' }] }))).toContain(
      'notifications.channels[0].email',
    );
    expect(problem(withNotifications({ channels: [{ ...jira, baseUrl: 'acme.atlassian.net' }] }))).toContain(
      'notifications.channels[0].baseUrl',
    );
    expect(problem(withNotifications({ channels: [{ ...servicenow, field: 'description' }] }))).toContain(
      'notifications.channels[0].field',
    );
  });

  it('refuses a ticket channel subscribed to news that is about no grant (drift, a waiting role or update)', () => {
    expect(
      problem(
        withNotifications({
          channels: [jira],
          subscriptions: [{ channel: 'tickets', events: ['decision', 'drift-found'] }],
        }),
      ),
    ).toMatch(
      /^notifications\.subscriptions\[0\]\.events\[1\]: a jira channel comments on a grant's ticket; "drift-found"/,
    );
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

  it('tells a ticket channel only about grants with a ticket of its system', () => {
    const config = parseConfig(
      withNotifications({
        channels: [...channels, jira, servicenow],
        subscriptions: [
          { channel: 'approvers', events: ['active'] },
          { channel: 'tickets', events: ['active'] },
          { channel: 'requests', events: ['active'] },
        ],
      }),
    );
    const names = (over: Partial<GrantRecord>) =>
      channelsFor(
        config.notifications!,
        notificationOf(audit('grant.active'), grant({ status: 'active', ...over }), {})!,
      ).map((channel) => channel.name);
    expect(names({})).toEqual(['approvers']);
    expect(names({ source: 'jira', ticket: { system: 'jira', key: 'OPS-7' } } as never)).toEqual([
      'approvers',
      'tickets',
    ]);
    expect(names({ ticket: { system: 'servicenow', key: 'RITM0010001' } } as never)).toEqual(['approvers', 'requests']);
  });

  it('tells the outcome: active, revoked and expired grants', () => {
    const ticket = { system: 'jira', key: 'OPS-7' };
    const active = notificationOf(
      audit('grant.active', { actor: 'grantplane-applier' }),
      grant({ ticket } as never),
      {},
    );
    expect(active).toMatchObject({ event: 'active', grantId: 'g-1', ticket });
    expect(active?.lines[0]).toMatch(/^Active: read on S3 bucket acme-ml-data/);
    expect(notificationOf(audit('grant.revoked', { status: 'revoked' }), grant(), {})?.event).toBe('ended');
    // Asked to revoke, still in IAM: the applier's own event tells the end.
    expect(notificationOf(audit('grant.revoked', { status: 'revoking' }), grant(), {})).toBeNull();
    expect(notificationOf(audit('grant.expired'), grant(), {})?.lines[0]).toMatch(/^Expired: /);
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

describe("a drift report's news (docs/notifications.md)", () => {
  const report = (targets: unknown[], rolesWaitingPastGrace: unknown[] = []) => ({
    id: 'r-1',
    checkedAt: '2026-12-05T10:00:00.000Z',
    targets,
    planes: [],
    expired: [],
    rolesWaitingPastGrace,
    errors: [],
  });
  const target = (project: string, status: string, differences: string[] = []) => ({
    dataPlane: 'prod',
    scope: { type: 'project-domain', project, domain: 'staging' },
    status,
    differences,
  });

  it('one drift-found per plane with drift, named by what drifted: found again, the same id; changed, a new one', () => {
    const first = driftNotificationsOf(
      report([target('a', 'drifted', ['policy document differs']), target('b', 'in-sync'), target('c', 'removing')]),
      { consoleUrl: 'https://gp.example.com/console' },
    );
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      event: 'drift-found',
      dataPlane: 'prod',
      link: 'https://gp.example.com/console/#/drift',
    });
    expect(first[0]?.grantId).toBeUndefined();
    expect(first[0]?.lines.slice(0, 2)).toEqual([
      'Drift on plane prod: 1 target differs from the desired state',
      'a/staging: drifted (policy document differs)',
    ]);
    const again = driftNotificationsOf(
      { ...report([target('b', 'in-sync'), target('a', 'drifted', ['policy document differs'])]), id: 'r-2' },
      {},
    );
    expect(again[0]?.id).toBe(first[0]?.id);
    const changed = driftNotificationsOf(report([target('a', 'missing')]), {});
    expect(changed[0]?.id).not.toBe(first[0]?.id);
    expect(driftNotificationsOf(report([target('a', 'in-sync'), target('b', 'removing')]), {})).toEqual([]);
    expect(driftNotificationsOf({ unexpected: true }, {})).toEqual([]);
  });

  it('one role-waiting per role and wait, linking the targets page', () => {
    const [waiting] = driftNotificationsOf(
      report(
        [],
        [
          {
            dataPlane: 'prod',
            targetKey: 'prod#a#staging',
            roleName: 'acme-a-staging',
            waitingSince: '2026-12-05T08:00:00.000Z',
          },
        ],
      ),
      { consoleUrl: 'https://gp.example.com/console' },
    );
    expect(waiting).toMatchObject({
      id: 'role-waiting#prod#acme-a-staging#2026-12-05T08:00:00.000Z',
      event: 'role-waiting',
      link: 'https://gp.example.com/console/#/targets',
    });
    expect(waiting?.lines[0]).toBe('Role acme-a-staging on plane prod still waits for its uctl update');
  });
});

describe('updates waiting too long (docs/notifications.md)', () => {
  const now = new Date('2026-12-05T12:00:00.000Z');
  const uctl = (createdAt: string, status: 'pending' | 'acknowledged' = 'pending') => ({
    kind: 'uctl' as const,
    id: 'u-1',
    dataPlane: 'prod',
    project: 'flytesnacks',
    domain: 'staging',
    command: 'uctl update cluster-resource-attribute --attrFile flytesnacks-staging.yaml',
    status,
    createdAt,
  });

  it('announces a pending update once it waited updateWaitingMinutes, with the command to run', () => {
    const config = { updateWaitingMinutes: 60 };
    expect(waitingUpdateNotificationOf(uctl('2026-12-05T11:01:00.000Z'), now, config)).toBeNull();
    const late = waitingUpdateNotificationOf(uctl('2026-12-05T09:00:00.000Z'), now, config);
    expect(late).toMatchObject({ id: 'update-waiting#u-1', event: 'update-waiting', dataPlane: 'prod' });
    expect(late?.lines[0]).toBe('uctl update for flytesnacks/staging on plane prod waits for 3 hours');
    expect(late?.lines[1]).toContain('uctl update cluster-resource-attribute');
    expect(waitingUpdateNotificationOf(uctl('2026-12-05T09:00:00.000Z', 'acknowledged'), now, config)).toBeNull();
    const repository = waitingUpdateNotificationOf(
      {
        kind: 'infrastructure',
        id: 'prod:abc:def',
        dataPlane: 'prod',
        repositoryArn: 'arn:aws:ecr:us-west-2:222222222222:repository/shared',
        accountId: '222222222222',
        status: 'pending',
        createdAt: '2026-12-05T10:30:00.000Z',
      },
      now,
      config,
    );
    expect(repository?.lines[0]).toBe(
      'Repository policy update for arn:aws:ecr:us-west-2:222222222222:repository/shared waits for 90 minutes',
    );
  });
});
