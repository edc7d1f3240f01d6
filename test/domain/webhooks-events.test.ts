// docs/webhooks.md: generic, Jira and ServiceNow payloads → one TicketEvent; grants read from ticket text.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  mapGenericPayload,
  mapJiraPayload,
  mapServiceNowPayload,
  type TicketMappingOptions,
} from '../../lib/domain/webhooks/events.js';
import { extractFirstCodeBlock, readGrantFromField } from '../../lib/domain/webhooks/grant-text.js';

const GRANT = {
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
  resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read-write' },
  justification: 'training jobs read and write features',
};
const GRANT_YAML = `dataPlane: prod
scope: { type: project-domain, project: flytesnacks, domain: development }
resource:
  type: s3
  bucket: acme-ml-data
  prefix: team-a/
  access: read-write
justification: training jobs read and write features`;

const JIRA: TicketMappingOptions = {
  grantField: 'description',
  dataPlane: 'prod',
  statuses: { Approved: 'approve', Declined: 'reject', Done: 'close', "Won't Do": 'close' },
};

// Shaped like Jira Cloud admin-webhook deliveries (fields trimmed to what matters).
const jiraCreated = (description: unknown, fields: Record<string, unknown> = {}) => ({
  timestamp: 1_795_000_000_000,
  webhookEvent: 'jira:issue_created',
  issue_event_type_name: 'issue_created',
  user: { accountId: '5b10a2844c20165700ede21g', displayName: 'Rita Reporter' },
  issue: {
    id: '10001',
    self: 'https://acme.atlassian.net/rest/api/2/issue/10001',
    key: 'OPS-123',
    fields: {
      summary: 'S3 access for team A',
      reporter: { accountId: '5b10a2844c20165700ede21g', displayName: 'Rita Reporter' },
      status: { name: 'Waiting for approval' },
      description,
      ...fields,
    },
  },
});
const jiraTransition = (to: string, userId = 'approver-42', extraItems: unknown[] = []) => ({
  webhookEvent: 'jira:issue_updated',
  issue_event_type_name: 'issue_generic',
  user: { accountId: userId },
  issue: {
    self: 'https://acme.atlassian.net/rest/api/2/issue/10001',
    key: 'OPS-123',
    fields: { reporter: { accountId: '5b10a2844c20165700ede21g' } },
  },
  changelog: {
    id: '10100',
    items: [
      ...extraItems,
      {
        field: 'status',
        fieldtype: 'jira',
        fieldId: 'status',
        from: '10000',
        fromString: 'Waiting for approval',
        to: '10001',
        toString: to,
      },
    ],
  },
});

describe('extractFirstCodeBlock (docs/webhooks.md code block forms)', () => {
  it.each([
    ['{code:yaml}', '{code}', 'yaml'],
    ['{code:json}', '{code}', 'json'],
    ['{code}', '{code}', undefined],
    ['{code:title=grant.yaml|language=yaml}', '{code}', 'yaml'],
    ['{noformat}', '{noformat}', undefined],
    ['```yaml\n', '\n```', 'yaml'],
    ['```\n', '\n```', undefined],
    ['~~~json\n', '\n~~~', 'json'],
  ])('finds %s … %s', (open, close, language) => {
    const block = extractFirstCodeBlock(`Please grant this.\r\n${open}\nkey: value\n${close}\nThanks`);
    expect(block?.text.trim()).toBe('key: value');
    expect(block?.language).toBe(language);
  });

  it('takes the first block of any kind', () => {
    expect(extractFirstCodeBlock('```\nfirst: 1\n```\n{code}second: 2{code}')?.text).toBe('first: 1');
    expect(extractFirstCodeBlock('{noformat}first: 1{noformat}\n{code}second: 2{code}')?.text).toBe('first: 1');
    expect(extractFirstCodeBlock('{code}first: 1{code} {code}second: 2{code}')?.text).toBe('first: 1');
  });

  it('finds nothing in prose, or in an unclosed wiki block', () => {
    expect(extractFirstCodeBlock('please give me access to acme-ml-data')).toBeUndefined();
    expect(extractFirstCodeBlock('{code:yaml}\nkey: value\n')).toBeUndefined();
  });

  it('stays fast on hostile text (no catastrophic backtracking)', () => {
    // Would take minutes with a naive lazy regex over 200k characters of openers.
    expect(extractFirstCodeBlock('{code:x}'.repeat(25_000))).toBeUndefined();
    expect(extractFirstCodeBlock(`\`\`\`${'~'.repeat(100_000)}`)).toBeUndefined();
  });
});

