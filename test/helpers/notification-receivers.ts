// Stand-in receivers for the notifier's channels, each recording what it gets:
//   - a Slack incoming webhook: POST <path> with a JSON body {text}, answering `ok` (Slack's answer),
//     or a 500 for the next `failNext` posts;
//   - Amazon SNS on the AWS Query protocol, Publish only (POST /, form-encoded
//     Action=Publish&Version=2010-03-31&TopicArn&Subject&Message → PublishResponse XML; an unknown
//     topic → 404 ErrorResponse NotFound), which the real @aws-sdk/client-sns talks to through
//     AWS_ENDPOINT_URL_SNS. Signatures are not verified; the Authorization header is recorded;
//   - Jira Cloud's REST API v3, add comment only (POST /rest/api/3/issue/{key}/comment with Basic
//     auth e-mail:API token and an Atlassian Document Format body → 201 with the comment; an unknown
//     issue → 404, wrong credentials → 401, a body that is not ADF → 400, as Jira answers);
//   - ServiceNow's Table API, the two calls a journal entry takes (GET /api/now/table/{table}
//     ?sysparm_query=number=<n> → {result:[{sys_id}]}; PATCH /api/now/table/{table}/{sys_id} with
//     {comments|work_notes} → 200), with Basic auth checked.
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

const basicOk = (req: IncomingMessage, user: string, secret: string): boolean =>
  req.headers.authorization === `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));

export interface JiraComment {
  issueKey: string;
  /** The ADF document as sent. */
  body: { type: string; version: number; content: unknown[] };
  /** Its text nodes, joined per paragraph with newlines. */
  text: string;
  /** The hrefs of its link marks. */
  links: string[];
}

export interface JiraReceiver {
  /** The site's base URL (the channel's baseUrl). */
  url: string;
  /** Makes an issue exist; a comment on any other answers 404. */
  addIssue(key: string): void;
  comments: JiraComment[];
  close(): Promise<void>;
}

/** Text and link hrefs of an ADF document, or null when it is not one (doc, version 1, block nodes). */
function adfText(doc: unknown): { text: string; links: string[] } | null {
  if (typeof doc !== 'object' || doc === null) return null;
  const { type, version, content } = doc as { type?: unknown; version?: unknown; content?: unknown };
  if (type !== 'doc' || version !== 1 || !Array.isArray(content)) return null;
  const links: string[] = [];
  const paragraphs: string[] = [];
  for (const block of content as { type?: unknown; content?: unknown }[]) {
    if (block?.type !== 'paragraph' || !Array.isArray(block.content)) return null;
    let text = '';
    for (const inline of block.content as { type?: unknown; text?: unknown; marks?: unknown }[]) {
      if (inline?.type !== 'text' || typeof inline.text !== 'string' || inline.text === '') return null;
      text += inline.text;
      for (const mark of Array.isArray(inline.marks)
        ? (inline.marks as { type?: unknown; attrs?: { href?: unknown } }[])
        : [])
        if (mark.type === 'link' && typeof mark.attrs?.href === 'string') links.push(mark.attrs.href);
    }
    paragraphs.push(text);
  }
  return { text: paragraphs.join('\n'), links };
}

export async function startJiraReceiver(account: { email: string; apiToken: string }): Promise<JiraReceiver> {
  const issues = new Set<string>();
  const comments: JiraComment[] = [];
  let nextId = 10000;
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const match = /^\/rest\/api\/3\/issue\/([^/?]+)\/comment$/.exec(req.url ?? '');
      if (req.method !== 'POST' || match === null) return json(res, 404, { errorMessages: ['Not found'], errors: {} });
      if (!basicOk(req, account.email, account.apiToken))
        return json(res, 401, { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} });
      const issueKey = decodeURIComponent(match[1] ?? '');
      if (!issues.has(issueKey))
        return json(res, 404, {
          errorMessages: ['Issue does not exist or you do not have permission to see it.'],
          errors: {},
        });
      let parsed: { body?: unknown };
      try {
        parsed = JSON.parse(text) as { body?: unknown };
      } catch {
        return json(res, 400, { errorMessages: ['Unexpected character in the request body'], errors: {} });
      }
      const adf = adfText(parsed.body);
      if (adf === null)
        return json(res, 400, { errorMessages: [], errors: { comment: 'Comment body is not valid ADF.' } });
      comments.push({ issueKey, body: parsed.body as JiraComment['body'], ...adf });
      nextId += 1;
      json(res, 201, { id: String(nextId), body: parsed.body, created: new Date().toISOString() });
    })();
  });
  return {
    url: await listen(server),
    addIssue: (key) => {
      issues.add(key);
    },
    comments,
    close: closing(server),
  };
}

export interface ServiceNowJournalEntry {
  table: string;
  number: string;
  field: string;
  text: string;
}

export interface ServiceNowReceiver {
  /** The instance URL (the channel's instanceUrl). */
  url: string;
  /** Makes a record exist in a table; answers its sys_id. */
  addRecord(table: string, number: string): string;
  entries: ServiceNowJournalEntry[];
  close(): Promise<void>;
}

export async function startServiceNowReceiver(account: {
  user: string;
  password: string;
}): Promise<ServiceNowReceiver> {
  const records = new Map<string, { table: string; number: string }>();
  const entries: ServiceNowJournalEntry[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://servicenow.local');
      const match = /^\/api\/now\/table\/([a-z0-9_]+)(?:\/([0-9a-f]{32}))?$/.exec(url.pathname);
      if (match === null) return json(res, 400, { error: { message: 'Invalid table' }, status: 'failure' });
      if (!basicOk(req, account.user, account.password))
        return json(res, 401, {
          error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
          status: 'failure',
        });
      const [, table = '', sysId] = match;
      if (req.method === 'GET' && sysId === undefined) {
        const number = /^number=(.+)$/.exec(url.searchParams.get('sysparm_query') ?? '')?.[1];
        const found = [...records.entries()].filter(([, r]) => r.table === table && r.number === number);
        const limit = Number(url.searchParams.get('sysparm_limit') ?? '10000');
        return json(res, 200, { result: found.slice(0, limit).map(([id]) => ({ sys_id: id })) });
      }
      if (req.method === 'PATCH' && sysId !== undefined) {
        const record = records.get(sysId);
        if (record === undefined || record.table !== table)
          return json(res, 404, {
            error: { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" },
            status: 'failure',
          });
        const body = JSON.parse(text) as Record<string, unknown>;
        for (const field of ['comments', 'work_notes'])
          if (typeof body[field] === 'string') entries.push({ table, number: record.number, field, text: body[field] });
        return json(res, 200, { result: { sys_id: sysId, number: record.number } });
      }
      json(res, 405, { error: { message: 'Method not allowed' }, status: 'failure' });
    })();
  });
  return {
    url: await listen(server),
    addRecord: (table, number) => {
      const id = randomUUID().replace(/-/g, '');
      records.set(id, { table, number });
      return id;
    },
    entries,
    close: closing(server),
  };
}
