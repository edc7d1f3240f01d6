// receiveWebhook (docs/webhooks.md) on DynamoDB Local: a failure of ours releases the delivery so the
// sender's retry is processed afresh; a ticket creates one grant however often "created" arrives.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../lib/app/deps.js';
import { DeliveryInProgressError, receiveWebhook, type WebhookResult } from '../../lib/app/webhooks.js';
import type { GrantStore } from '../../lib/domain/ports.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { signGeneric } from '../../lib/domain/webhooks/index.js';
import { appDeps } from '../helpers/dynamo.js';

const SECRET = 'app-secret';
let deps: AppDeps;

beforeEach(async () => {
  deps = await appDeps();
});

const created = (key: string) => ({
  event: 'ticket.created',
  ticket: { system: 'servicedesk', key },
  actor: { id: 'alice' },
  grant: {
    dataPlane: 'prod',
    scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
    resource: { type: 's3', bucket: 'acme-app', access: 'read' },
  },
});

/** The grant a delivery acted on (the test fails when it came to something else). */
const grantOf = (result: WebhookResult): GrantRecord => {
  if (result.kind !== 'grant') throw new Error(`expected a grant, got ${JSON.stringify(result)}`);
  return result.grant;
};

const deliver = (deps: AppDeps, body: unknown, t: number) => {
  const text = JSON.stringify(body);
  return receiveWebhook(
    deps,
    {
      kind: 'generic',
      headers: { 'x-grantplane-signature': signGeneric(text, SECRET, t) },
      rawBody: text,
      secrets: [SECRET],
    },
    body,
  );
};

const now = () => Math.floor(deps.clock.now().getTime() / 1000);

/** The real store whose createGrant fails `times` times first (a DynamoDB outage, say). */
const failingCreate = (store: GrantStore, times: number): GrantStore => {
  let left = times;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'createGrant' && left > 0) {
        return async () => {
          left -= 1;
          throw new Error('simulated DynamoDB outage');
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
};

describe('receiveWebhook', () => {
  it('a failure of ours is not remembered: the same delivery retried is processed afresh', async () => {
    const t = now();
    await expect(deliver({ ...deps, grants: failingCreate(deps.grants, 1) }, created('A-1'), t)).rejects.toThrow(
      'simulated DynamoDB outage',
    );
    const retried = await deliver(deps, created('A-1'), t);
    expect(retried.replay).toBeUndefined();
    expect(grantOf(retried).status).toBe('pending-approval');
  });

  it('a claim still in progress answers DeliveryInProgressError to a duplicate', async () => {
    const body = created('A-2');
    const text = JSON.stringify(body);
    const t = now();
    const header = signGeneric(text, SECRET, t);
    const deliveryId = /v1=([0-9a-f]+)/.exec(header)?.[1] ?? '';
    await deps.deliveries.claimDelivery(
      { source: 'generic', deliveryId, at: deps.clock.now().toISOString(), result: { state: 'in-progress' } },
      60,
      deps.clock.now(),
    );
    await expect(deliver(deps, body, t)).rejects.toBeInstanceOf(DeliveryInProgressError);
  });

  it('"created" sent again as a new delivery answers the ticket\'s grant; no second grant', async () => {
    const first = await deliver(deps, created('A-3'), now());
    const again = await deliver(deps, created('A-3'), now() - 1); // another signature: a new delivery
    expect(again.replay).toBeUndefined();
    expect(grantOf(again).id).toBe(grantOf(first).id);
    const grants = (await deps.grants.listGrants({ source: 'generic' }, { limit: 10 })).items.filter(
      (g) => g.ticket?.key === 'A-3',
    );
    expect(grants).toHaveLength(1);
  });

  it('concurrent "created" deliveries of one ticket (different signatures) make one grant', async () => {
    const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => deliver(deps, created('A-5'), now() - i)));
    const ids = new Set<string>();
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(DeliveryInProgressError);
      else ids.add(grantOf(outcome.value).id);
    }
    expect(ids.size).toBe(1);
    const grants = (await deps.grants.listGrants({ source: 'generic' }, { limit: 10 })).items.filter(
      (g) => g.ticket?.key === 'A-5',
    );
    expect(grants).toHaveLength(1);
  });

  it('a refusal is remembered and replayed as the same refusal', async () => {
    const bad = {
      ...created('A-4'),
      grant: { ...created('A-4').grant, resource: { type: 's3', bucket: 'union-x', access: 'read' } },
    };
    const t = now();
    const first = await deliver(deps, bad, t);
    expect(first).toMatchObject({ kind: 'refused', refusal: { kind: 'validation' } });
    const replay = await deliver(deps, bad, t);
    expect(replay).toEqual({ ...first, replay: true });
  });
});
