// Notifications end to end on the local stack (docs/notifications.md): the notifier reads the
// table's stream like the applier does and delivers through the real Secrets Manager and SNS SDK
// clients to stand-in receivers — a Slack incoming webhook (its URL in a Secrets Manager secret) and
// an SNS topic for e-mail. Each subscribed event reaches each subscribed channel exactly once: a
// receiver's failure is retried, a replay of the whole stream sends nothing again, and events or
// planes no subscription names send nothing.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStackContext } from '../../lib/local/loops.js';
import { eventually, startE2eStack, TOKENS, type E2eStack } from '../helpers/local-stack.js';
import {
  startSlackReceiver,
  startSnsReceiver,
  type SlackReceiver,
  type SnsReceiver,
} from '../helpers/notification-receivers.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../helpers/secrets-manager-server.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:grantplane-approvers';
const CONSOLE = 'https://grantplane.example.com/console';
const { alice, bob } = TOKENS;

let e2e: E2eStack;
let slack: SlackReceiver;
let sns: SnsReceiver;
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
const mailFor = (id: string) => sns.published.filter((mail) => mail.message.includes(id));

beforeAll(async () => {
  secrets = await startSecretsManagerServer({ region: 'us-west-2' });
  slack = await startSlackReceiver();
  sns = await startSnsReceiver();
  sns.addTopic(TOPIC);
  const slackSecret = secrets.put('grantplane/slack-webhook', slack.url);
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
  process.env.AWS_REGION = 'us-west-2';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.GRANTPLANE_NOTIFIER_SWEEP_SECONDS = '1';
  const dir = mkdtempSync(join(tmpdir(), 'grantplane-notify-'));
  const configPath = join(dir, 'grantplane.config.yaml');
  writeFileSync(
    configPath,
    `${readFileSync(resolve(repo, 'grantplane.config.yaml'), 'utf8')}
notifications:
  consoleUrl: ${CONSOLE}
  channels:
    - { name: approvers-slack, type: slack, webhookUrlSecretArn: "${slackSecret}" }
    - { name: approvers-mail, type: email, topicArn: "${TOPIC}" }
  subscriptions:
    - { channel: approvers-slack, events: [approval-requested, decision, apply-failed, expiring-soon], dataPlanes: [prod] }
    - { channel: approvers-mail, events: [decision], dataPlanes: [prod] }
`,
  );
  e2e = await startE2eStack({ configPath, withNotifier: true });
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
  await Promise.all([slack?.close(), sns?.close(), secrets?.close()]);
  process.env = saved;
});

describe('notifications from the stream to Slack and e-mail, exactly once', () => {
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

    const before = { slack: slack.messages.length, mail: sns.published.length };
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
    expect({ slack: slack.messages.length, mail: sns.published.length }).toEqual(before);
    // Slack: 2 + 2 + 3 + 3 (request, decision; request, rejection; request, approval, failure;
    // request, approval, reminder); mail: the 4 decisions.
    expect(before).toEqual({ slack: 10, mail: 4 });
  }, 60_000);
});