describe('readGrantFromField', () => {
  it('parses YAML and JSON, from a code block or (for a custom field) the whole text', async () => {
    expect(await readGrantFromField(`{code:yaml}\n${GRANT_YAML}\n{code}`, true)).toEqual({ ok: true, grant: GRANT });
    expect(await readGrantFromField(`{code:json}${JSON.stringify(GRANT, null, 2)}{code}`, true)).toEqual({
      ok: true,
      grant: GRANT,
    });
    expect(await readGrantFromField(GRANT_YAML, false)).toEqual({ ok: true, grant: GRANT });
    expect(await readGrantFromField(JSON.stringify(GRANT), false)).toEqual({ ok: true, grant: GRANT });
    expect(await readGrantFromField(GRANT, false)).toEqual({ ok: true, grant: GRANT });
  });

  it('keeps ISO dates as strings (YAML 1.2 core schema)', async () => {
    const read = await readGrantFromField(`${GRANT_YAML}\nexpiresAt: 2027-01-31T00:00:00Z`, false);
    expect(read.ok && read.grant['expiresAt']).toBe('2027-01-31T00:00:00Z');
  });

  it('reads the first codeBlock of an Atlassian Document Format field', async () => {
    const adf = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Please:' }] },
        { type: 'codeBlock', attrs: { language: 'yaml' }, content: [{ type: 'text', text: GRANT_YAML }] },
      ],
    };
    expect(await readGrantFromField(adf, true)).toEqual({ ok: true, grant: GRANT });
  });

  it('says what is wrong: missing block, bad YAML, not an object', async () => {
    expect(await readGrantFromField('just prose', true)).toMatchObject({
      ok: false,
      missing: true,
      message: expect.stringMatching(/no code block/),
    });
    expect(await readGrantFromField(null, true)).toMatchObject({ ok: false, missing: true });
    expect(await readGrantFromField('{code}a: [1, 2{code}', true)).toMatchObject({
      ok: false,
      missing: false,
      message: expect.stringMatching(/not valid/),
    });
    expect(await readGrantFromField('{code:json}{"a": 1,}{code}', true)).toMatchObject({
      ok: false,
      missing: false,
      message: expect.stringMatching(/JSON/),
    });
    expect(await readGrantFromField('{code}- a\n- b{code}', true)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/must be an object/),
    });
    expect(await readGrantFromField('{code}{code}', true)).toMatchObject({ ok: false, missing: true });
  });

  it('never throws on arbitrary text or values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.anything()), fc.boolean(), async (value, requireBlock) => {
        await readGrantFromField(value, requireBlock);
      }),
    );
  });
});

