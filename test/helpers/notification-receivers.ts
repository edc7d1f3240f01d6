// Stand-in receivers for the notifier's channels, each recording what it gets:
//   - a Slack incoming webhook: POST <path> with a JSON body {text}, answering `ok` (Slack's answer),
//     or a 500 for the next `failNext` posts;
//   - Amazon SNS on the AWS Query protocol, Publish only (POST /, form-encoded
//     Action=Publish&Version=2010-03-31&TopicArn&Subject&Message → PublishResponse XML; an unknown
//     topic → 404 ErrorResponse NotFound), which the real @aws-sdk/client-sns talks to through
//     AWS_ENDPOINT_URL_SNS. Signatures are not verified; the Authorization header is recorded.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closing = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export interface SlackReceiver {
  /** The incoming-webhook URL to store in the channel's secret. */
  url: string;
  /** The messages taken (not those answered 500). */
  messages: { text: string }[];
  /** Answers 500 to the next `count` posts. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const messages: { text: string }[] = [];
  let failures = 0;
  const path = `/services/T000/B000/${randomUUID().replace(/-/g, '')}`;
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      if (req.method !== 'POST' || req.url !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      if (failures > 0) {
        failures -= 1;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal_error');
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      if (typeof body !== 'object' || body === null || typeof (body as { text?: unknown }).text !== 'string') {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('no_text');
        return;
      }
      messages.push({ text: (body as { text: string }).text });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    })();
  });
  const base = await listen(server);
  return {
    url: `${base}${path}`,
    messages,
    failNext: (count) => {
      failures = count;
    },
    close: closing(server),
  };
}

export interface SnsPublish {
  topicArn: string;
  subject: string | undefined;
  message: string;
  authorization: string;
}

export interface SnsReceiver {
  /** For AWS_ENDPOINT_URL_SNS or the client's `endpoint`. */
  endpoint: string;
  /** Makes a topic exist; Publish to any other answers NotFound. */
  addTopic(arn: string): void;
  published: SnsPublish[];
  close(): Promise<void>;
}

const xml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startSnsReceiver(): Promise<SnsReceiver> {
  const topics = new Set<string>();
  const published: SnsPublish[] = [];
  const fault = (status: number, code: string, message: string, type = 'Sender') =>
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  const server = createServer((req, res) => {
    void (async () => {
      const form = new URLSearchParams(await readBody(req));
      const answer = (status: number, body: string) =>
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(body);
      if (req.method !== 'POST' || form.get('Version') !== '2010-03-31')
        return answer(400, fault(400, 'InvalidAction', 'expected an AWS Query POST, Version 2010-03-31'));
      if (form.get('Action') !== 'Publish')
        return answer(400, fault(400, 'InvalidAction', `action ${form.get('Action') ?? ''} is not served here`));
      const topicArn = form.get('TopicArn') ?? '';
      const message = form.get('Message');
      if (message === null || message === '')
        return answer(400, fault(400, 'InvalidParameter', 'Invalid parameter: Message'));
      if (!topics.has(topicArn)) return answer(404, fault(404, 'NotFound', 'Topic does not exist'));
      const subject = form.get('Subject') ?? undefined;
      if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject)))
        return answer(400, fault(400, 'InvalidParameter', 'Invalid parameter: Subject'));
      published.push({ topicArn, subject, message, authorization: String(req.headers.authorization ?? '') });
      answer(
        200,
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      );
    })();
  });
  return {
    endpoint: await listen(server),
    addTopic: (arn) => {
      topics.add(arn);
    },
    published,
    close: closing(server),
  };
}
