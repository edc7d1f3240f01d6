// POST /v1/webhooks/{source} (docs/webhooks.md) through the Lambda handler with real API Gateway v2
// events, against DynamoDB Local: signatures, replays, and each ticket transition per source.
import { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/webhook.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { parseConfig } from '../../lib/domain/config.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { signGeneric, signHub } from '../../lib/domain/webhooks/index.js';
import { buildDeps, type HttpDeps } from '../../lib/wiring/http.js';
import { counterIds, freshTable, TestClock, TEST_CONFIG, type FreshTable } from '../helpers/dynamo.js';
import { apiEvent, lambdaContext, type Answer } from './events.js';

const SECRETS: Record<string, string[]> = {
  generic: ['old-secret', 'generic-secret'],
  jira: ['jira-secret'],
  servicenow: ['snow-secret'],
};
const config = parseConfig({
  ...TEST_CONFIG,
  webhooks: {
    jira: {
      dataPlane: 'prod',
      statuses: { Approved: 'approve', Declined: 'reject', Done: 'close', "Won't Do": 'close' },
    },
    servicenow: { dataPlane: 'prod' },
    generic: { dataPlane: 'prod' },
  },
});

let table: FreshTable;
let deps: HttpDeps;
let clock: TestClock;
let handler: ReturnType<typeof makeHandler>;
const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
/** The test clock's time in seconds (signatures are made against it). */
const T0 = Date.parse('2026-11-23T04:00:00Z') / 1000;

beforeAll(async () => {
  table = await freshTable();
  clock = new TestClock(new Date('2026-11-23T04:00:00.000Z'));
  deps = buildDeps({ client: table.client, tableName: table.tableName, config, clock, ids: counterIds('01HOOK') });
  handler = makeHandler(deps, {
    auth: parseAuthEnv({}),
    logger: new Logger({ logLevel: 'SILENT' }),
    secrets: (kind) => SECRETS[kind] ?? [],
  });
});

interface Delivery {
  /** The exact body text sent (signed as is). */
  text: string;
  headers: Record<string, string>;
  base64?: boolean;
}

const send = async (source: string, delivery: Delivery): Promise<Answer> => {
  const event = apiEvent({
    method: 'POST',
    path: `/v1/webhooks/${source}`,
    headers: { 'Content-Type': 'application/json', ...delivery.headers },
    body: delivery.text,
  });
  if (delivery.base64 === true) {
    event.body = Buffer.from(delivery.text, 'utf8').toString('base64');
    event.isBase64Encoded = true;
  }
  const result = await handler(event, lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.body === undefined || result.body === '' ? undefined : JSON.parse(result.body),
  };
};

const signedGeneric = (body: unknown, secret = 'generic-secret', t = nowSeconds()): Delivery => {
  const text = JSON.stringify(body);
  return { text, headers: { 'X-Grantplane-Signature': signGeneric(text, secret, t) } };
};
const signedSnow = (body: unknown, secret = 'snow-secret', t = nowSeconds()): Delivery => {
  const text = JSON.stringify(body);
  return { text, headers: { 'X-ServiceNow-Signature': signGeneric(text, secret, t) } };
};
const signedJira = (body: unknown, secret = 'jira-secret', id = 'delivery-1'): Delivery => {
  const text = JSON.stringify(body);
  return { text, headers: { 'X-Hub-Signature': signHub(text, secret), 'X-Atlassian-Webhook-Identifier': id } };
};

const grantRequest = (domain: string, bucket: string) => ({
  scope: { type: 'project-domain', project: 'flytesnacks', domain },
  resource: { type: 's3', bucket, prefix: 'team-a/', access: 'read' },
  justification: 'features',
});

const generic = (event: string, key: string, actor: string, grant?: unknown) => ({
  event,
  ticket: { system: 'servicedesk', key },
  actor: { id: actor },
  ...(grant === undefined ? {} : { grant }),
});

const grantOf = (answer: Answer): GrantRecord => answer.body as GrantRecord;
const codes = (answer: Answer): string[] =>
  ((answer.body as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);

const countItems = async (): Promise<number> => {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.docClient.send(
      new ScanCommand({ TableName: table.tableName, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return count;
};

const grantsOfTicket = async (source: string, key: string): Promise<GrantRecord[]> =>
  (await deps.app.grants.listGrants({ source }, { limit: 100 })).items.filter((grant) => grant.ticket?.key === key);

describe('webhook signatures (docs/webhooks.md): every failure → 401 and nothing stored', () => {
  const body = generic('ticket.created', 'SIG-1', 'alice', grantRequest('staging', 'acme-sig'));
  const text = JSON.stringify(body);
  const cases: [string, string, Delivery][] = [
    ['generic', 'signature.missing', { text, headers: {} }],
    ['generic', 'signature.malformed', { text, headers: { 'X-Grantplane-Signature': 'v1=abc' } }],
    [
      'generic',
      'signature.mismatch',
      { text, headers: { 'X-Grantplane-Signature': signGeneric(text, 'wrong-secret', T0) } },
    ],
    [
      'generic',
      'signature.mismatch',
      {
        text: text.replace('acme-sig', 'acme-sig2'),
        headers: { 'X-Grantplane-Signature': signGeneric(text, 'generic-secret', T0) },
      },
    ],
    [
      'generic',
      'signature.expired',
      { text, headers: { 'X-Grantplane-Signature': signGeneric(text, 'generic-secret', T0 - 301) } },
    ],
    [
      'generic',
      'signature.expired',
      { text, headers: { 'X-Grantplane-Signature': signGeneric(text, 'generic-secret', T0 + 301) } },
    ],
    ['jira', 'signature.missing', { text, headers: {} }],
    ['jira', 'signature.mismatch', { text, headers: { 'X-Hub-Signature': signHub(text, 'not-jira') } }],
    [
      'servicenow',
      'signature.expired',
      { text, headers: { 'X-ServiceNow-Signature': signGeneric(text, 'snow-secret', T0 - 1000) } },
    ],
    [
      'servicenow',
      'signature.mismatch',
      { text, headers: { 'X-ServiceNow-Signature': signGeneric(text, 'generic-secret', T0) } },
    ],
  ];
  it.each(cases)('%s: %s', async (source, code, delivery) => {
    expect(nowSeconds()).toBe(T0);
    const before = await countItems();
    const answer = await send(source, delivery);
    expect(answer.status).toBe(401);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(codes(answer)).toEqual([code]);
    expect(await countItems()).toBe(before);
  });

  it('a source without a configured secret refuses every delivery', async () => {
    const noSecrets = makeHandler(deps, {
      auth: parseAuthEnv({}),
      logger: new Logger({ logLevel: 'SILENT' }),
      secrets: () => [],
    });
    const delivery = signedGeneric(body);
    const before = await countItems();
    const result = await noSecrets(
      apiEvent({
        method: 'POST',
        path: '/v1/webhooks/generic',
        headers: { 'Content-Type': 'application/json', ...delivery.headers },
        body: delivery.text,
      }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body ?? '{}').errors[0].code).toBe('signature.no-secret');
    expect(await countItems()).toBe(before);
  });

  it('accepts the older secret during rotation, and a base64-encoded body', async () => {
    const created = await send('generic', {
      ...signedGeneric(generic('ticket.created', 'ROT-1', 'alice', grantRequest('staging', 'acme-rot')), 'old-secret'),
      base64: true,
    });
    expect(created.status).toBe(200);
    expect(grantOf(created)).toMatchObject({ status: 'pending-approval', source: 'generic' });
  });

  it('answers 404 for a source that does not exist', async () => {
    const answer = await send('github', signedGeneric(body));
    expect(answer.status).toBe(404);
    expect(codes(answer)).toEqual(['webhook.unknown-source']);
  });
});

describe('generic webhook (docs/webhooks.md)', () => {
  it('created → pending grant linked to the ticket; approved by another → 202 approved; closed → 202 revoking', async () => {
    const created = await send(
      'generic',
      signedGeneric(generic('ticket.created', 'SD-1', 'alice', grantRequest('staging', 'acme-sd1'))),
    );
    expect(created.status).toBe(200);
    const grant = grantOf(created);
    expect(grant).toMatchObject({
      status: 'pending-approval',
      source: 'generic',
      requester: 'alice',
      dataPlane: 'prod',
      ticket: { system: 'servicedesk', key: 'SD-1' },
    });

    const approved = await send('generic', signedGeneric(generic('ticket.approved', 'SD-1', 'bob')));
    expect(approved.status).toBe(202);
    expect(grantOf(approved)).toMatchObject({ id: grant.id, status: 'approved', approvedBy: 'bob' });
    const target = await deps.app.targets.getTarget('prod#flytesnacks#staging');
    expect(JSON.stringify(target?.desired)).toContain('acme-sd1');

    const closed = await send('generic', signedGeneric(generic('ticket.closed', 'SD-1', 'carol')));
    expect(closed.status).toBe(202);
    expect(grantOf(closed)).toMatchObject({ id: grant.id, status: 'revoking' });
    const audit = await deps.app.audit.listAudit({ grantId: grant.id }, { limit: 10 });
    expect(audit.items.map((e) => `${e.action} ${e.actor}`).sort()).toEqual([
      'grant.approved bob',
      'grant.revoked carol',
      'grant.submitted alice',
    ]);
  });

  it('created in an auto-approve domain → 202 approved; rejected → 200 rejected', async () => {
    const auto = await send(
      'generic',
      signedGeneric(generic('ticket.created', 'SD-2', 'alice', grantRequest('development', 'acme-sd2'))),
    );
    expect(auto.status).toBe(202);
    expect(grantOf(auto).status).toBe('approved');

    await send(
      'generic',
      signedGeneric(generic('ticket.created', 'SD-3', 'alice', grantRequest('staging', 'acme-sd3'))),
    );
    const rejected = await send('generic', signedGeneric(generic('ticket.rejected', 'SD-3', 'bob')));
    expect(rejected.status).toBe(200);
    expect(grantOf(rejected)).toMatchObject({ status: 'rejected' });
  });

  it('self-approval through the ticket → 403 grant.self-approval, remembered, grant stays pending', async () => {
    await send(
      'generic',
      signedGeneric(generic('ticket.created', 'SD-4', 'alice', grantRequest('staging', 'acme-sd4'))),
    );
    const self = signedGeneric(generic('ticket.approved', 'SD-4', 'alice'));
    const first = await send('generic', self);
    expect(first.status).toBe(403);
    expect(codes(first)).toEqual(['grant.self-approval']);
    const again = await send('generic', self);
    expect(again.status).toBe(403);
    expect(again.body).toEqual(first.body);
    const [grant] = await grantsOfTicket('generic', 'SD-4');
    expect(grant?.status).toBe('pending-approval');
  });

  it('a replayed delivery → 200 with the first result, nothing done twice', async () => {
    const delivery = signedGeneric(generic('ticket.created', 'SD-5', 'alice', grantRequest('development', 'acme-sd5')));
    const first = await send('generic', delivery);
    expect(first.status).toBe(202);
    const before = await countItems();
    const replay = await send('generic', delivery);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ ...(first.body as object), replay: true });
    expect(await countItems()).toBe(before);
    expect(await grantsOfTicket('generic', 'SD-5')).toHaveLength(1);
  });

  it('concurrent duplicates: one is processed; the others replay or are told to retry (409)', async () => {
    const delivery = signedGeneric(generic('ticket.created', 'SD-6', 'alice', grantRequest('staging', 'acme-sd6')));
    const answers = await Promise.all(Array.from({ length: 6 }, () => send('generic', delivery)));
    expect(answers.filter((a) => a.status === 200 && (a.body as { replay?: boolean }).replay !== true)).toHaveLength(1);
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(codes(answer)).toEqual(['webhook.delivery-in-progress']);
      expect(answer.headers['retry-after']).toBeDefined();
    }
    expect(await grantsOfTicket('generic', 'SD-6')).toHaveLength(1);
    const later = await send('generic', delivery);
    expect(later.status).toBe(200);
    expect((later.body as { replay?: boolean }).replay).toBe(true);
  });

  it('a grant that breaks a rule → 422 naming the field in the delivery; nothing stored', async () => {
    const bad = await send(
      'generic',
      signedGeneric(generic('ticket.created', 'SD-7', 'alice', grantRequest('staging', 'union-metadata'))),
    );
    expect(bad.status).toBe(422);
    expect((bad.body as { errors: { path: string; code: string }[] }).errors).toContainEqual(
      expect.objectContaining({ path: 'grant.resource.bucket', code: 's3.internal-bucket' }),
    );
    expect(await grantsOfTicket('generic', 'SD-7')).toHaveLength(0);

    const missing = await send('generic', signedGeneric(generic('ticket.created', 'SD-8', 'alice')));
    expect(missing.status).toBe(422);
    expect(codes(missing)).toEqual(['webhook.grant-missing']);
  });

  it('an event for a ticket without a grant → 404 webhook.grant-not-found', async () => {
    const answer = await send('generic', signedGeneric(generic('ticket.approved', 'SD-404', 'bob')));
    expect(answer.status).toBe(404);
    expect(codes(answer)).toEqual(['webhook.grant-not-found']);
  });
});

describe('jira webhook (docs/webhooks.md)', () => {
  const issue = (key: string, description: string, reporter = 'acc-alice') => ({
    key,
    self: 'https://acme.atlassian.net/rest/api/2/issue/10001',
    fields: { reporter: { accountId: reporter }, description, status: { name: 'Open' } },
  });
  const description = (bucket: string) =>
    `Please grant training read access.\n{code:yaml}\nscope: { type: project-domain, project: flytesnacks, domain: staging }\nresource: { type: s3, bucket: ${bucket}, access: read }\njustification: training\n{code}\nThanks`;
  const created = (key: string, bucket: string) => ({
    webhookEvent: 'jira:issue_created',
    timestamp: Date.parse('2026-11-23T03:59:00Z'),
    user: { accountId: 'acc-alice' },
    issue: issue(key, description(bucket)),
  });
  const transition = (key: string, user: string, to: string) => ({
    webhookEvent: 'jira:issue_updated',
    timestamp: Date.parse('2026-11-23T04:00:00Z'),
    user: { accountId: user },
    issue: issue(key, description('ignored')),
    changelog: { items: [{ field: 'status', fromString: 'In Review', toString: to }] },
  });

  it('issue_created with a {code:yaml} block → pending grant; Approved by another → 202; Done → 202 revoking', async () => {
    const first = await send('jira', signedJira(created('OPS-1', 'acme-ops1'), 'jira-secret', 'id-1'));
    expect(first.status).toBe(200);
    expect(grantOf(first)).toMatchObject({
      status: 'pending-approval',
      source: 'jira',
      requester: 'acc-alice',
      ticket: { system: 'jira', key: 'OPS-1', url: 'https://acme.atlassian.net/browse/OPS-1' },
      resource: { type: 's3', bucket: 'acme-ops1', access: 'read' },
    });

    const approved = await send('jira', signedJira(transition('OPS-1', 'acc-bob', 'Approved'), 'jira-secret', 'id-2'));
    expect(approved.status).toBe(202);
    expect(grantOf(approved)).toMatchObject({ status: 'approved', approvedBy: 'acc-bob' });

    const done = await send('jira', signedJira(transition('OPS-1', 'acc-carol', 'Done'), 'jira-secret', 'id-3'));
    expect(done.status).toBe(202);
    expect(grantOf(done).status).toBe('revoking');
  });

  it('an update without a status change, or to an unmapped status → 200 ignored', async () => {
    const edit = {
      ...transition('OPS-1', 'acc-bob', 'Approved'),
      changelog: { items: [{ field: 'summary', fromString: 'a', toString: 'b' }] },
    };
    const ignored = await send('jira', signedJira(edit, 'jira-secret', 'id-4'));
    expect(ignored.status).toBe(200);
    expect(ignored.body).toMatchObject({ ignored: true, reason: 'the update changes no status' });
    const unmapped = await send(
      'jira',
      signedJira(transition('OPS-1', 'acc-bob', 'In Progress'), 'jira-secret', 'id-5'),
    );
    expect(unmapped.body).toMatchObject({ ignored: true });
  });

  it('approval by the reporter → 403; Declined by another → rejected', async () => {
    await send('jira', signedJira(created('OPS-2', 'acme-ops2'), 'jira-secret', 'id-6'));
    const self = await send('jira', signedJira(transition('OPS-2', 'acc-alice', 'Approved'), 'jira-secret', 'id-7'));
    expect(self.status).toBe(403);
    expect(codes(self)).toEqual(['grant.self-approval']);
    const declined = await send('jira', signedJira(transition('OPS-2', 'acc-bob', 'Declined'), 'jira-secret', 'id-8'));
    expect(declined.status).toBe(200);
    expect(grantOf(declined).status).toBe('rejected');
  });

  it('a description whose grant breaks a rule → 422 naming issue.fields.description; no code block → 422', async () => {
    const bad = await send('jira', signedJira(created('OPS-3', 'opta-state'), 'jira-secret', 'id-9'));
    expect(bad.status).toBe(422);
    expect((bad.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(
      'issue.fields.description.resource.bucket',
    );
    const prose = { ...created('OPS-4', 'x'), issue: issue('OPS-4', 'no code block here') };
    const missing = await send('jira', signedJira(prose, 'jira-secret', 'id-10'));
    expect(missing.status).toBe(422);
    expect(codes(missing)).toEqual(['webhook.grant-missing']);
    expect(await grantsOfTicket('jira', 'OPS-3')).toHaveLength(0);
  });

  it('a transition of a ticket that never created a grant → 200 ignored', async () => {
    const answer = await send('jira', signedJira(transition('OTHER-9', 'acc-bob', 'Done'), 'jira-secret', 'id-11'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ignored: true });
  });

  it('a redelivery under the same X-Atlassian-Webhook-Identifier answers the first result even when its signed body differs', async () => {
    await send('jira', signedJira(created('OPS-6', 'acme-ops6'), 'jira-secret', 'id-13'));
    const self = await send('jira', signedJira(transition('OPS-6', 'acc-alice', 'Approved'), 'jira-secret', 'id-14'));
    expect(self.status).toBe(403);
    // Same delivery id, another (validly signed) body: a replay of id-14, not a new approval.
    const resent = await send('jira', signedJira(transition('OPS-6', 'acc-bob', 'Approved'), 'jira-secret', 'id-14'));
    expect(resent.status).toBe(403);
    expect(codes(resent)).toEqual(['grant.self-approval']);
    const [grant] = await grantsOfTicket('jira', 'OPS-6');
    expect(grant?.status).toBe('pending-approval');
  });

  it('the same signed body under a new identifier is still a replay (the signature is the key)', async () => {
    const body = created('OPS-7', 'acme-ops7');
    const first = await send('jira', signedJira(body, 'jira-secret', 'id-15'));
    const again = await send('jira', signedJira(body, 'jira-secret', 'id-16'));
    expect(again.status).toBe(first.status);
    expect(grantOf(again).id).toBe(grantOf(first).id);
    expect(await grantsOfTicket('jira', 'OPS-7')).toHaveLength(1);
  });

  it('a signed body older than the replay window → 401 signature.expired', async () => {
    const old = { ...created('OPS-5', 'acme-ops5'), timestamp: Date.parse('2026-11-01T00:00:00Z') };
    const answer = await send('jira', signedJira(old, 'jira-secret', 'id-12'));
    expect(answer.status).toBe(401);
    expect(codes(answer)).toEqual(['signature.expired']);
  });
});

describe('servicenow webhook (docs/webhooks.md)', () => {
  const insert = (number: string, bucket: string) => ({
    operation: 'insert',
    number,
    opened_by: 'jdoe',
    sys_updated_by: 'jdoe',
    description: `Access please\n\`\`\`yaml\nscope: { type: project-domain, project: flytesnacks, domain: staging }\nresource: { type: s3, bucket: ${bucket}, access: read-write }\n\`\`\`\n`,
  });
  const update = (number: string, fields: Record<string, string>) => ({
    operation: 'update',
    number,
    opened_by: 'jdoe',
    sys_updated_by: 'system',
    ...fields,
  });

  it('insert → pending; approval approved → 202 approved; state Closed Complete → 202 revoking', async () => {
    const created = await send('servicenow', signedSnow(insert('RITM0001', 'acme-snow1')));
    expect(created.status).toBe(200);
    expect(grantOf(created)).toMatchObject({
      status: 'pending-approval',
      source: 'servicenow',
      requester: 'jdoe',
      ticket: { system: 'servicenow', key: 'RITM0001' },
    });
    const approved = await send(
      'servicenow',
      signedSnow(update('RITM0001', { approval: 'approved', previous_approval: 'requested', approved_by: 'asmith' })),
    );
    expect(approved.status).toBe(202);
    expect(grantOf(approved)).toMatchObject({ status: 'approved', approvedBy: 'asmith' });
    const closed = await send(
      'servicenow',
      signedSnow(update('RITM0001', { state: 'Closed Complete', previous_state: 'Work in Progress' })),
    );
    expect(closed.status).toBe(202);
    expect(grantOf(closed).status).toBe('revoking');
  });

  it('approval by the requester → 403', async () => {
    await send('servicenow', signedSnow(insert('RITM0002', 'acme-snow2')));
    const self = await send(
      'servicenow',
      signedSnow(update('RITM0002', { approval: 'approved', previous_approval: 'requested', approved_by: 'jdoe' })),
    );
    expect(self.status).toBe(403);
    expect(codes(self)).toEqual(['grant.self-approval']);
  });
});
