// The IAM emulator (docs/applier.md "IAM modes", docs/api.md) speaks IAM's query protocol: checked here with raw
// form POSTs (what the AWS CLI sends) and the real @aws-sdk/client-iam, whose typed exceptions
// prove the error codes and HTTP statuses match IAM's.
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeletePolicyCommand,
  EntityAlreadyExistsException,
  GetAccountAuthorizationDetailsCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetRoleCommand,
  type IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListOpenIDConnectProvidersCommand,
  ListPoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  ServiceFailureException,
  TagRoleCommand,
  UntagRoleCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IamEmulator, startIamEmulator } from '../../lib/local/iam-emulator/index.js';
import { iamClientFor, TEST_ACCOUNT_ID } from '../helpers/iam.js';

const OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const policyDoc = (resource: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resource }],
  });

/** A form POST as the AWS CLI sends it, answered as text. */
const post = async (
  endpoint: string,
  form: Record<string, string>,
): Promise<{ status: number; body: string; type: string | null }> => {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2010-05-08', ...form }).toString(),
  });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
};

const failure = async (promise: Promise<unknown>): Promise<IAMServiceException> => {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(error instanceof IAMServiceException)) throw error;
  return error;
};

describe('IAM emulator: query protocol', () => {
  let emulator: IamEmulator;
  let iam: IAMClient;
  beforeAll(async () => {
    emulator = await startIamEmulator({ accountId: TEST_ACCOUNT_ID });
    iam = iamClientFor(emulator, { maxAttempts: 1 });
  });
  afterAll(async () => {
    iam.destroy();
    await emulator.stop();
  });

  it('answers a raw form POST with IAM XML (<XResponse xmlns><XResult>…<ResponseMetadata>)', async () => {
    const created = await post(emulator.endpoint, {
      Action: 'CreateRole',
      RoleName: 'raw-role',
      Path: '/raw/',
      AssumeRolePolicyDocument: TRUST,
    });
    const listed = await post(emulator.endpoint, { Action: 'ListRoles', PathPrefix: '/raw/' });

    expect(created.status).toBe(200);
    expect(created.type).toBe('text/xml');
    expect(created.body).toContain(
      '<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult><Role>',
    );
    expect(created.body).toContain(`<Arn>arn:aws:iam::${TEST_ACCOUNT_ID}:role/raw/raw-role</Arn>`);
    expect(created.body).toMatch(
      /<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/CreateRoleResponse>/,
    );
    expect(listed.body).toContain('<Roles><member><Path>/raw/</Path><RoleName>raw-role</RoleName>');
    expect(listed.body).toContain(`<AssumeRolePolicyDocument>${encodeURIComponent(TRUST)}</AssumeRolePolicyDocument>`);
    expect(listed.body).toContain('<IsTruncated>false</IsTruncated>');
  });

  it('answers errors as <ErrorResponse> with IAM type, code and status', async () => {
    const missing = await post(emulator.endpoint, { Action: 'GetRole', RoleName: 'nobody' });
    const unknown = await post(emulator.endpoint, { Action: 'FlyToTheMoon' });

    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(
      /<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code><Message>The role with name nobody cannot be found.<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('<Code>InvalidAction</Code>');
  });

  it('reaches the SDK as typed exceptions with IAM status codes', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'typed', AssumeRolePolicyDocument: TRUST }));
    const policy = await iam.send(new CreatePolicyCommand({ PolicyName: 'typed', PolicyDocument: policyDoc('*') }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'typed', PolicyArn: policy.Policy?.Arn }));

    const cases = [
      [await failure(iam.send(new GetRoleCommand({ RoleName: 'absent' }))), NoSuchEntityException, 404],
      [
        await failure(iam.send(new CreateRoleCommand({ RoleName: 'TYPED', AssumeRolePolicyDocument: TRUST }))),
        EntityAlreadyExistsException,
        409,
      ],
      [
        await failure(iam.send(new DeletePolicyCommand({ PolicyArn: policy.Policy?.Arn }))),
        DeleteConflictException,
        409,
      ],
      [
        await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'bad', PolicyDocument: '{"Version":' }))),
        MalformedPolicyDocumentException,
        400,
      ],
    ] as const;

    for (const [error, type, status] of cases) {
      expect(error).toBeInstanceOf(type);
      expect(error.$metadata.httpStatusCode).toBe(status);
      expect(error.$fault).toBe('client');
    }
  });

  it('rejects malformed documents as IAM does: bad JSON, missing Version or Statement, bad Effect, principal in identity policy', async () => {
    const documents = [
      'not json',
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17' }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }],
      }),
    ];
    const messages: string[] = [];
    for (const [i, document] of documents.entries()) {
      const error = await failure(
        iam.send(new CreatePolicyCommand({ PolicyName: `malformed-${i}`, PolicyDocument: document })),
      );
      expect(error).toBeInstanceOf(MalformedPolicyDocumentException);
      messages.push(error.message);
    }
    expect(messages).toEqual([
      'Syntax errors in policy.',
      'Missing required field Version',
      'Missing required field Statement',
      'Invalid effect: Maybe',
      'Policy document should not specify a principal.',
    ]);
    const trustWithResource = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole', Resource: '*' },
      ],
    });
    expect(
      await failure(
        iam.send(new CreateRoleCommand({ RoleName: 'bad-trust', AssumeRolePolicyDocument: trustWithResource })),
      ),
    ).toBeInstanceOf(MalformedPolicyDocumentException);
  });

  it('enforces name and path rules (ValidationError)', async () => {
    const tooLong = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST })),
    );
    const badChars = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'a/b', AssumeRolePolicyDocument: TRUST })),
    );
    const badPath = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'ok', Path: 'no-slashes', AssumeRolePolicyDocument: TRUST })),
    );
    const longPolicy = await failure(
      iam.send(new CreatePolicyCommand({ PolicyName: 'p'.repeat(129), PolicyDocument: policyDoc('*') })),
    );

    for (const error of [tooLong, badChars, badPath, longPolicy]) {
      expect(error.name).toBe('ValidationError');
      expect(error.$metadata.httpStatusCode).toBe(400);
    }
    await iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(64), AssumeRolePolicyDocument: TRUST }));
    await iam.send(new CreatePolicyCommand({ PolicyName: 'p'.repeat(128), PolicyDocument: policyDoc('*') }));
  });

  it('counts managed policy size without white space (6,144) and trust policy size (2,048)', async () => {
    const withResource = (length: number): string => {
      const base = policyDoc('');
      const resource = `arn:aws:s3:::${'x'.repeat(length - base.length - 'arn:aws:s3:::'.length)}`;
      return policyDoc(resource);
    };
    const exact = withResource(6144);
    expect(exact.length).toBe(6144);
    const padded = exact.replace(/,/g, ',\n      ');

    await iam.send(new CreatePolicyCommand({ PolicyName: 'exactly-6144', PolicyDocument: padded }));
    const over = await failure(
      iam.send(new CreatePolicyCommand({ PolicyName: 'over-6144', PolicyDocument: withResource(6145) })),
    );

    expect(over).toBeInstanceOf(LimitExceededException);
    expect(over.message).toBe('Cannot exceed quota for PolicySize: 6144');
    const bigTrust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'x'.repeat(2000) }, Action: 'sts:AssumeRole' }],
    });
    const trustError = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'big-trust', AssumeRolePolicyDocument: bigTrust })),
    );
    expect(trustError).toBeInstanceOf(LimitExceededException);
    expect(trustError.message).toBe('Cannot exceed quota for ACLSizePerRole: 2048');
  });

  it('encodes tag lists as Tags.member.N and pages them; at most 50 tags', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: TRUST }));
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${String(i).padStart(2, '0')}`, Value: `v ${i}` }));
    await iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: tags }));
    const tagCall = emulator.calls.at(-1);
    expect(tagCall?.params['Tags.member.50.Key']).toBe('k49');
    expect(tagCall?.params['Tags.member.50.Value']).toBe('v 49');

    const first = await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged', MaxItems: 30 }));
    const second = await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged', MaxItems: 30, Marker: first.Marker }));
    expect(first.IsTruncated).toBe(true);
    expect(second.IsTruncated).toBe(false);
    expect([...(first.Tags ?? []), ...(second.Tags ?? [])]).toEqual(tags);

    const tooMany = await failure(
      iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: [{ Key: 'one-more', Value: 'x' }] })),
    );
    expect(tooMany).toBeInstanceOf(LimitExceededException);
    await iam.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['k00'] }));
    await iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: [{ Key: 'one-more', Value: 'x' }] }));
  });

  it('GetRole returns the permissions boundary and tags; ListRoles returns neither', async () => {
    const boundary = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'boundary', PolicyDocument: policyDoc('*') }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'bounded',
        Path: '/bounded/',
        AssumeRolePolicyDocument: TRUST,
        PermissionsBoundary: boundary.Policy?.Arn,
        Tags: [{ Key: 'managed-by', Value: 'grantplane' }],
      }),
    );

    const got = await iam.send(new GetRoleCommand({ RoleName: 'bounded' }));
    const listed = await iam.send(new ListRolesCommand({ PathPrefix: '/bounded/' }));

    expect(got.Role?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'Policy',
      PermissionsBoundaryArn: boundary.Policy?.Arn,
    });
    expect(got.Role?.Tags).toEqual([{ Key: 'managed-by', Value: 'grantplane' }]);
    expect(listed.Roles?.[0]?.RoleName).toBe('bounded');
    expect(listed.Roles?.[0]?.PermissionsBoundary).toBeUndefined();
    expect(listed.Roles?.[0]?.Tags).toBeUndefined();
    const usage = await iam.send(new GetPolicyCommand({ PolicyArn: boundary.Policy?.Arn }));
    expect(usage.Policy?.PermissionsBoundaryUsageCount).toBe(1);
  });

  it('accepts an AWS-managed policy as permissions boundary, and no unknown local one', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'aws-bounded',
        AssumeRolePolicyDocument: TRUST,
        PermissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
      }),
    );
    const missing = await failure(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'unbounded',
          AssumeRolePolicyDocument: TRUST,
          PermissionsBoundary: `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/nope`,
        }),
      ),
    );

    const got = await iam.send(new GetRoleCommand({ RoleName: 'aws-bounded' }));
    expect(got.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe('arn:aws:iam::aws:policy/PowerUserAccess');
    expect(missing).toBeInstanceOf(NoSuchEntityException);
    expect(missing.message).toBe(
      `Scope ARN: arn:aws:iam::${TEST_ACCOUNT_ID}:policy/nope does not exist or is not attachable.`,
    );
  });

  it('lists local policies by path (Scope=Local) and holds no AWS-managed ones', async () => {
    await iam.send(
      new CreatePolicyCommand({ PolicyName: 'scoped-a', Path: '/scoped/', PolicyDocument: policyDoc('a') }),
    );
    await iam.send(
      new CreatePolicyCommand({ PolicyName: 'scoped-b', Path: '/scoped/deeper/', PolicyDocument: policyDoc('b') }),
    );

    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/scoped/' }));
    const aws = await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }));

    expect(local.Policies?.map((p) => [p.PolicyName, p.Path, p.DefaultVersionId])).toEqual([
      ['scoped-a', '/scoped/', 'v1'],
      ['scoped-b', '/scoped/deeper/', 'v1'],
    ]);
    expect(aws.Policies).toEqual([]);
  });
});

describe('IAM emulator: accounts, seeding, OIDC providers', () => {
  let emulator: IamEmulator;
  beforeAll(async () => {
    emulator = await startIamEmulator({
      accountId: TEST_ACCOUNT_ID,
      accessKeyAccounts: { AKIDSTAGING: '210987654321' },
    });
  });
  afterAll(async () => {
    await emulator.stop();
  });

  it('chooses the account from the access key id: mapped, 12-digit, or the default', async () => {
    emulator.resetCalls(); // only this test's calls, whichever tests of the block ran before
    const staging = iamClientFor(emulator, { accessKeyId: 'AKIDSTAGING' });
    const numeric = iamClientFor(emulator, { accessKeyId: '333344445555' });
    const other = iamClientFor(emulator, { accessKeyId: 'ANYTHING' });

    const a = await staging.send(new CreatePolicyCommand({ PolicyName: 'same-name', PolicyDocument: policyDoc('*') }));
    const b = await numeric.send(new CreatePolicyCommand({ PolicyName: 'same-name', PolicyDocument: policyDoc('*') }));
    const c = await other.send(new CreatePolicyCommand({ PolicyName: 'same-name', PolicyDocument: policyDoc('*') }));

    expect([a.Policy?.Arn, b.Policy?.Arn, c.Policy?.Arn]).toEqual([
      'arn:aws:iam::210987654321:policy/same-name',
      'arn:aws:iam::333344445555:policy/same-name',
      `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/same-name`,
    ]);
    expect(emulator.calls.map((call) => call.accountId)).toEqual(['210987654321', '333344445555', TEST_ACCOUNT_ID]);
    for (const client of [staging, numeric, other]) client.destroy();
  });

  it('seeds what a Union data plane already has: both roles, userflyterole attached to both, the OIDC provider (docs/api.md)', async () => {
    const iam = iamClientFor(emulator, { accessKeyId: '444455556666' });
    const seeded = emulator.seedDataPlane({ accountId: '444455556666', orgPrefix: 'acme', oidcProvider: OIDC });
    const again = emulator.seedDataPlane({ accountId: '444455556666', orgPrefix: 'acme', oidcProvider: OIDC });

    const user = await iam.send(new GetRoleCommand({ RoleName: 'acme-userflyterole' }));
    const policy = await iam.send(
      new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::444455556666:policy/userflyterole' }),
    );
    const details = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ['Role', 'LocalManagedPolicy'] }),
    );
    const providers = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    const provider = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: seeded.oidcProviderArn }),
    );

    expect(again).toEqual(seeded);
    expect(seeded.userFlyteRoleArn).toBe('arn:aws:iam::444455556666:role/acme-userflyterole');
    expect(seeded.adminFlyteRoleArn).toBe('arn:aws:iam::444455556666:role/acme-adminflyterole');
    const trust: unknown = JSON.parse(decodeURIComponent(user.Role?.AssumeRolePolicyDocument ?? ''));
    expect(trust).toMatchObject({
      Statement: [
        {
          Principal: { Federated: `arn:aws:iam::444455556666:oidc-provider/${OIDC}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
        },
      ],
    });
    expect(policy.Policy?.AttachmentCount).toBe(2);
    expect(
      details.RoleDetailList?.map((r) => [r.RoleName, r.AttachedManagedPolicies?.map((p) => p.PolicyName)]),
    ).toEqual([
      ['acme-adminflyterole', ['userflyterole']],
      ['acme-userflyterole', ['userflyterole']],
    ]);
    expect(providers.OpenIDConnectProviderList).toEqual([{ Arn: `arn:aws:iam::444455556666:oidc-provider/${OIDC}` }]);
    expect(provider.Url).toBe(OIDC);
    expect(provider.ClientIDList).toEqual(['sts.amazonaws.com']);
    iam.destroy();
  });

  it('seeds custom role and policy names and creates a local permissions boundary', async () => {
    const seeded = emulator.seedDataPlane({
      accountId: '777788889999',
      orgPrefix: 'beta',
      oidcProvider: OIDC,
      userFlyteRoleName: 'beta-users',
      adminFlyteRoleName: 'beta-admins',
      userFlyteRolePolicyName: 'custom-userflyterole',
      permissionsBoundaryArn: 'arn:aws:iam::777788889999:policy/boundaries/grantplane-boundary',
    });

    const account = emulator.account('777788889999');
    expect(seeded.userFlyteRoleArn).toBe('arn:aws:iam::777788889999:role/beta-users');
    expect(account.getRole('beta-admins').attached).toEqual(['arn:aws:iam::777788889999:policy/custom-userflyterole']);
    expect(account.getPolicy('arn:aws:iam::777788889999:policy/boundaries/grantplane-boundary').path).toBe(
      '/boundaries/',
    );
  });

  it('creates and describes an OIDC provider through the SDK', async () => {
    const iam = iamClientFor(emulator, { accessKeyId: '121212121212' });
    const created = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC',
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      }),
    );
    const duplicate = await failure(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' })),
    );

    expect(created.OpenIDConnectProviderArn).toBe(
      'arn:aws:iam::121212121212:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC',
    );
    expect(duplicate).toBeInstanceOf(EntityAlreadyExistsException);
    const described = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: created.OpenIDConnectProviderArn }),
    );
    expect(described.ThumbprintList).toEqual(['9e99a48a9960b14926bb7f3b02e22da2b0ab7280']);
    iam.destroy();
  });
});

