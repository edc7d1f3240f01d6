// The notification channels (docs/notifications.md): Slack through an incoming webhook whose URL is
// a Secrets Manager secret (read with GetSecretValue, kept 5 minutes so a rotated URL is picked up
// without a deploy), e-mail through an SNS topic's Publish. Both with the SDK's standard
// configuration (AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL_SECRETS_MANAGER point them elsewhere).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { NotificationChannel } from '../../domain/config.js';
import type { Notification } from '../../domain/notifications.js';
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

/** Sends one message on one channel; throws when the receiver did not take it. */
export type ChannelSender = (channel: NotificationChannel, notification: Notification) => Promise<void>;

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
  return async (channel: NotificationChannel, notification: Notification) => {
    switch (channel.type) {
      case 'slack': {
        const url = await secret(channel.webhookUrlSecretArn);
        if (!/^https?:\/\//.test(url))
          throw new Error(`channel ${channel.name}: the secret ${channel.webhookUrlSecretArn} does not hold a URL`);
        const response = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackBody(notification)),
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        if (!response.ok) {
          const text = (await response.text()).slice(0, 200);
          throw new Error(`channel ${channel.name}: Slack answered ${response.status} ${text}`);
        }
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
    }
  };
}

/** The process's SNS client: 5 s per request, the SDK's standard retries. */
export const makeSnsClient = (): SNSClient => new SNSClient({ requestHandler: { requestTimeout: SEND_TIMEOUT_MS } });
