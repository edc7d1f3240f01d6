// End to end on the local stack (docs/api.md): HTTP submit → approve → the stream poller feeds the
// applier Lambda → the grant is `active` and the role is in the IAM emulator; the pair's uctl update
// is pending; revoke → `revoked`, the role waits; ack → the role is deleted (A3).
import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startE2eStack, TOKENS, type E2eStack } from '../helpers/local-stack.js';

const ROLE = 'acme-flytesnacks-staging';
let e2e: E2eStack;
let iam: IAMClient;

const { alice, bob, admin } = TOKENS;

const call = (method: string, path: string, bearer: string, body?: unknown) => e2e.call(method, path, bearer, body);

const roleExists = async (): Promise<boolean> => {
  try {
    await iam.send(new GetRoleCommand({ RoleName: ROLE }));
    return true;
  } catch (error: unknown) {
    if (error instanceof NoSuchEntityException) return false;
    throw error;
  }
};

beforeAll(async () => {
  e2e = await startE2eStack();
  iam = e2e.iam;
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('local stack: the applier on the table stream', () => {
  it('submit → approve over HTTP → active with its role in IAM; revoke → revoked; ack → role deleted', async () => {
    const submitted = await call('POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
      justification: 'training jobs read features',
    });
    expect(submitted.status).toBe(201);
    const id = String(submitted.json.id);
    expect((await call('POST', `/v1/grants/${id}/approve`, bob, {})).status).toBe(200);

    await eventually('the grant to become active', async () => {
      const grant = await call('GET', `/v1/grants/${id}`, alice);
      return grant.json.status === 'active' ? grant : undefined;
    });
    // A grant reads active only once its target reads applied.
    expect(await roleExists()).toBe(true);
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE }));
    expect(attached.AttachedPolicies?.map((policy) => policy.PolicyName).sort()).toEqual([
      'grantplane-flytesnacks-staging-1',
      'userflyterole',
    ]);
    const pending = await call('GET', '/v1/attribute-updates?status=pending', bob);
    const items = pending.json.items as {
      id: string;
      project: string;
      domain: string;
      roleArn: string | null;
      command: string;
    }[];
    expect(items).toEqual([
      expect.objectContaining({
        project: 'flytesnacks',
        domain: 'staging',
        roleArn: `arn:aws:iam::123456789012:role/grantplane/${ROLE}`,
      }),
    ]);
    const target = await call('GET', '/v1/targets/prod/flytesnacks/staging', alice);
    expect(target.json).toMatchObject({ state: 'applied', uctlUpdate: { status: 'pending' } });
    expect((await call('POST', `/v1/attribute-updates/${items[0]?.id}/ack`, admin)).status).toBe(200);

    expect((await call('DELETE', `/v1/grants/${id}`, alice)).status).toBe(202);
    await eventually('the grant to become revoked', async () => {
      const grant = await call('GET', `/v1/grants/${id}`, alice);
      return grant.json.status === 'revoked' ? grant : undefined;
    });
    const removal = await eventually('the removal uctl update', async () => {
      const list = await call('GET', '/v1/attribute-updates?status=pending', bob);
      return (list.json.items as { id: string; roleArn: string | null }[]).find((update) => update.roleArn === null);
    });
    expect(await roleExists()).toBe(true); // waits for the uctl update (A3)
    expect((await call('GET', '/v1/targets/prod/flytesnacks/staging', alice)).json).toMatchObject({
      state: 'waiting-uctl',
    });

    expect((await call('POST', `/v1/attribute-updates/${removal.id}/ack`, admin)).status).toBe(200);
    await eventually('the role to be deleted', async () => ((await roleExists()) ? undefined : true));
    expect((await call('GET', '/v1/targets/prod/flytesnacks/staging', alice)).json).toMatchObject({
      state: 'applied',
      desired: null,
    });
  }, 120_000);
});