describe('IAM emulator: configurable quotas', () => {
  it('enforces a raised attached-policy quota (an account where AWS raised PoliciesPerRole to 20)', async () => {
    const emulator = await startIamEmulator({ quotas: { attachedPoliciesPerRole: 20 } });
    const iam = iamClientFor(emulator, { maxAttempts: 1 });
    try {
      await iam.send(new CreateRoleCommand({ RoleName: 'many', AssumeRolePolicyDocument: TRUST }));
      for (let i = 1; i <= 21; i += 1) {
        await iam.send(
          new CreatePolicyCommand({ PolicyName: `many-${i}`, PolicyDocument: policyDoc(`arn:aws:s3:::b${i}`) }),
        );
      }
      for (let i = 1; i <= 20; i += 1) {
        await iam.send(
          new AttachRolePolicyCommand({ RoleName: 'many', PolicyArn: `arn:aws:iam::123456789012:policy/many-${i}` }),
        );
      }

      const error = await failure(
        iam.send(
          new AttachRolePolicyCommand({ RoleName: 'many', PolicyArn: 'arn:aws:iam::123456789012:policy/many-21' }),
        ),
      );

      expect(error).toBeInstanceOf(LimitExceededException);
      expect(error.message).toBe('Cannot exceed quota for PoliciesPerRole: 20');
    } finally {
      iam.destroy();
      await emulator.stop();
    }
  });
});

