// Notifications end to end on the local stack (docs/notifications.md): the notifier reads the
// table's stream like the applier does and delivers through the real Secrets Manager and SNS SDK
// clients to stand-in receivers — Slack incoming webhooks (their URLs in Secrets Manager secrets),
// an SNS topic for e-mail, a Jira site (REST API v3 comments) and a ServiceNow instance (Table API
// journal entries). Each subscribed event reaches each subscribed channel exactly once: a
// receiver's failure is retried, a replay of the whole stream sends nothing again, and events or
// planes no subscription names send nothing.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, DetachRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../lib/domain/config.js';
import { signHub } from '../../lib/domain/webhooks/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStackContext } from '../../lib/local/loops.js';
import { eventually, startE2eStack, TOKENS, type E2eStack } from '../helpers/local-stack.js';
import {
  startJiraReceiver,
  startServiceNowReceiver,
  startSlackReceiver,
  startSnsReceiver,
  type JiraReceiver,
  type ServiceNowReceiver,
  type SlackReceiver,
  type SnsReceiver,
} from '../helpers/notification-receivers.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../helpers/secrets-manager-server.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:grantplane-approvers';
const ALL_TOPIC = 'arn:aws:sns:us-west-2:123456789012:grantplane-everything';
const CONSOLE = 'https://grantplane.example.com/console';
const { alice, bob, admin } = TOKENS;
const JIRA_ACCOUNT = { email: 'grantplane@acme.example', apiToken: 'jira-api-token' };
const SNOW_ACCOUNT = { user: 'grantplane', password: 'snow-password' };
const JIRA_WEBHOOK_SECRET = 'jira-webhook-secret';

let e2e: E2eStack;
let slack: SlackReceiver;
/** The platform team's Slack: drift, roles and updates waiting. */
let ops: SlackReceiver;
/** A Slack channel subscribed to every event on prod (and ALL_TOPIC, its e-mail twin). */
let everything: SlackReceiver;
let sns: SnsReceiver;
let jira: JiraReceiver;
let snow: ServiceNowReceiver;
let secrets: SecretsManagerServer;
const saved = { ...process.env };

const s3 = (bucket: string, access = 'read') => ({ type: 's3', bucket, access });

const submit = async (body: Record<string, unknown>): Promise<string> => {
  const answer = await e2e.call('POST', '/v1/grants', alice, { justification: 'nightly training', ...body });
  expect(answer.status, JSON.stringify(answer.json)).toBe(201);
  return String(answer.json.id);
};

const statusOf = async (id: string): Promise<string> =>
  String((await e2e.call('GET', `/v1/grants/${id}`, alice)).json.status);

const slackFor = (id: string) => slack.messages.filter((message) => message.text.includes(id));
const mailFor = (id: string) => sns.published.filter((mail) => mail.topicArn === TOPIC && mail.message.includes(id));
const commentsOn = (key: string) => jira.comments.filter((comment) => comment.issueKey === key);
const opsSaying = (text: string) => ops.messages.filter((message) => message.text.includes(text));

/** A Jira webhook delivery, signed like Jira's (X-Hub-Signature over the body, no timestamp). */
const jiraWebhook = async (body: Record<string, unknown>, deliveryId: string): Promise<number> => {
  const text = JSON.stringify({ timestamp: Date.now(), ...body });
  const answer = await fetch(`${e2e.stack.url}/v1/webhooks/jira`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature': signHub(text, JIRA_WEBHOOK_SECRET),
      'x-atlassian-webhook-identifier': deliveryId,
    },
    body: text,
  });
  await answer.text();
  return answer.status;
};

