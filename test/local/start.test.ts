// `npm start` (docs/api.md): the whole stack in one process — DynamoDB Local with the production
// table, the IAM emulator seeded per AWS plane, the HTTP API — reachable with a local token.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

describe('npm start with another account first', () => {
  it('shows the first AWS plane to any credentials, and says how to pick the others', async () => {
    // Prepare: a configuration whose first AWS plane is not the emulator's built-in default account
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-start-'));
    const configPath = join(dir, 'grantplane.config.yaml');
    writeFileSync(
      configPath,
      [
        'dataPlanes:',
        '  - { name: eu, cloud: aws, accountId: "444455556666", region: eu-west-1, orgPrefix: acme,',
        '      oidcProvider: oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*" }',
        '  - { name: us, cloud: aws, accountId: "777788889999", region: us-east-1, orgPrefix: acme,',
        '      oidcProvider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*" }',
        '',
      ].join('\n'),
    );
    const other = await startLocalStack({
      ephemeral: true,
      port: 0,
      configPath,
      loops: [],
      tableName: 'start-accounts',
    });
    try {
      // Act
      const iam = new IAMClient({
        endpoint: other.iamEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'any' },
      });
      const role = await iam.send(new GetRoleCommand({ RoleName: 'acme-userflyterole' }));
      // Assess
      expect(role.Role?.Arn).toBe('arn:aws:iam::444455556666:role/acme-userflyterole');
      expect(banner(other, true)).toContain('eu 444455556666 (default), us 777788889999');
      expect(banner(other, true)).toContain('AWS_ACCESS_KEY_ID=<account id>');
    } finally {
      await other.stop();
    }
  }, 90_000);
});