describe('mapGenericPayload (docs/webhooks.md generic body)', () => {
  const ticket = { system: 'jira', key: 'OPS-123', url: 'https://acme.atlassian.net/browse/OPS-123' };

  it('maps ticket.created with the grant, the actor being the requester', () => {
    expect(mapGenericPayload({ event: 'ticket.created', ticket, actor: { id: 'rita' }, grant: GRANT })).toEqual({
      ok: true,
      event: { kind: 'created', ticket, actor: 'rita', requester: 'rita', grant: GRANT },
    });
  });

  it('fills the configured default plane into a grant that names none', () => {
    const { dataPlane: _omitted, ...planeless } = GRANT;
    const result = mapGenericPayload(
      { event: 'ticket.created', ticket, actor: { id: 'rita' }, grant: planeless },
      { dataPlane: 'prod' },
    );
    expect(result.ok && result.event.grant).toEqual(GRANT);
  });

  it.each([
    ['ticket.approved', 'approved'],
    ['ticket.rejected', 'rejected'],
    ['ticket.closed', 'closed'],
  ])('maps %s to %s by the actor', (event, kind) => {
    expect(mapGenericPayload({ event, ticket: { system: 'jira', key: 'OPS-123' }, actor: { id: 'alice' } })).toEqual({
      ok: true,
      event: { kind, ticket: { system: 'jira', key: 'OPS-123' }, actor: 'alice' },
    });
  });

  it('names each bad field', () => {
    const result = mapGenericPayload({
      event: 'ticket.reopened',
      ticket: { system: '', key: 5, extra: 1 },
      actor: {},
      note: 'x',
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((error) => error.path)).toEqual([
      'event',
      'ticket.system',
      'ticket.key',
      'ticket.extra',
      'actor.id',
      'note',
    ]);
    expect(mapGenericPayload({ event: 'ticket.created', ticket, actor: { id: 'rita' } })).toEqual({
      ok: false,
      errors: [expect.objectContaining({ path: 'grant', code: 'webhook.grant-missing' })],
    });
    expect(mapGenericPayload({ event: 'ticket.approved', ticket, actor: { id: 'a' }, grant: GRANT })).toMatchObject({
      ok: false,
      errors: [{ path: 'grant', code: 'webhook.invalid-payload' }],
    });
    expect(mapGenericPayload([1])).toMatchObject({ ok: false, errors: [{ path: 'body' }] });
  });
});

describe('mapJiraPayload (docs/webhooks.md Jira Cloud)', () => {
  it('jira:issue_created → created, grant from the description code block, requester = reporter', async () => {
    const result = await mapJiraPayload(
      jiraCreated(`Team A needs its bucket.\n{code:yaml}\n${GRANT_YAML}\n{code}\nThanks!`),
      JIRA,
    );
    expect(result).toEqual({
      ok: true,
      event: {
        kind: 'created',
        ticket: { system: 'jira', key: 'OPS-123', url: 'https://acme.atlassian.net/browse/OPS-123' },
        actor: '5b10a2844c20165700ede21g',
        requester: '5b10a2844c20165700ede21g',
        grant: GRANT,
      },
    });
  });

  it.each([
    ['{code:json}', '{code}', JSON.stringify(GRANT)],
    ['{code}', '{code}', GRANT_YAML],
    ['{noformat}', '{noformat}', GRANT_YAML],
    ['```yaml\n', '\n```', GRANT_YAML],
  ])('reads the grant from %s blocks', async (open, close, text) => {
    const result = await mapJiraPayload(jiraCreated(`Please.\n${open}${text}${close}`), JIRA);
    expect(result.ok && result.event.grant).toEqual(GRANT);
  });

  it('reads a custom field holding YAML or JSON', async () => {
    const options = { ...JIRA, grantField: 'customfield_10042' };
    for (const value of [GRANT_YAML, JSON.stringify(GRANT), GRANT]) {
      const result = await mapJiraPayload(jiraCreated('prose only', { customfield_10042: value }), options);
      expect(result.ok && result.event.grant).toEqual(GRANT);
    }
    expect(await mapJiraPayload(jiraCreated('x', { customfield_10042: null }), options)).toEqual({
      ok: false,
      errors: [expect.objectContaining({ path: 'issue.fields.customfield_10042', code: 'webhook.grant-missing' })],
    });
  });

  it('fills the default plane when the ticket names none', async () => {
    const { dataPlane: _omitted, ...planeless } = GRANT;
    const result = await mapJiraPayload(jiraCreated(`{code:json}${JSON.stringify(planeless)}{code}`), JIRA);
    expect(result.ok && result.event.grant).toEqual(GRANT);
  });

  it('rejects a created issue without a grant code block, naming the description', async () => {
    expect(await mapJiraPayload(jiraCreated('Please give me the bucket'), JIRA)).toEqual({
      ok: false,
      errors: [
        {
          path: 'issue.fields.description',
          code: 'webhook.grant-missing',
          message: expect.stringMatching(/no code block with a grant request found/),
        },
      ],
    });
    expect(await mapJiraPayload(jiraCreated('{code}scope: [oops{code}'), JIRA)).toMatchObject({
      ok: false,
      errors: [{ path: 'issue.fields.description', code: 'webhook.grant-unparseable' }],
    });
    expect(await mapJiraPayload(jiraCreated(null), JIRA)).toMatchObject({
      ok: false,
      errors: [{ code: 'webhook.grant-missing' }],
    });
  });

  it('rejects a created issue without a reporter', async () => {
    const payload = jiraCreated(`{code}${GRANT_YAML}{code}`);
    delete (payload.issue.fields as Record<string, unknown>)['reporter'];
    expect(await mapJiraPayload(payload, JIRA)).toMatchObject({
      ok: false,
      errors: [{ path: 'issue.fields.reporter.accountId' }],
    });
  });

  it.each([
    ['Approved', 'approved'],
    ['Declined', 'rejected'],
    ['Done', 'closed'],
    ["Won't Do", 'closed'],
    ['approved', 'approved'],
  ])('jira:issue_updated to status %s → %s by the webhook user', async (status, kind) => {
    expect(await mapJiraPayload(jiraTransition(status), JIRA)).toEqual({
      ok: true,
      event: {
        kind,
        ticket: { system: 'jira', key: 'OPS-123', url: 'https://acme.atlassian.net/browse/OPS-123' },
        actor: 'approver-42',
        requester: '5b10a2844c20165700ede21g',
      },
    });
  });

  it('passes the reporter along so the use case can refuse self-approval', async () => {
    const result = await mapJiraPayload(jiraTransition('Approved', '5b10a2844c20165700ede21g'), JIRA);
    expect(result.ok && [result.event.actor, result.event.requester]).toEqual([
      '5b10a2844c20165700ede21g',
      '5b10a2844c20165700ede21g',
    ]);
  });

  it('ignores unmapped statuses, non-status updates and other events', async () => {
    expect(await mapJiraPayload(jiraTransition('In Progress'), JIRA)).toMatchObject({
      ok: true,
      event: { kind: 'ignored' },
    });
    const noStatus = {
      ...jiraTransition('Approved'),
      changelog: { items: [{ field: 'summary', toString: 'new title' }] },
    };
    expect(await mapJiraPayload(noStatus, JIRA)).toMatchObject({
      ok: true,
      event: { kind: 'ignored', ignoredReason: 'the update changes no status' },
    });
    expect(await mapJiraPayload({ ...jiraTransition('Approved'), changelog: undefined }, JIRA)).toMatchObject({
      ok: true,
      event: { kind: 'ignored' },
    });
    expect(await mapJiraPayload({ webhookEvent: 'comment_created', issue: { key: 'OPS-1' } }, JIRA)).toMatchObject({
      ok: true,
      event: { kind: 'ignored', ticket: { key: 'OPS-1' } },
    });
  });

  it('finds the status item among other changed fields', async () => {
    const result = await mapJiraPayload(
      jiraTransition('Approved', 'approver-42', [{ field: 'assignee', toString: 'Al' }]),
      JIRA,
    );
    expect(result.ok && result.event.kind).toBe('approved');
  });

  it('uses the default status map when none is configured', async () => {
    expect(await mapJiraPayload(jiraTransition('Declined'), { grantField: 'description' })).toMatchObject({
      ok: true,
      event: { kind: 'rejected' },
    });
  });

  it('rejects payloads that are not Jira webhooks or lack the deciding user', async () => {
    expect(await mapJiraPayload({ issue: { key: 'OPS-1' } }, JIRA)).toMatchObject({
      ok: false,
      errors: [{ path: 'webhookEvent' }],
    });
    expect(await mapJiraPayload({ webhookEvent: 'jira:issue_updated', issue: {} }, JIRA)).toMatchObject({
      ok: false,
      errors: [{ path: 'issue.key' }],
    });
    const anonymous = { ...jiraTransition('Approved'), user: undefined };
    expect(await mapJiraPayload(anonymous, JIRA)).toMatchObject({ ok: false, errors: [{ path: 'user.accountId' }] });
  });

  it('never throws on arbitrary payloads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({
            webhookEvent: fc.constantFrom('jira:issue_created', 'jira:issue_updated', 'x'),
            issue: fc.anything(),
            user: fc.anything(),
            changelog: fc.oneof(fc.anything(), fc.record({ items: fc.array(fc.anything()) })),
          }),
        ),
        async (payload) => {
          await mapJiraPayload(payload, JIRA);
        },
      ),
    );
  });
});

