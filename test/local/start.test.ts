// `npm start` (docs/api.md): the whole stack in one process — DynamoDB Local with the production
// table, the IAM emulator seeded per AWS plane, the HTTP API — reachable with a local token.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import { banner, startLocalStack, type LocalStack } from '../../lib/local/start.js';
import { callApi } from '../helpers/local-stack.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let stack: LocalStack;

beforeAll(async () => {
  delete process.env.GRANTPLANE_LOCAL_JWT_SECRET;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  stack = await startLocalStack({
    ephemeral: true,
    port: 0,
    configPath: resolve(repo, 'grantplane.config.yaml'),
    loops: [],
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('npm start', () => {
  it('serves the API with a local token and prints where everything is', async () => {
    const token = mintLocalToken({ sub: 'alice', roles: ['requester'] }, DEV_JWT_SECRET);
    const answer = await callApi(stack.url, 'POST', '/v1/grants', token, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
    });
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ status: 'approved', requester: 'alice' }); // development is auto-approved in the example
    const text = banner(stack, true);
    expect(text).toContain(stack.url);
    expect(text).toContain(stack.iamEndpoint);
    expect(text).toMatch(/export TOKEN=[\w-]+\.[\w-]+\.[\w-]+/);
    expect(text).toContain(`curl -s -X POST ${stack.url}/v1/grants`);
  });

  it('seeds the IAM emulator with what each AWS data plane already has', async () => {
    const iam = new IAMClient({
      endpoint: stack.iamEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: '123456789012', secretAccessKey: 'any' },
    });
    const role = await iam.send(new GetRoleCommand({ RoleName: 'acme-userflyterole' }));
    expect(role.Role?.Arn).toBe('arn:aws:iam::123456789012:role/acme-userflyterole');
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'acme-adminflyterole' }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyName)).toContain('userflyterole');
    const other = new IAMClient({
      endpoint: stack.iamEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: '210987654321', secretAccessKey: 'any' },
    });
    expect((await other.send(new GetRoleCommand({ RoleName: 'acme-userflyterole' }))).Role?.Arn).toBe(
      'arn:aws:iam::210987654321:role/acme-userflyterole',
    );
  });
});