const jiraIssue = (key: string, project: string) => ({
  key,
  self: `${jira.url}/rest/api/2/issue/10001`,
  fields: {
    reporter: { accountId: 'acc-alice' },
    status: { name: 'Open' },
    description: `Training jobs read features.\n{code:yaml}\nscope: { type: project-domain, project: ${project}, domain: staging }\nresource: { type: s3, bucket: acme-ml-data, access: read }\njustification: training\n{code}`,
  },
});
beforeAll(async () => {
  secrets = await startSecretsManagerServer({ region: 'us-west-2' });
  slack = await startSlackReceiver();
  ops = await startSlackReceiver();
  everything = await startSlackReceiver();
  sns = await startSnsReceiver();
  sns.addTopic(TOPIC);
  sns.addTopic(ALL_TOPIC);
  jira = await startJiraReceiver(JIRA_ACCOUNT);
  snow = await startServiceNowReceiver(SNOW_ACCOUNT);
  const slackSecret = secrets.put('grantplane/slack-webhook', slack.url);
  const opsSecret = secrets.put('grantplane/ops-slack-webhook', ops.url);
  const everythingSecret = secrets.put('grantplane/everything-slack-webhook', everything.url);
  const jiraSecret = secrets.put('grantplane/jira-api-token', JIRA_ACCOUNT.apiToken);
  const snowSecret = secrets.put('grantplane/servicenow-password', SNOW_ACCOUNT.password);
  process.env.GRANTPLANE_WEBHOOK_SECRET_JIRA = JIRA_WEBHOOK_SECRET;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
  process.env.AWS_REGION = 'us-west-2';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.GRANTPLANE_NOTIFIER_SWEEP_SECONDS = '1';
  const dir = mkdtempSync(join(tmpdir(), 'grantplane-notify-'));
  const configPath = join(dir, 'grantplane.config.yaml');
  // The example configuration, prod's role grace period 0 (a role waits past it at once), and
  // every pending update announced at the next pass (updateWaitingMinutes 0).
  const example = readFileSync(resolve(repo, 'grantplane.config.yaml'), 'utf8').replace(
    '    projects: "*"\n',
    '    projects: "*"\n    roleDeletionGraceMinutes: 0\n',
  );
  writeFileSync(
    configPath,
    `${example}
notifications:
  consoleUrl: ${CONSOLE}
  updateWaitingMinutes: 0
  channels:
    - { name: approvers-slack, type: slack, webhookUrlSecretArn: "${slackSecret}" }
    - { name: approvers-mail, type: email, topicArn: "${TOPIC}" }
    - { name: ops-slack, type: slack, webhookUrlSecretArn: "${opsSecret}" }
    - { name: everything-slack, type: slack, webhookUrlSecretArn: "${everythingSecret}" }
    - { name: everything-mail, type: email, topicArn: "${ALL_TOPIC}" }
    - { name: tickets, type: jira, baseUrl: "${jira.url}", email: ${JIRA_ACCOUNT.email}, apiTokenSecretArn: "${jiraSecret}" }
    - { name: requests, type: servicenow, instanceUrl: "${snow.url}", user: ${SNOW_ACCOUNT.user}, passwordSecretArn: "${snowSecret}" }
  subscriptions:
    - { channel: approvers-slack, events: [approval-requested, decision, apply-failed, expiring-soon], dataPlanes: [prod] }
    - { channel: approvers-mail, events: [decision], dataPlanes: [prod] }
    - { channel: ops-slack, events: [update-waiting, role-waiting, drift-found], dataPlanes: [prod] }
    - { channel: tickets, events: [decision, apply-failed, active, ended] }
    - { channel: everything-slack, events: [${NOTIFICATION_EVENTS.join(', ')}], dataPlanes: [prod] }
    - { channel: everything-mail, events: [${NOTIFICATION_EVENTS.join(', ')}], dataPlanes: [prod] }
    - { channel: requests, events: [decision, active] }
`,
  );
  e2e = await startE2eStack({ configPath, withNotifier: true });
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
  await Promise.all([
    slack?.close(),
    ops?.close(),
    everything?.close(),
    sns?.close(),
    jira?.close(),
    snow?.close(),
    secrets?.close(),
  ]);
  process.env = saved;
});

