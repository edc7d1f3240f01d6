// IamGateway (lib/adapters/iam) with the real @aws-sdk/client-iam against the IAM emulator on
// loopback (docs/applier.md A1: documents URL-decoded and compared by meaning; IAM modes).
import { GetPolicyVersionCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import type { PolicyDocument } from '../../lib/domain/model.js';
import { IamGatewayError } from '../../lib/domain/ports.js';
import { startIamEmulator } from '../../lib/local/iam-emulator/index.js';
import { type IamTestContext, iamClientFor, startIamTest, TEST_ACCOUNT_ID } from '../helpers/iam.js';

const OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

const trust = (project: string, domain: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${TEST_ACCOUNT_ID}:oidc-provider/${OIDC}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${OIDC}:sub`]: `system:serviceaccount:${project}-${domain}:default`,
          [`${OIDC}:aud`]: 'sts.amazonaws.com',
        },
      },
    },
  ],
});

const s3Policy = (bucket: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Read',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    },
  ],
});

/** Expects the promise to reject with an IamGatewayError of this code and operation. */
const rejectsWith = async (
  promise: Promise<unknown>,
  operation: string,
  code: IamGatewayError['code'],
): Promise<IamGatewayError> => {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IamGatewayError);
  if (!(error instanceof IamGatewayError)) throw error;
  expect({ operation: error.operation, code: error.code }).toEqual({ operation, code });
  expect(error.cause).toBeDefined();
  return error;
};

// A fresh emulator account per test: each test makes what it reads, in any order.
describe('IamGateway on the IAM emulator', () => {
  let t: IamTestContext;
  beforeEach(async () => {
    t = await startIamTest();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('creates a role and reads it back with trust, boundary, tags and path (GetRole)', async () => {
    const boundary = await t.gateway.createPolicy({ name: 'boundary', path: '/', document: s3Policy('*'), tags: {} });
    const created = await t.gateway.createRole({
      name: 'acme-flytesnacks-development',
      path: '/grantplane/',
      trustPolicy: trust('flytesnacks', 'development'),
      permissionsBoundaryArn: boundary.arn,
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'abc' },
      description: 'test role',
    });
    expect(created.arn).toBe(`arn:aws:iam::${TEST_ACCOUNT_ID}:role/grantplane/acme-flytesnacks-development`);

    const role = await t.gateway.getRole('acme-flytesnacks-development');

    expect(role).toEqual({
      name: 'acme-flytesnacks-development',
      arn: `arn:aws:iam::${TEST_ACCOUNT_ID}:role/grantplane/acme-flytesnacks-development`,
      path: '/grantplane/',
      trustPolicy: trust('flytesnacks', 'development'),
      permissionsBoundaryArn: boundary.arn,
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'abc' },
    });
    expect(created).toEqual(role);
  });

  it('answers null for a role, policy or version that does not exist (NoSuchEntity on reads)', async () => {
    expect(await t.gateway.getRole('no-such-role')).toBeNull();
    expect(await t.gateway.getPolicy(`arn:aws:iam::${TEST_ACCOUNT_ID}:policy/nope`)).toBeNull();
    const policy = await t.gateway.createPolicy({
      name: 'versions-null',
      path: '/',
      document: s3Policy('a'),
      tags: { a: 'b' },
    });
    expect(await t.gateway.getPolicyVersion(policy.arn, 'v9')).toBeNull();
  });

  it('decodes URL-encoded documents to objects equal to what was written (A1)', async () => {
    const tricky: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::bucket/home/${aws:username}/a b+c&d=e%f/é/*',
          Condition: { StringLike: { 's3:prefix': ['x y', '100%'] }, Bool: { 'aws:SecureTransport': 'true' } },
        },
      ],
    };
    const policy = await t.gateway.createPolicy({
      name: 'tricky',
      path: '/grantplane/',
      document: tricky,
      tags: { k: 'v' },
    });
    const raw = await t.client.send(new GetPolicyVersionCommand({ PolicyArn: policy.arn, VersionId: 'v1' }));
    expect(raw.PolicyVersion?.Document?.startsWith('%7B%22Version%22')).toBe(true);

    const version = await t.gateway.getPolicyVersion(policy.arn, 'v1');

    expect(version?.document).toEqual(tricky);
    expect(version?.isDefault).toBe(true);
    expect(version?.versionId).toBe('v1');
  });

  it('reads a statement given as a single object and JSON booleans in conditions by meaning', async () => {
    const raw = JSON.stringify({
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: 's3:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': true } },
      },
    });
    const account = t.emulator.account(TEST_ACCOUNT_ID);
    const created = account.createPolicy({ name: 'single-statement', document: raw });

    const version = await t.gateway.getPolicyVersion(created.arn, 'v1');

    expect(version?.document).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
      ],
    });
  });

  it('updates the trust policy, the boundary and the tags of a role', async () => {
    await t.gateway.createRole({
      name: 'acme-p-d',
      path: '/grantplane/',
      trustPolicy: trust('p', 'd'),
      permissionsBoundaryArn: null,
      tags: { a: '1', b: '2' },
    });
    const boundary = await t.gateway.createPolicy({
      name: 'boundary-2',
      path: '/',
      document: s3Policy('*'),
      tags: { x: 'y' },
    });

    await t.gateway.updateAssumeRolePolicy('acme-p-d', trust('p', 'staging'));
    await t.gateway.putRolePermissionsBoundary('acme-p-d', boundary.arn);
    await t.gateway.tagRole('acme-p-d', { b: '3', c: '4' });
    await t.gateway.untagRole('acme-p-d', ['a']);

    const role = await t.gateway.getRole('acme-p-d');
    expect(role?.trustPolicy).toEqual(trust('p', 'staging'));
    expect(role?.permissionsBoundaryArn).toBe(boundary.arn);
    expect(role?.tags).toEqual({ b: '3', c: '4' });

    await t.gateway.deleteRolePermissionsBoundary('acme-p-d');
    expect((await t.gateway.getRole('acme-p-d'))?.permissionsBoundaryArn).toBeNull();
  });

  it('attaches, lists and detaches managed policies, and counts attachments', async () => {
    await t.gateway.createRole({
      name: 'attach-role',
      path: '/grantplane/',
      trustPolicy: trust('a', 'b'),
      permissionsBoundaryArn: null,
      tags: {},
    });
    const p1 = await t.gateway.createPolicy({
      name: 'attach-1',
      path: '/grantplane/',
      document: s3Policy('one'),
      tags: { t: '1' },
    });
    const p2 = await t.gateway.createPolicy({
      name: 'attach-2',
      path: '/grantplane/',
      document: s3Policy('two'),
      tags: { t: '2' },
    });

    await t.gateway.attachRolePolicy('attach-role', p1.arn);
    await t.gateway.attachRolePolicy('attach-role', p2.arn);

    expect(await t.gateway.listAttachedRolePolicies('attach-role')).toEqual([
      { name: 'attach-1', arn: p1.arn },
      { name: 'attach-2', arn: p2.arn },
    ]);
    expect((await t.gateway.getPolicy(p1.arn))?.attachmentCount).toBe(1);

    await t.gateway.detachRolePolicy('attach-role', p1.arn);
    expect(await t.gateway.listAttachedRolePolicies('attach-role')).toEqual([{ name: 'attach-2', arn: p2.arn }]);
    expect((await t.gateway.getPolicy(p1.arn))?.attachmentCount).toBe(0);
  });

  it('creates a policy and reads it with its tags in one GetPolicy call', async () => {
    const created = await t.gateway.createPolicy({
      name: 'grantplane-flytesnacks-development-1',
      path: '/grantplane/',
      document: s3Policy('data'),
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'h1' },
      description: 'compiled',
    });
    t.emulator.resetCalls();

    const policy = await t.gateway.getPolicy(created.arn);

    expect(policy).toEqual({
      name: 'grantplane-flytesnacks-development-1',
      arn: `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-flytesnacks-development-1`,
      path: '/grantplane/',
      defaultVersionId: 'v1',
      attachmentCount: 0,
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'h1' },
    });
    expect(created).toEqual(policy);
    expect(t.emulator.calls.map((c) => c.action)).toEqual(['GetPolicy']);
  });

  it('reads an untagged policy with GetPolicy then ListPolicyTags', async () => {
    const created = await t.gateway.createPolicy({
      name: 'untagged',
      path: '/other/',
      document: s3Policy('u'),
      tags: {},
    });
    t.emulator.resetCalls();

    const policy = await t.gateway.getPolicy(created.arn);

    expect(policy?.tags).toEqual({});
    expect(t.emulator.calls.map((c) => c.action)).toEqual(['GetPolicy', 'ListPolicyTags']);
  });

  it('creates versions as default, lists and deletes them (A2)', async () => {
    const created = await t.gateway.createPolicy({
      name: 'versioned',
      path: '/grantplane/',
      document: s3Policy('v1'),
      tags: { a: 'b' },
    });

    const v2 = await t.gateway.createPolicyVersion(created.arn, s3Policy('v2'), true);
    const v3 = await t.gateway.createPolicyVersion(created.arn, s3Policy('v3'), false);

    expect(v2).toMatchObject({ versionId: 'v2', isDefault: true, document: s3Policy('v2') });
    expect(v3).toMatchObject({ versionId: 'v3', isDefault: false });
    expect((await t.gateway.getPolicy(created.arn))?.defaultVersionId).toBe('v2');
    const versions = await t.gateway.listPolicyVersions(created.arn);
    expect(versions.map((v) => [v.versionId, v.isDefault, v.document])).toEqual([
      ['v3', false, undefined],
      ['v2', true, undefined],
      ['v1', false, undefined],
    ]);
    expect((await t.gateway.getPolicyVersion(created.arn, 'v2'))?.document).toEqual(s3Policy('v2'));

    await t.gateway.deletePolicyVersion(created.arn, 'v1');
    await t.gateway.deletePolicyVersion(created.arn, 'v3');
    expect((await t.gateway.listPolicyVersions(created.arn)).map((v) => v.versionId)).toEqual(['v2']);
  });

  it('tags and untags a policy', async () => {
    const created = await t.gateway.createPolicy({
      name: 'tagged',
      path: '/grantplane/',
      document: s3Policy('t'),
      tags: { a: '1' },
    });

    await t.gateway.tagPolicy(created.arn, { b: '2', a: '9' });
    await t.gateway.untagPolicy(created.arn, ['b']);

    expect((await t.gateway.getPolicy(created.arn))?.tags).toEqual({ a: '9' });
  });

  it('deletes a detached policy and a role without attachments (A3 order)', async () => {
    await t.gateway.createRole({
      name: 'to-delete',
      path: '/grantplane/',
      trustPolicy: trust('x', 'y'),
      permissionsBoundaryArn: null,
      tags: {},
    });
    const policy = await t.gateway.createPolicy({
      name: 'to-delete',
      path: '/grantplane/',
      document: s3Policy('d'),
      tags: { a: 'b' },
    });
    await t.gateway.attachRolePolicy('to-delete', policy.arn);
    await t.gateway.createPolicyVersion(policy.arn, s3Policy('d2'), true);

    await t.gateway.detachRolePolicy('to-delete', policy.arn);
    await t.gateway.deletePolicyVersion(policy.arn, 'v1');
    await t.gateway.deletePolicy(policy.arn);
    await t.gateway.deleteRole('to-delete');

    expect(await t.gateway.getPolicy(policy.arn)).toBeNull();
    expect(await t.gateway.getRole('to-delete')).toBeNull();
  });

  /** What the listing tests read: grantplane's roles and policies beside others, as the tests above make them. */
  const buildAccount = async (): Promise<void> => {
    const boundary = await t.gateway.createPolicy({ name: 'boundary', path: '/', document: s3Policy('*'), tags: {} });
    await t.gateway.createRole({
      name: 'acme-flytesnacks-development',
      path: '/grantplane/',
      trustPolicy: trust('flytesnacks', 'development'),
      permissionsBoundaryArn: boundary.arn,
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'abc' },
    });
    await t.gateway.createRole({
      name: 'acme-p-d',
      path: '/grantplane/',
      trustPolicy: trust('p', 'staging'),
      permissionsBoundaryArn: null,
      tags: { a: '1' },
    });
    await t.gateway.createPolicy({
      name: 'grantplane-flytesnacks-development-1',
      path: '/grantplane/',
      document: s3Policy('a'),
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'h1' },
    });
    await t.gateway.createPolicy({ name: 'untagged', path: '/other/', document: s3Policy('u'), tags: {} });
    const versioned = await t.gateway.createPolicy({
      name: 'versioned',
      path: '/grantplane/',
      document: s3Policy('v1'),
      tags: { a: 'b' },
    });
    await t.gateway.createPolicyVersion(versioned.arn, s3Policy('v2'), true);
    await t.gateway.deletePolicyVersion(versioned.arn, 'v1');
  };

  it('lists roles and local policies under a path prefix (no tags or boundary from ListRoles)', async () => {
    await buildAccount();
    const roles = await t.gateway.listRoles('/grantplane/');
    const policies = await t.gateway.listPolicies('/grantplane/');

    expect(roles.length).toBeGreaterThan(0);
    expect(roles.every((r) => r.path.startsWith('/grantplane/'))).toBe(true);
    expect(roles.every((r) => r.tags === undefined && r.permissionsBoundaryArn === undefined)).toBe(true);
    expect(roles.find((r) => r.name === 'acme-p-d')?.trustPolicy).toEqual(trust('p', 'staging'));
    expect(policies.map((p) => p.name)).toContain('grantplane-flytesnacks-development-1');
    expect(policies.map((p) => p.name)).not.toContain('untagged');
    expect(policies.every((p) => p.tags === undefined)).toBe(true);
  });

  it('reads the whole account with GetAccountAuthorizationDetails, filtered by path and role names', async () => {
    await buildAccount();
    const seeded = t.emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: OIDC });

    const all = await t.gateway.getAccountAuthorizationDetails();
    const filtered = await t.gateway.getAccountAuthorizationDetails({
      pathPrefix: '/grantplane/',
      roleNames: ['acme-userflyterole'],
    });

    expect(all.roles.map((r) => r.name)).toContain('acme-adminflyterole');
    expect(filtered.roles.map((r) => r.name)).not.toContain('acme-adminflyterole');
    const userRole = filtered.roles.find((r) => r.name === 'acme-userflyterole');
    expect(userRole?.attachedPolicies).toEqual([{ name: 'userflyterole', arn: seeded.userFlyteRolePolicyArn }]);
    const managedRole = filtered.roles.find((r) => r.name === 'acme-flytesnacks-development');
    expect(managedRole).toMatchObject({
      path: '/grantplane/',
      trustPolicy: trust('flytesnacks', 'development'),
      tags: { 'managed-by': 'grantplane', 'grantplane:hash': 'abc' },
    });
    expect(managedRole?.permissionsBoundaryArn).toMatch(/:policy\/boundary$/);
    const versioned = filtered.policies.find((p) => p.name === 'versioned');
    expect(versioned?.defaultVersionId).toBe('v2');
    expect(versioned?.versions).toEqual([
      expect.objectContaining({ versionId: 'v2', isDefault: true, document: s3Policy('v2') }),
    ]);
    expect(filtered.policies.every((p) => p.path.startsWith('/grantplane/'))).toBe(true);
    expect(all.policies.map((p) => p.name)).toContain('userflyterole');
  });
});

describe('IamGateway errors', () => {
  let t: IamTestContext;
  beforeAll(async () => {
    t = await startIamTest();
    await t.gateway.createRole({
      name: 'err-role',
      path: '/grantplane/',
      trustPolicy: trust('e', 'r'),
      permissionsBoundaryArn: null,
      tags: {},
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('EntityAlreadyExists for a second role or policy of the same name', async () => {
    await rejectsWith(
      t.gateway.createRole({
        name: 'err-role',
        path: '/grantplane/',
        trustPolicy: trust('e', 'r'),
        permissionsBoundaryArn: null,
        tags: {},
      }),
      'CreateRole',
      'EntityAlreadyExists',
    );
    await t.gateway.createPolicy({ name: 'dup', path: '/grantplane/', document: s3Policy('d'), tags: {} });
    await rejectsWith(
      t.gateway.createPolicy({ name: 'dup', path: '/other/', document: s3Policy('d'), tags: {} }),
      'CreatePolicy',
      'EntityAlreadyExists',
    );
  });

  it('LimitExceeded on the 6th policy version, answered after one call (not retried as throttling)', async () => {
    const policy = await t.gateway.createPolicy({
      name: 'five-versions',
      path: '/grantplane/',
      document: s3Policy('0'),
      tags: {},
    });
    for (let i = 1; i <= 4; i += 1) await t.gateway.createPolicyVersion(policy.arn, s3Policy(String(i)), true);
    t.emulator.resetCalls();

    const error = await rejectsWith(
      t.gateway.createPolicyVersion(policy.arn, s3Policy('5'), true),
      'CreatePolicyVersion',
      'LimitExceeded',
    );

    expect(error.message).toContain('up to 5 versions');
    expect(t.emulator.calls.map((c) => c.action)).toEqual(['CreatePolicyVersion']);
  });

  it('LimitExceeded on the 11th attached managed policy', async () => {
    for (let i = 1; i <= 11; i += 1) {
      await t.gateway.createPolicy({ name: `quota-${i}`, path: '/grantplane/', document: s3Policy(`q${i}`), tags: {} });
    }
    for (let i = 1; i <= 10; i += 1) {
      await t.gateway.attachRolePolicy('err-role', `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/quota-${i}`);
    }

    const error = await rejectsWith(
      t.gateway.attachRolePolicy('err-role', `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/quota-11`),
      'AttachRolePolicy',
      'LimitExceeded',
    );

    expect(error.message).toContain('PoliciesPerRole: 10');
    expect(await t.gateway.listAttachedRolePolicies('err-role')).toHaveLength(10);
  });

  it('LimitExceeded for a policy over 6,144 characters not counting white space', async () => {
    const statement = (i: number): PolicyDocument['Statement'][number] => ({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::bucket-with-a-long-name-${String(i).padStart(4, '0')}/*`,
    });
    const big: PolicyDocument = {
      Version: '2012-10-17',
      Statement: Array.from({ length: 100 }, (_, i) => statement(i)),
    };
    expect(JSON.stringify(big).length).toBeGreaterThan(6144);

    await rejectsWith(
      t.gateway.createPolicy({ name: 'too-big', path: '/grantplane/', document: big, tags: {} }),
      'CreatePolicy',
      'LimitExceeded',
    );
  });

  it('DeleteConflict: default version, attached policy, policy with versions, role with attachments', async () => {
    const policy = await t.gateway.createPolicy({
      name: 'conflicts',
      path: '/grantplane/',
      document: s3Policy('c'),
      tags: {},
    });
    await t.gateway.createRole({
      name: 'conflict-role',
      path: '/grantplane/',
      trustPolicy: trust('c', 'r'),
      permissionsBoundaryArn: null,
      tags: {},
    });
    await t.gateway.attachRolePolicy('conflict-role', policy.arn);

    await rejectsWith(t.gateway.deletePolicyVersion(policy.arn, 'v1'), 'DeletePolicyVersion', 'DeleteConflict');
    await rejectsWith(t.gateway.deletePolicy(policy.arn), 'DeletePolicy', 'DeleteConflict');
    await rejectsWith(t.gateway.deleteRole('conflict-role'), 'DeleteRole', 'DeleteConflict');
    await t.gateway.detachRolePolicy('conflict-role', policy.arn);
    await t.gateway.createPolicyVersion(policy.arn, s3Policy('c2'), true);
    await rejectsWith(t.gateway.deletePolicy(policy.arn), 'DeletePolicy', 'DeleteConflict');
  });

  it('MalformedPolicyDocument for a statement IAM rejects', async () => {
    const noResource: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }],
    };
    const principalInIdentity: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Principal: '*' }],
    };

    await rejectsWith(
      t.gateway.createPolicy({ name: 'malformed', path: '/grantplane/', document: noResource, tags: {} }),
      'CreatePolicy',
      'MalformedPolicyDocument',
    );
    await rejectsWith(
      t.gateway.createPolicy({ name: 'malformed', path: '/grantplane/', document: principalInIdentity, tags: {} }),
      'CreatePolicy',
      'MalformedPolicyDocument',
    );
    await rejectsWith(
      t.gateway.updateAssumeRolePolicy('err-role', s3Policy('x')),
      'UpdateAssumeRolePolicy',
      'MalformedPolicyDocument',
    );
  });

  it('NoSuchEntity on writes: attaching a policy that does not exist, detaching one not attached', async () => {
    await rejectsWith(
      t.gateway.attachRolePolicy('err-role', `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/missing`),
      'AttachRolePolicy',
      'NoSuchEntity',
    );
    await rejectsWith(t.gateway.tagRole('missing-role', { a: 'b' }), 'TagRole', 'NoSuchEntity');
    await rejectsWith(t.gateway.listAttachedRolePolicies('missing-role'), 'ListAttachedRolePolicies', 'NoSuchEntity');
  });

  it('UnparseableDocument when IAM holds a document grantplane does not model', async () => {
    const account = t.emulator.account(TEST_ACCOUNT_ID);
    const legacy = account.createPolicy({
      name: 'legacy-2008',
      document: JSON.stringify({
        Version: '2008-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      }),
    });

    await rejectsWith(t.gateway.getPolicyVersion(legacy.arn, 'v1'), 'GetPolicyVersion', 'UnparseableDocument');
    // …but a drift read filtered to the managed path never parses it.
    const filtered = await t.gateway.getAccountAuthorizationDetails({ pathPrefix: '/grantplane/' });
    expect(filtered.policies.some((p) => p.name === 'legacy-2008')).toBe(false);
  });
});