describe('IAM emulator: faults and the call log', () => {
  it('throttles the same calls for the same seed, answering Throttling with HTTP 400', async () => {
    const pattern = async (seed: number): Promise<(string | undefined)[]> => {
      const emulator = await startIamEmulator({ throttleRate: 0.3, seed });
      try {
        for (let i = 0; i < 20; i += 1) await post(emulator.endpoint, { Action: 'ListRoles' });
        return emulator.calls.map((c) => c.fault);
      } finally {
        await emulator.stop();
      }
    };

    const first = await pattern(7);
    const second = await pattern(7);
    const other = await pattern(8);

    expect(first).toEqual(second);
    expect(first).not.toEqual(other);
    expect(first.filter((f) => f === 'throttled').length).toBeGreaterThan(0);
    const emulator = await startIamEmulator({ throttleRate: 1 });
    const throttled = await post(emulator.endpoint, { Action: 'ListRoles' });
    await emulator.stop();
    expect(throttled.status).toBe(400);
    expect(throttled.body).toContain('<Code>Throttling</Code>');
  });

  it('failOnCall fails exactly the Nth call with ServiceFailure 500 and applies nothing', async () => {
    const emulator = await startIamEmulator({ failOnCall: [2, 4] });
    const iam = iamClientFor(emulator, { maxAttempts: 1 });
    try {
      const outcomes: string[] = [];
      for (let i = 1; i <= 4; i += 1) {
        try {
          await iam.send(new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: policyDoc('*') }));
          outcomes.push('ok');
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(ServiceFailureException);
          if (error instanceof ServiceFailureException) expect(error.$metadata.httpStatusCode).toBe(500);
          outcomes.push('failed');
        }
      }
      expect(outcomes).toEqual(['ok', 'failed', 'ok', 'failed']);
      expect(
        emulator
          .account('123456789012')
          .listPolicies()
          .map((p) => p.name),
      ).toEqual(['p1', 'p3']);
    } finally {
      iam.destroy();
      await emulator.stop();
    }
  });

  it('logs every call with its action, parameters, account, read flag and error; resetCalls clears it', async () => {
    const emulator = await startIamEmulator();
    const iam = iamClientFor(emulator, { maxAttempts: 1 });
    try {
      await iam.send(new CreateRoleCommand({ RoleName: 'logged', AssumeRolePolicyDocument: TRUST }));
      await failure(iam.send(new GetRoleCommand({ RoleName: 'missing' })));

      expect(emulator.calls).toEqual([
        {
          action: 'CreateRole',
          params: { RoleName: 'logged', AssumeRolePolicyDocument: TRUST },
          accountId: '123456789012',
          read: false,
        },
        {
          action: 'GetRole',
          params: { RoleName: 'missing' },
          accountId: '123456789012',
          read: true,
          error: 'NoSuchEntity',
        },
      ]);
      emulator.resetCalls();
      expect(emulator.calls).toEqual([]);
    } finally {
      iam.destroy();
      await emulator.stop();
    }
  });
});
