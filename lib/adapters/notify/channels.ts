// The notification channels (docs/notifications.md): Slack through an incoming webhook whose URL is
// a Secrets Manager secret (read with GetSecretValue, kept 5 minutes so a rotated URL is picked up
// without a deploy), e-mail through an SNS topic's Publish, and a comment on the grant's ticket:
// Jira through REST API v3 (Basic auth with an API token), ServiceNow through the Table API (Basic
// auth with the user's password). AWS calls use the SDK's standard configuration
// (AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL_SECRETS_MANAGER point them elsewhere).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { NotificationChannel } from '../../domain/config.js';
import type { ChannelSender, Notification } from '../../domain/notifications.js';
import type { SecretReader } from '../secrets/secrets-manager.js';

/** How long a secret's value is kept before it is read again. */
export const CHANNEL_SECRET_CACHE_MS = 5 * 60_000;
/** A receiver that takes longer than this fails the send (the stream retries it). */
export const SEND_TIMEOUT_MS = 5_000;

export interface ChannelSenderInput {
  readSecret: SecretReader;
  sns: SNSClient;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Slack's message: the headline bold, the facts below it, the console link as a link. */
export const slackBody = (notification: Notification): Record<string, unknown> => {
  const [headline = '', ...facts] = notification.lines.filter((line) => !line.startsWith('Console: '));
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const link = notification.link === undefined ? '' : `\n<${notification.link}|Open in the grantplane console>`;
  return { text: `*${escape(headline)}*\n${facts.map(escape).join('\n')}${link}` };
};

/**
 * Jira's comment (REST API v3 takes Atlassian Document Format): one paragraph per line, the console
 * link as a link.
 */
export const jiraCommentBody = (notification: Notification): Record<string, unknown> => {
  const paragraph = (content: Record<string, unknown>[]) => ({ type: 'paragraph', content });
  const lines = notification.lines.filter((line) => !line.startsWith('Console: '));
  const content = lines.map((line, index) =>
    paragraph([{ type: 'text', text: line, ...(index === 0 ? { marks: [{ type: 'strong' }] } : {}) }]),
  );
  if (notification.link !== undefined)
    content.push(
      paragraph([
        {
          type: 'text',
          text: 'Open in the grantplane console',
          marks: [{ type: 'link', attrs: { href: notification.link } }],
        },
      ]),
    );
  return { body: { type: 'doc', version: 1, content } };
};

/** ServiceNow's journal entry: plain text, the console link last. */
export const serviceNowComment = (notification: Notification): string => notification.lines.join('\n');

const basic = (user: string, secret: string): string =>
  `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

export function makeChannelSender(input: ChannelSenderInput): ChannelSender {
  const now = input.now ?? Date.now;
  const doFetch = input.fetch ?? fetch;
  const cache = new Map<string, { value: string; until: number }>();
  const secret = async (arn: string): Promise<string> => {
    const cached = cache.get(arn);
    if (cached !== undefined && cached.until > now()) return cached.value;
    const value = (await input.readSecret(arn)).trim();
    cache.set(arn, { value, until: now() + CHANNEL_SECRET_CACHE_MS });
    return value;
  };
  /** One HTTP call; a status other than `expected` throws with the receiver's answer. */
  const call = async (
    channel: NotificationChannel,
    receiver: string,
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
    expected: (status: number) => boolean,
  ): Promise<Response> => {
    const response = await doFetch(url, { ...init, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
    if (!expected(response.status)) {
      const text = (await response.text()).slice(0, 200);
      throw new Error(`channel ${channel.name}: ${receiver} answered ${response.status} ${text}`);
    }
    return response;
  };
  const ticketOf = (channel: NotificationChannel, notification: Notification): string => {
    if (notification.ticket?.system !== channel.type)
      throw new Error(`channel ${channel.name}: notification ${notification.id} has no ${channel.type} ticket`);
    return notification.ticket.key;
  };
  return async (channel: NotificationChannel, notification: Notification) => {
    switch (channel.type) {
      case 'slack': {
        const url = await secret(channel.webhookUrlSecretArn);
        if (!/^https?:\/\//.test(url))
          throw new Error(`channel ${channel.name}: the secret ${channel.webhookUrlSecretArn} does not hold a URL`);
        await call(
          channel,
          'Slack',
          url,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(slackBody(notification)),
          },
          (status) => status >= 200 && status < 300,
        );
        return;
      }
      case 'email':
        await input.sns.send(
          new PublishCommand({
            TopicArn: channel.topicArn,
            Subject: notification.subject.replace(/[\r\n]+/g, ' '),
            Message: notification.lines.join('\n'),
          }),
        );
        return;
      case 'jira': {
        const key = ticketOf(channel, notification);
        const token = await secret(channel.apiTokenSecretArn);
        await call(
          channel,
          'Jira',
          `${trimSlash(channel.baseUrl)}/rest/api/3/issue/${encodeURIComponent(key)}/comment`,
          {
            method: 'POST',
            headers: {
              authorization: basic(channel.email, token),
              accept: 'application/json',
              'content-type': 'application/json',
            },
            body: JSON.stringify(jiraCommentBody(notification)),
          },
          (status) => status === 201 || status === 200,
        );
        return;
      }
      case 'servicenow': {
        const key = ticketOf(channel, notification);
        const headers = {
          authorization: basic(channel.user, await secret(channel.passwordSecretArn)),
          accept: 'application/json',
          'content-type': 'application/json',
        };
        const table = `${trimSlash(channel.instanceUrl)}/api/now/table/${channel.table}`;
        const query = new URLSearchParams({
          sysparm_query: `number=${key}`,
          sysparm_fields: 'sys_id',
          sysparm_limit: '1',
        });
        const found = await call(
          channel,
          'ServiceNow',
          `${table}?${query}`,
          { method: 'GET', headers },
          (status) => status === 200,
        );
        const records = ((await found.json()) as { result?: { sys_id?: unknown }[] }).result ?? [];
        const sysId = records[0]?.sys_id;
        if (typeof sysId !== 'string' || sysId === '')
          throw new Error(`channel ${channel.name}: ServiceNow has no ${channel.table} record numbered ${key}`);
        await call(
          channel,
          'ServiceNow',
          `${table}/${encodeURIComponent(sysId)}`,
          { method: 'PATCH', headers, body: JSON.stringify({ [channel.field]: serviceNowComment(notification) }) },
          (status) => status === 200,
        );
        return;
      }
    }
  };
}

/** The process's SNS client: 5 s per request, the SDK's standard retries. */
export const makeSnsClient = (): SNSClient => new SNSClient({ requestHandler: { requestTimeout: SEND_TIMEOUT_MS } });