describe('IamGateway pagination', () => {
  it('follows Marker pages of MaxItems for every list method, one call per page', async () => {
    const t = await startIamTest({ pageSize: 2 });
    try {
      await t.gateway.createRole({
        name: 'paged-role',
        path: '/grantplane/',
        trustPolicy: trust('p', 'r'),
        permissionsBoundaryArn: null,
        tags: {},
      });
      for (let i = 1; i <= 5; i += 1) {
        await t.gateway.createRole({
          name: `paged-${i}`,
          path: '/grantplane/',
          trustPolicy: trust('p', String(i)),
          permissionsBoundaryArn: null,
          tags: {},
        });
        const policy = await t.gateway.createPolicy({
          name: `paged-${i}`,
          path: '/grantplane/',
          document: s3Policy(String(i)),
          tags: {},
        });
        await t.gateway.attachRolePolicy('paged-role', policy.arn);
      }
      const policyArn = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/paged-1`;
      for (let i = 2; i <= 5; i += 1) await t.gateway.createPolicyVersion(policyArn, s3Policy(`v${i}`), false);
      t.emulator.resetCalls();

      const roles = await t.gateway.listRoles('/grantplane/');
      const policies = await t.gateway.listPolicies('/grantplane/');
      const attached = await t.gateway.listAttachedRolePolicies('paged-role');
      const versions = await t.gateway.listPolicyVersions(policyArn);
      const details = await t.gateway.getAccountAuthorizationDetails();

      expect(roles).toHaveLength(6);
      expect(policies).toHaveLength(5);
      expect(attached.map((a) => a.name)).toEqual(['paged-1', 'paged-2', 'paged-3', 'paged-4', 'paged-5']);
      expect(versions).toHaveLength(5);
      expect(details.roles).toHaveLength(6);
      expect(details.policies).toHaveLength(5);
      const count = (action: string): number => t.emulator.calls.filter((c) => c.action === action).length;
      expect([
        count('ListRoles'),
        count('ListPolicies'),
        count('ListAttachedRolePolicies'),
        count('ListPolicyVersions'),
      ]).toEqual([3, 3, 3, 3]);
      expect(count('GetAccountAuthorizationDetails')).toBe(6);
      expect(t.emulator.calls.every((c) => c.params.MaxItems === '2')).toBe(true);
    } finally {
      await t.stop();
    }
  });
});

describe('IamGateway under faults (A4)', () => {
  it('rides out 30% throttling with standard retries: every call succeeds', async () => {
    const t = await startIamTest({ throttleRate: 0.3, seed: 42, maxAttempts: 10 });
    try {
      for (let i = 0; i < 15; i += 1) {
        await t.gateway.createPolicy({
          name: `throttled-${i}`,
          path: '/grantplane/',
          document: s3Policy(String(i)),
          tags: { i: String(i) },
        });
        expect(
          (await t.gateway.getPolicy(`arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/throttled-${i}`))?.tags,
        ).toEqual({ i: String(i) });
      }

      const throttled = t.emulator.calls.filter((c) => c.fault === 'throttled').length;
      expect(throttled).toBeGreaterThan(3);
      expect(t.emulator.account(TEST_ACCOUNT_ID).listPolicies('/grantplane/')).toHaveLength(15);
    } finally {
      await t.stop();
    }
  });

  it('failOnCall: the Nth call fails with ServiceFailure and changes nothing; a retrying client recovers', async () => {
    const t = await startIamTest({ maxAttempts: 1 });
    try {
      t.emulator.setFaults({ failOnCall: 2 });
      await t.gateway.createPolicy({ name: 'first', path: '/grantplane/', document: s3Policy('1'), tags: {} });

      await rejectsWith(
        t.gateway.createPolicy({ name: 'second', path: '/grantplane/', document: s3Policy('2'), tags: {} }),
        'CreatePolicy',
        'ServiceFailure',
      );

      expect(await t.gateway.getPolicy(`arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/second`)).toBeNull();
      const retrying = makeIamGateway(iamClientFor(t.emulator, { maxAttempts: 3 }));
      t.emulator.setFaults({ failOnCall: 1 });
      await retrying.createPolicy({ name: 'second', path: '/grantplane/', document: s3Policy('2'), tags: {} });
      expect(t.emulator.calls.slice(-2).map((c) => [c.action, c.fault])).toEqual([
        ['CreatePolicy', 'failed'],
        ['CreatePolicy', undefined],
      ]);
    } finally {
      await t.stop();
    }
  });
});

describe('makeIamClient', () => {
  it('honours AWS_ENDPOINT_URL_IAM and the standard credential variables (SDK configuration, no endpoint option)', async () => {
    const emulator = await startIamEmulator({ accessKeyAccounts: { AKIDFROMENV: '444455556666' } });
    const saved = { ...process.env };
    try {
      process.env.AWS_ENDPOINT_URL_IAM = emulator.endpoint;
      process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
      process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-env';
      delete process.env.AWS_PROFILE;
      const client = makeIamClient();
      const gateway = makeIamGateway(client);

      const policy = await gateway.createPolicy({ name: 'via-env', path: '/', document: s3Policy('env'), tags: {} });

      expect(policy.arn).toBe('arn:aws:iam::444455556666:policy/via-env');
      expect(emulator.calls.map((c) => [c.action, c.accountId])).toEqual([['CreatePolicy', '444455556666']]);
      client.destroy();
    } finally {
      process.env = saved;
      await emulator.stop();
    }
  });
});