describe('mapServiceNowPayload (grantplane-documented Business Rule payload)', () => {
  const base = {
    number: 'RITM0010001',
    url: 'https://acme.service-now.com/sc_req_item.do?sys_id=abc',
    opened_by: 'rita',
  };
  const ticket = { system: 'servicenow', key: 'RITM0010001', url: base.url };

  it('insert → created with the grant from the description code block', async () => {
    const result = await mapServiceNowPayload(
      {
        ...base,
        operation: 'insert',
        sys_updated_by: 'rita',
        description: `Please:\n\`\`\`json\n${JSON.stringify(GRANT)}\n\`\`\``,
      },
      {},
    );
    expect(result).toEqual({
      ok: true,
      event: { kind: 'created', ticket, actor: 'rita', requester: 'rita', grant: GRANT },
    });
  });

  it('insert reads a configured grant field holding YAML', async () => {
    const result = await mapServiceNowPayload(
      { ...base, operation: 'insert', u_grant_request: GRANT_YAML },
      { grantField: 'u_grant_request' },
    );
    expect(result.ok && result.event.grant).toEqual(GRANT);
    expect(await mapServiceNowPayload({ ...base, operation: 'insert', description: 'no block' }, {})).toMatchObject({
      ok: false,
      errors: [{ path: 'description', code: 'webhook.grant-missing' }],
    });
  });

  it.each([
    [{ approval: 'approved', previous_approval: 'requested' }, 'approved'],
    [{ approval: 'rejected', previous_approval: 'requested' }, 'rejected'],
    [{ approval: 'approved' }, 'approved'],
    [
      {
        state: 'Closed Complete',
        previous_state: 'Work in Progress',
        approval: 'approved',
        previous_approval: 'approved',
      },
      'closed',
    ],
    [{ state: '7', previous_state: '2' }, 'closed'],
  ])('update %j → %s', async (change, kind) => {
    const result = await mapServiceNowPayload(
      { ...base, operation: 'update', sys_updated_by: 'system', approved_by: 'alice', ...change },
      {},
    );
    expect(result).toEqual({ ok: true, event: { kind, ticket, actor: 'alice', requester: 'rita' } });
  });

  it('honours a configured status map instead of the defaults', async () => {
    const options: TicketMappingOptions = { statuses: { 'Ready to grant': 'approve' } };
    const update = { ...base, operation: 'update', sys_updated_by: 'bob' };
    expect(
      await mapServiceNowPayload({ ...update, state: 'Ready to grant', previous_state: 'New' }, options),
    ).toMatchObject({
      ok: true,
      event: { kind: 'approved', actor: 'bob' },
    });
    expect(
      await mapServiceNowPayload({ ...update, approval: 'approved', previous_approval: 'requested' }, options),
    ).toMatchObject({
      ok: true,
      event: { kind: 'ignored' },
    });
  });

  it('ignores updates that change nothing mapped', async () => {
    const update = { ...base, operation: 'update', sys_updated_by: 'bob' };
    expect(
      await mapServiceNowPayload({ ...update, approval: 'approved', previous_approval: 'approved' }, {}),
    ).toMatchObject({
      ok: true,
      event: { kind: 'ignored' },
    });
    expect(
      await mapServiceNowPayload({ ...update, state: 'Work in Progress', previous_state: 'New' }, {}),
    ).toMatchObject({
      ok: true,
      event: { kind: 'ignored' },
    });
  });

  it('names bad fields', async () => {
    expect(await mapServiceNowPayload({ operation: 'delete' }, {})).toMatchObject({
      ok: false,
      errors: [{ path: 'operation' }, { path: 'number' }],
    });
    expect(await mapServiceNowPayload({ number: 'RITM1', operation: 'insert' }, {})).toMatchObject({
      ok: false,
      errors: [{ path: 'opened_by' }],
    });
    expect(await mapServiceNowPayload({ ...base, operation: 'update', approval: 'approved' }, {})).toMatchObject({
      ok: false,
      errors: [{ path: 'sys_updated_by' }],
    });
  });
});
