// docs/webhooks.md: one delivery → the right signature scheme and mapping for its source kind.
import { describe, expect, it } from 'vitest';

import { mapTicketPayload, verifyWebhookDelivery } from '../../lib/domain/webhooks/delivery.js';
import { signGeneric, signHub } from '../../lib/domain/webhooks/signatures.js';

const NOW = 1_795_000_000;
const SECRETS = ['s1'];

describe('verifyWebhookDelivery', () => {
  it('reads each kind its own header, in any letter case', () => {
    const body = '{"a":1}';
    expect(
      verifyWebhookDelivery('generic', { 'X-Grantplane-Signature': signGeneric(body, 's1', NOW) }, body, SECRETS, NOW)
        .ok,
    ).toBe(true);
    expect(
      verifyWebhookDelivery(
        'servicenow',
        { 'x-servicenow-signature': signGeneric(body, 's1', NOW) },
        body,
        SECRETS,
        NOW,
      ).ok,
    ).toBe(true);
    expect(verifyWebhookDelivery('jira', { 'x-hub-signature': signHub(body, 's1') }, body, SECRETS, NOW).ok).toBe(true);
  });

  it('does not accept one scheme under another source kind', () => {
    const body = '{"a":1}';
    expect(
      verifyWebhookDelivery('generic', { 'x-hub-signature': signHub(body, 's1') }, body, SECRETS, NOW),
    ).toMatchObject({ ok: false, code: 'signature.missing' });
    expect(
      verifyWebhookDelivery(
        'servicenow',
        { 'x-grantplane-signature': signGeneric(body, 's1', NOW) },
        body,
        SECRETS,
        NOW,
      ),
    ).toMatchObject({
      ok: false,
      code: 'signature.missing',
    });
  });

  it('keys Jira replays by the signed body, keeping the unsigned Atlassian id as externalId', () => {
    const body = '{"timestamp":1795000000000,"webhookEvent":"jira:issue_updated"}';
    const signature = signHub(body, 's1');
    const first = verifyWebhookDelivery(
      'jira',
      { 'x-hub-signature': signature, 'X-Atlassian-Webhook-Identifier': 'abc-1' },
      body,
      SECRETS,
      NOW,
    );
    const replayed = verifyWebhookDelivery(
      'jira',
      { 'x-hub-signature': signature, 'x-atlassian-webhook-identifier': 'forged-2' },
      body,
      SECRETS,
      NOW,
    );
    expect(first).toEqual({ ok: true, deliveryId: signature.slice('sha256='.length), externalId: 'abc-1' });
    expect(replayed.ok && replayed.deliveryId).toBe(first.ok && first.deliveryId);
  });
});

describe('mapTicketPayload', () => {
  it('dispatches by kind and passes the options', async () => {
    const grant = {
      scope: { type: 'global' },
      resource: { type: 'ecr', repositoryArn: 'arn:aws:ecr:us-west-2:123456789012:repository/x' },
    };
    const generic = await mapTicketPayload(
      'generic',
      { event: 'ticket.created', ticket: { system: 'x', key: 'X-1' }, actor: { id: 'a' }, grant },
      { dataPlane: 'prod' },
    );
    expect(generic.ok && generic.event.grant).toEqual({ ...grant, dataPlane: 'prod' });
    expect(
      await mapTicketPayload(
        'jira',
        {
          webhookEvent: 'jira:issue_updated',
          issue: { key: 'OPS-1' },
          user: { accountId: 'u' },
          changelog: { items: [{ field: 'status', toString: 'Go' }] },
        },
        { statuses: { Go: 'approve' } },
      ),
    ).toMatchObject({
      ok: true,
      event: { kind: 'approved', actor: 'u' },
    });
    expect(
      await mapTicketPayload('servicenow', {
        operation: 'update',
        number: 'RITM1',
        sys_updated_by: 'b',
        approval: 'rejected',
      }),
    ).toMatchObject({
      ok: true,
      event: { kind: 'rejected', ticket: { system: 'servicenow', key: 'RITM1' } },
    });
  });
});