describe('notifications from the stream to Slack, e-mail, Jira and ServiceNow, exactly once', () => {
  it('a request waiting for approval reaches Slack once, even when Slack failed the first post', async () => {
    slack.failNext(1);
    const id = await submit({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { ...s3('acme-ml-data'), prefix: 'team-a/' },
    });
    await eventually('the approval request in Slack', async () => (slackFor(id).length > 0 ? true : undefined));
    const [message] = slackFor(id);
    expect(message?.text).toContain('Approval requested: alice asks for read on S3 bucket acme-ml-data under team-a/');
    expect(message?.text).toContain('project flytesnacks, domain staging on plane prod');
    expect(message?.text).toContain('Justification: nightly training');
    expect(message?.text).toContain(`<${CONSOLE}/#/grants/${id}|Open in the grantplane console>`);
    expect(mailFor(id)).toEqual([]); // the mail channel subscribed to decisions only

    expect((await e2e.call('POST', `/v1/grants/${id}/approve`, bob, {})).status).toBe(200);
    await eventually('the decision in Slack and by mail', async () =>
      slackFor(id).length === 2 && mailFor(id).length === 1 ? true : undefined,
    );
    expect(slackFor(id)[1]?.text).toContain('Approved by bob');
    const [mail] = mailFor(id);
    expect(mail?.topicArn).toBe(TOPIC);
    expect(mail?.subject).toMatch(/^grantplane: Approved by bob: read on S3 bucket acme-ml-data/);
    expect(mail?.subject?.length).toBeLessThanOrEqual(100);
    expect(mail?.message).toContain(`Console: ${CONSOLE}/#/grants/${id}`);
    expect(mail?.authorization).toContain('/sns/aws4_request');
    await eventually('the grant to become active', async () => ((await statusOf(id)) === 'active' ? true : undefined));
  }, 60_000);

  it('a rejection carries its comment to both channels', async () => {
    const id = await submit({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'production' },
      resource: s3('acme-ml-data', 'read-write'),
    });
    const rejected = await e2e.call('POST', `/v1/grants/${id}/reject`, bob, { comment: 'use the staging copy' });
    expect(rejected.status).toBe(200);
    await eventually('the rejection in Slack and by mail', async () =>
      slackFor(id).length === 2 && mailFor(id).length === 1 ? true : undefined,
    );
    expect(slackFor(id)[1]?.text).toContain('Rejected by bob');
    expect(slackFor(id)[1]?.text).toContain('Comment: use the staging copy');
    expect(mailFor(id)[0]?.message).toContain('Comment: use the staging copy');
  }, 60_000);

  it('a failed apply reaches Slack with its reason; nothing by mail, which did not subscribe to it', async () => {
    // A role under grantplane's path that grantplane did not create: the applier leaves it alone and
    // the grant fails for good.
    await e2e.iam.send(
      new CreateRoleCommand({
        RoleName: 'acme-ml-staging',
        Path: '/grantplane/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const id = await submit({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'ml', domain: 'staging' },
      resource: s3('acme-ml-data'),
    });
    expect((await e2e.call('POST', `/v1/grants/${id}/approve`, bob, {})).status).toBe(200);
    await eventually('the failed apply in Slack', async () =>
      slackFor(id).some((message) => message.text.includes('Apply failed')) ? true : undefined,
    );
    expect(await statusOf(id)).toBe('failed');
    const failed = slackFor(id).find((message) => message.text.includes('Apply failed'));
    expect(failed?.text).toContain('Reason: ');
    expect(failed?.text).toContain('acme-ml-staging');
    expect(mailFor(id)).toHaveLength(1); // the approval, not the failure
  }, 60_000);

  it('an active grant expiring within 7 days is announced once by the reminder pass, however often it runs', async () => {
    const expiresAt = new Date(Date.now() + 3 * 24 * 3600_000 + 60_000).toISOString();
    const id = await submit({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'forecast', domain: 'staging' },
      resource: s3('acme-ml-data'),
      expiresAt,
    });
    expect((await e2e.call('POST', `/v1/grants/${id}/approve`, bob, {})).status).toBe(200);
    await eventually('the expiry reminder in Slack', async () =>
      slackFor(id).some((message) => message.text.includes('Expires in 3 days')) ? true : undefined,
    );
    const reminder = slackFor(id).find((message) => message.text.includes('Expires in 3 days'));
    expect(reminder?.text).toContain(`Expires: ${expiresAt}`);
    // The pass runs every second here: three more runs, still one reminder.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(slackFor(id).filter((message) => message.text.includes('Expires in'))).toHaveLength(1);
    expect(mailFor(id)).toHaveLength(1); // the approval; mail did not subscribe to reminders
  }, 60_000);

  it('a Jira-sourced grant: its issue hears the decision, the outcome and the end, each once', async () => {
    jira.addIssue('OPS-7');
    expect(
      await jiraWebhook(
        {
          webhookEvent: 'jira:issue_created',
          user: { accountId: 'acc-alice' },
          issue: jiraIssue('OPS-7', 'jira-demo'),
        },
        'd-1',
      ),
    ).toBe(200);
    const transition = (to: string, user: string, deliveryId: string) =>
      jiraWebhook(
        {
          webhookEvent: 'jira:issue_updated',
          user: { accountId: user },
          issue: jiraIssue('OPS-7', 'jira-demo'),
          changelog: { items: [{ field: 'status', fromString: 'In Review', toString: to }] },
        },
        deliveryId,
      );
    const id = await eventually('the Jira grant', async () => {
      const list = await e2e.call('GET', '/v1/grants?project=jira-demo', bob);
      const found = (list.json.items as { id: string; ticket?: { key: string } }[]).find(
        (g) => g.ticket?.key === 'OPS-7',
      );
      return found?.id;
    });
    await eventually('the approval request in Slack', async () => (slackFor(id).length === 1 ? true : undefined));
    expect(commentsOn('OPS-7')).toEqual([]); // the ticket channel did not subscribe to approval requests

    expect(await transition('Approved', 'acc-bob', 'd-2')).toBe(202);
    await eventually('the decision and the outcome on the issue', async () =>
      commentsOn('OPS-7').length === 2 ? true : undefined,
    );
    const [decision, outcome] = commentsOn('OPS-7');
    expect(decision?.text).toMatch(
      /^Approved by acc-bob: read on S3 bucket acme-ml-data, for project jira-demo, domain staging/,
    );
    expect(decision?.text).toContain('Ticket: jira OPS-7');
    expect(decision?.links).toEqual([`${CONSOLE}/#/grants/${id}`]);
    expect(decision?.body.content[0]).toEqual({
      type: 'paragraph',
      content: [{ type: 'text', text: expect.stringMatching(/^Approved by acc-bob/), marks: [{ type: 'strong' }] }],
    });
    expect(outcome?.text).toMatch(/^Active: read on S3 bucket acme-ml-data/);
    expect(slackFor(id)).toHaveLength(2);
    expect(mailFor(id)).toHaveLength(1);

    expect(await transition('Done', 'acc-carol', 'd-3')).toBe(202);
    await eventually('the end on the issue', async () => (commentsOn('OPS-7').length === 3 ? true : undefined));
    expect(commentsOn('OPS-7')[2]?.text).toMatch(/^Revoked: read on S3 bucket acme-ml-data/);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(commentsOn('OPS-7').map((comment) => comment.text.split(':')[0])).toEqual([
      'Approved by acc-bob',
      'Active',
      'Revoked',
    ]);
    expect(snow.entries).toEqual([]); // a Jira ticket: nothing to ServiceNow
  }, 60_000);

  it('a grant with a ServiceNow ticket: its record hears the rejection as a comment, once', async () => {
    snow.addRecord('sc_req_item', 'RITM0010001');
    const id = await submit({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'snow-demo', domain: 'staging' },
      resource: s3('acme-ml-data'),
      ticket: { system: 'servicenow', key: 'RITM0010001' },
    });
    const rejected = await e2e.call('POST', `/v1/grants/${id}/reject`, bob, { comment: 'ask for the staging copy' });
    expect(rejected.status).toBe(200);
    await eventually('the journal entry', async () => (snow.entries.length === 1 ? true : undefined));
    const [entry] = snow.entries;
    expect(entry).toMatchObject({ table: 'sc_req_item', number: 'RITM0010001', field: 'comments' });
    expect(entry?.text).toMatch(/^Rejected by bob: read on S3 bucket acme-ml-data, for project snow-demo/);
    expect(entry?.text).toContain('Comment: ask for the staging copy');
    expect(entry?.text).toContain(`Console: ${CONSOLE}/#/grants/${id}`);
    expect(commentsOn('RITM0010001')).toEqual([]);
  }, 60_000);

  it('a uctl update waiting, a role waiting past its grace period and drift found reach the ops channel once each', async () => {
    // A uctl update nobody ran: announced by the reminder pass (every second here) once.
    await eventually('the waiting uctl update', async () =>
      opsSaying('uctl update for flytesnacks/staging on plane prod waits').length > 0 ? true : undefined,
    );
    // The Jira grant's role waits for its removal update (grace 0): the next drift run names it.
    expect((await e2e.call('POST', '/v1/drift-checks', admin)).status).toBe(202);
    await eventually('the waiting role', async () =>
      opsSaying('Role acme-jira-demo-staging on plane prod still waits').length > 0 ? true : undefined,
    );
    const driftBefore = opsSaying('Drift on plane prod').length;
    // Someone detaches grantplane's policy from the flytesnacks/staging role: drift, found by the
    // next two runs, told once.
    const role = 'acme-flytesnacks-staging';
    const attached = await e2e.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
    const policy = attached.AttachedPolicies?.find((p) => p.PolicyName !== 'userflyterole');
    expect(policy?.PolicyArn).toBeDefined();
    await e2e.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policy!.PolicyArn! }));
    expect((await e2e.call('POST', '/v1/drift-checks', admin)).status).toBe(202);
    expect((await e2e.call('POST', '/v1/drift-checks', admin)).status).toBe(202);
    await eventually('the drift', async () =>
      opsSaying('flytesnacks/staging: drifted').length > 0 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(opsSaying('Drift on plane prod')).toHaveLength(driftBefore + 1);
    expect(opsSaying('flytesnacks/staging: drifted')).toHaveLength(1);
    expect(opsSaying('flytesnacks/staging: drifted')[0]?.text).toContain(
      `<${CONSOLE}/#/drift|Open in the grantplane console>`,
    );
    expect(opsSaying('Role acme-jira-demo-staging on plane prod still waits')).toHaveLength(1);
    expect(opsSaying('uctl update for flytesnacks/staging on plane prod waits')).toHaveLength(1);
    // Ops news is about no grant: nothing of it on the approvers' channels or the tickets.
    expect(slack.messages.filter((message) => /Drift on|still waits|uctl update for/.test(message.text))).toEqual([]);
    expect(jira.comments.filter((comment) => /Drift on|still waits/.test(comment.text))).toEqual([]);
  }, 60_000);

  it('a plane no subscription names sends nothing; a replay of the whole stream sends nothing again', async () => {
    const id = await submit({
      dataPlane: 'analytics',
      scope: { type: 'project-domain', project: 'reporting', domain: 'production' },
      resource: s3('acme-reports'),
    });
    expect((await e2e.call('POST', `/v1/grants/${id}/approve`, bob, {})).status).toBe(200);
    await eventually('the analytics grant to become active', async () =>
      (await statusOf(id)) === 'active' ? true : undefined,
    );

    const counts = () => ({
      slack: slack.messages.length,
      mail: sns.published.length,
      everything: everything.messages.length,
      ops: ops.messages.length,
      jira: jira.comments.length,
      servicenow: snow.entries.length,
    });
    const before = counts();
    // A second notifier on the same stream from its start (TRIM_HORIZON): every audit event again.
    const { notifierLoop } = await import('../../lib/local/stream-poller.js');
    const dynamoClient = new DynamoDBClient({
      endpoint: e2e.stack.dynamoEndpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const replay = await notifierLoop.start({
      config: e2e.stack.config,
      tableName: e2e.stack.tableName,
      dynamoClient,
      dynamoEndpoint: e2e.stack.dynamoEndpoint,
      env: process.env,
    } as LocalStackContext);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await replay.stop();
    dynamoClient.destroy();

    expect(slackFor(id)).toEqual([]);
    expect(mailFor(id)).toEqual([]);
    expect(counts()).toEqual(before);
    // Slack: 2 + 2 + 3 + 3 + 2 + 2 (request, decision; request, rejection; request, approval, failure;
    // request, approval, reminder; Jira: request, approval; ServiceNow: request, rejection); mail:
    // the 6 decisions; Jira: approval, active, revoked; ServiceNow: the rejection.
    expect(before).toMatchObject({ slack: 14, jira: 3, servicenow: 1 });
    expect(sns.published.filter((mail) => mail.topicArn === TOPIC)).toHaveLength(6);

    // The channels subscribed to everything on prod: every event arrived, each exactly once.
    const KINDS: Record<NotificationEvent, RegExp> = {
      'approval-requested': /^Approval requested: /,
      decision: /^(Approved|Rejected) by /,
      'apply-failed': /^Apply failed: /,
      active: /^Active: /,
      ended: /^(Revoked|Expired): /,
      'expiring-soon': /^Expires in /,
      'update-waiting': /^(uctl update|Repository policy update) for /,
      'role-waiting': /^Role \S+ on plane prod still waits/,
      'drift-found': /^Drift on plane prod: /,
    };
    const tally = (texts: string[]) => {
      expect(new Set(texts).size, 'a message arrived twice').toBe(texts.length);
      return Object.fromEntries(
        NOTIFICATION_EVENTS.map((event) => [event, texts.filter((text) => KINDS[event].test(text)).length]),
      );
    };
    const inSlack = tally(everything.messages.map((message) => message.text.replace(/^\*/, '')));
    const byMail = tally(sns.published.filter((mail) => mail.topicArn === ALL_TOPIC).map((mail) => mail.message));
    // Prod's six requests (four here, the Jira and the ServiceNow one), six decisions, one failed
    // apply, three grants made active, one revoked, one expiring; updates, roles and drift per run.
    const grantEvents = {
      'approval-requested': 6,
      decision: 6,
      'apply-failed': 1,
      active: 3,
      ended: 1,
      'expiring-soon': 1,
    };
    for (const counted of [inSlack, byMail]) {
      expect(counted).toMatchObject(grantEvents);
      for (const event of ['update-waiting', 'role-waiting', 'drift-found'])
        expect(counted[event], event).toBeGreaterThanOrEqual(1);
    }
    expect(byMail).toEqual(inSlack);
  }, 60_000);
});
