// Regressions found by the contract audit (docs/configuration.md–docs/rules.md, docs/cli.md exercised from outside): each test is
// named after the section whose rule the engine broke.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { checkPolicyStatements } from '../../lib/domain/rules/guardrails.js';
import { globsIntersect } from '../../lib/domain/rules/statements.js';
import { NOW, config, pair, prodPlane, s3 } from './engine-fixtures.js';

describe('docs/rules.md R1 / docs/rules.md C2: one namespace <project>-<domain>, one role', () => {
  // Domains with a "-" let two pairs spell the same namespace: a-b/c and a/b-c are both "a-b-c",
  // and would both compile to role acme-a-b-c and policy grantplane-a-b-c-1 with different documents.
  const cfg = config(prodPlane({ domains: ['c', 'b-c'] }));
  const requests = [
    { scope: pair('a', 'b-c'), resource: s3('acme-two', 'read-write') },
    { scope: pair('a-b', 'c'), resource: s3('acme-one') },
    { scope: pair('a', 'b-c'), resource: s3('acme-three') },
  ];

  it('keeps the pair first in canonical order and refuses the later one on scope.project', () => {
    const result = planGrants({ config: cfg, requests, now: NOW });

    // "a\u0001b-c" sorts before "a-b\u0001c": pair a/b-c keeps the namespace.
    expect(result.accepted.map((grant) => grant.index)).toEqual([0, 2]);
    expect(result.rejected).toEqual([
      {
        index: 1,
        errors: [expect.objectContaining({ path: 'scope.project', code: 'scope.namespace-collision' })],
      },
    ]);
    expect(result.rejected[0]?.errors[0]?.message).toContain('"a-b-c"');
    const roles = result.targets.map((target) => target.role.name);
    expect(roles).toEqual(['acme-a-b-c']);
    expect(result.targets[0]?.scope).toEqual({ type: 'project-domain', project: 'a', domain: 'b-c' });
  });

  it('decides the same whatever the order of the requests', () => {
    const forward = planGrants({ config: cfg, requests, now: NOW });
    const backward = planGrants({ config: cfg, requests: [...requests].reverse(), now: NOW });

    expect(JSON.stringify(backward.targets)).toBe(JSON.stringify(forward.targets));
    expect(backward.rejected.map((grant) => grant.index)).toEqual([1]);
  });

  it('leaves pairs whose namespaces differ alone', () => {
    const result = planGrants({
      config: cfg,
      requests: [
        { scope: pair('a', 'c'), resource: s3('acme-one') },
        { scope: pair('a', 'b-c'), resource: s3('acme-two') },
      ],
      now: NOW,
    });
    expect(result.rejected).toEqual([]);
    expect(result.targets.map((target) => target.role.name)).toEqual(['acme-a-b-c', 'acme-a-c']);
  });
});

describe('docs/rules.md C2: every pair with accepted grants gets its role, even when the global policies already allow them', () => {
  // Before: a pair fully covered by the plane's global policies got no target and kept
  // <UserFlyteRole>; revoking the global grant later created a role and a uctl update out of the blue.
  const cfg = config();
  const global = { scope: { type: 'global' }, resource: s3('acme-data', 'read-write') };
  const covered = { scope: pair('flytesnacks', 'development'), resource: s3('acme-data') };

  it('emits the role with trust, userflyterole and the global policies, and its uctl file', () => {
    const result = planGrants({ config: cfg, requests: [global, covered], now: NOW });
    expect(result.rejected).toEqual([]);
    const role = result.targets.find((target) => target.scope.type === 'project-domain');
    expect(role?.role.name).toBe('acme-flytesnacks-development');
    expect(role?.role.trustPolicy).not.toBeNull();
    expect(role?.policies).toEqual([]);
    const globalArns =
      result.targets.find((target) => target.scope.type === 'global')?.policies.map((policy) => policy.arn) ?? [];
    expect(globalArns.length).toBeGreaterThan(0);
    expect(role?.attachedPolicyArns).toEqual([expect.stringMatching(/:policy\/userflyterole$/), ...globalArns]);
    expect(role?.uctl?.command).toBe(
      'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
    );
  });

  it('keeps the same role and uctl file when the global grant is revoked', () => {
    const before = planGrants({ config: cfg, requests: [global, covered], now: NOW }).targets.find(
      (target) => target.scope.type === 'project-domain',
    );
    const after = planGrants({ config: cfg, requests: [covered], now: NOW }).targets.find(
      (target) => target.scope.type === 'project-domain',
    );
    expect(after?.role).toEqual(before?.role);
    expect(after?.uctl).toEqual(before?.uctl);
    expect(after?.policies.length).toBeGreaterThan(0);
  });
});

describe('docs/configuration.md: a configuration error names the key and says what to fix', () => {
  const parse = (accountId: unknown): ConfigError => {
    try {
      parseConfig({ dataPlanes: [prodPlane({ accountId })] });
    } catch (error: unknown) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('the configuration was accepted');
  };

  it('says to quote an accountId that YAML read as a number', () => {
    const error = parse(123456789012);
    expect(error.key).toBe('dataPlanes[0].accountId');
    expect(error.message).toContain('in quotes');
  });

  it('still says a missing accountId is required', () => {
    expect(parse(undefined).message).toBe('dataPlanes[0].accountId: is required (string)');
  });

  it('says plainly what a key must be, instead of zod\'s "Invalid input"', () => {
    const message = (raw: unknown): string => {
      try {
        parseConfig(raw);
      } catch (error: unknown) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(message({ dataPlanes: [prodPlane({ maxPoliciesPerRole: 'ten' })] })).toBe(
      'dataPlanes[0].maxPoliciesPerRole: must be a number, not a string',
    );
    expect(message({ dataPlanes: [prodPlane({ cloud: 'oracle' })] })).toBe(
      'dataPlanes[0].cloud: must be one of aws, gcp, azure',
    );
    expect(message({ dataPlanes: [prodPlane({ driftMode: 'fix' })] })).toBe(
      'dataPlanes[0].driftMode: must be one of "detect", "enforce"',
    );
    expect(message([])).toBe('(config): must be a mapping, not an array');
  });
});

describe('docs/rules.md R7: the message names what an action means, without repeating it', () => {
  const message = (action: string): string | undefined =>
    checkPolicyStatements(
      [{ Effect: 'Allow', Action: action, Resource: 'arn:aws:s3:::acme-data' }],
      'resource.statements',
    )[0]?.message;

  it('quotes an exact action once', () => {
    expect(message('iam:PassRole')).toMatch(/^"iam:PassRole": changes to identities/);
    expect(message('s3:PutBucketPolicy')).toMatch(/^"s3:PutBucketPolicy": access level Permissions management/);
  });

  it('gives the canonical name of an action written in another case, and what a wildcard can mean', () => {
    expect(message('IAM:passrole')).toMatch(/^"IAM:passrole" \(iam:PassRole\): /);
    expect(message('iam:Put*')).toMatch(/^"iam:Put\*" can mean iam:Put/);
  });
});

describe('docs/rules.md: a request.invalid message names the field and says what to give', () => {
  const errors = (request: unknown) =>
    planGrants({ config: config(), requests: [request], now: NOW }).rejected[0]?.errors ?? [];

  it('says a missing field is required and what it looks like', () => {
    expect(errors({ resource: s3('acme-data') })).toEqual([
      {
        path: 'scope',
        code: 'request.invalid',
        message:
          'scope is required: give {"type":"global"} or {"type":"project-domain","project":"...","domain":"..."}.',
      },
    ]);
    expect(
      errors({ scope: pair('flytesnacks', 'development'), resource: s3('acme-data'), ticket: { system: 'jira' } }),
    ).toEqual([{ path: 'ticket.key', code: 'request.invalid', message: 'ticket.key is required: give a string.' }]);
  });

  it('lists the allowed values of a type or an access level', () => {
    expect(errors({ scope: { type: 'global' }, resource: { type: 'dynamodb' } })[0]?.message).toBe(
      'resource.type must be one of "s3", "secretsmanager", "ecr", "iam-statements", "gcs", "artifact-registry", "gcp-secret", "azure-blob", "acr", "azure-key-vault".',
    );
    expect(
      errors({ scope: { type: 'global' }, resource: { type: 's3', bucket: 'acme-data', access: 'write' } })[0]?.message,
    ).toBe('resource.access must be one of "read", "read-write".');
  });

  it('says what a wrong type should be, and that a list must not be empty', () => {
    expect(errors({ scope: { type: 'global' }, resource: { type: 's3', bucket: 3, access: 'read' } })[0]?.message).toBe(
      'resource.bucket must be a string, not a number.',
    );
    expect(
      errors({ scope: { type: 'global' }, resource: { type: 'iam-statements', statements: [] } })[0]?.message,
    ).toBe('resource.statements must list at least one entry.');
  });
});

describe('docs/rules.md R7: a statement IAM would refuse is rejected at validation, not at apply', () => {
  const withCondition = (condition: unknown) =>
    checkPolicyStatements(
      [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-data/*', Condition: condition }],
      'resource.statements',
    );

  it('refuses a condition operator IAM does not have', () => {
    expect(withCondition({ Nope: { 'aws:SecureTransport': 'true' } })).toEqual([
      expect.objectContaining({ path: 'resource.statements[0].Condition.Nope', code: 'guardrail.malformed-statement' }),
    ]);
    expect(withCondition({ NullIfExists: { 'aws:TokenIssueTime': 'true' } })).toHaveLength(1);
    expect(withCondition({ 'ForSomeValues:StringLike': { 'aws:TagKeys': ['a*'] } })).toHaveLength(1);
  });

  it('accepts IAM operators with their set prefixes and IfExists', () => {
    for (const operator of [
      'StringEquals',
      'Bool',
      'Null',
      'ArnLike',
      'StringLikeIfExists',
      'ForAnyValue:StringLike',
      'ForAllValues:StringEqualsIgnoreCase',
      'NumericLessThanEqualsIfExists',
      'IpAddress',
      'DateGreaterThan',
    ]) {
      expect(withCondition({ [operator]: { 'aws:RequestTag/team': 'a' } }), operator).toEqual([]);
    }
  });
});

describe('docs/rules.md R4 through the escape hatch: iam-statements cannot name an internal bucket', () => {
  const statements = (...resources: string[]) => ({
    scope: { type: 'global' },
    resource: {
      type: 'iam-statements',
      statements: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: resources }],
    },
  });
  const plan = (...requests: unknown[]) => planGrants({ config: config(), requests, now: NOW });

  it('refuses a Resource in a bucket matching internalBucketPatterns, literal or a pattern that can match one', () => {
    const result = plan(
      statements('arn:aws:s3:::acme-data/*', 'arn:aws:s3:::opta-acme-metadata/*'),
      statements('arn:aws:s3:::union-*'),
      statements('arn:aws:s3:::op*/x'),
    );
    expect(result.accepted).toEqual([]);
    expect(result.rejected.map((grant) => grant.errors.map((error) => `${error.path} ${error.code}`))).toEqual([
      ['resource.statements[0].Resource[1] s3.internal-bucket'],
      ['resource.statements[0].Resource[0] s3.internal-bucket'],
      ['resource.statements[0].Resource[0] s3.internal-bucket'],
    ]);
  });

  it('accepts own buckets and bucket patterns that cannot reach an internal one', () => {
    const result = plan(statements('arn:aws:s3:::acme-data/*', 'arn:aws:s3:::acme-*'), {
      scope: { type: 'global' },
      resource: {
        type: 'iam-statements',
        statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-ml-*/*' }],
      },
    });
    expect(result.rejected).toEqual([]);
  });

  // R4 sharpened: decided by glob intersection, reads included, not by the first character.
  it.each([
    ['s3:PutObject', 'arn:aws:s3:::?pta-*/*'],
    ['s3:PutObject', 'arn:aws:s3:::*pta-*/*'],
    ['s3:PutObject', 'arn:aws:s3:::?nion-*/*'],
    ['s3:PutObject', 'arn:aws:s3:::*nion-*'],
    ['s3:GetObject', '*'],
    ['s3:GetObject', 'arn:aws:s3:::*/*'],
    ['s3:GetObject', 'arn:aws:s3:::*-data/*'],
    ['s3:GetObject', 'arn:aws:s3:::${aws:username}/*'],
    ['s3:ListBucket', 'arn:*:s3:::union-meta'],
  ])('refuses %s on %s: some bucket matches both it and an internal pattern', (action, resource) => {
    const result = plan({
      scope: { type: 'global' },
      resource: { type: 'iam-statements', statements: [{ Effect: 'Allow', Action: action, Resource: resource }] },
    });
    expect(result.rejected.flatMap((grant) => grant.errors.map((error) => error.code))).toContain('s3.internal-bucket');
  });

  it('leaves resources of other services alone, also "*" for actions that are not S3\'s', () => {
    const result = plan({
      scope: { type: 'global' },
      resource: {
        type: 'iam-statements',
        statements: [{ Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' }],
      },
    });
    expect(result.rejected).toEqual([]);
  });

  it('intersects globs as IAM and internalBucketPatterns read them', () => {
    expect(globsIntersect('union-*', 'un*')).toBe(true);
    expect(globsIntersect('opta-*', 'op?a-x')).toBe(true);
    expect(globsIntersect('opta-*', 'acme-*')).toBe(false);
    expect(globsIntersect('union-?', 'union-ab')).toBe(false);
  });
});

describe('R5 sharpened: secrets through the escape hatch and secret patterns name a literal prefix', () => {
  const SECRET = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:';
  const custom = (resource: string, action = 'secretsmanager:GetSecretValue') => ({
    scope: { type: 'global' },
    resource: { type: 'iam-statements', statements: [{ Effect: 'Allow', Action: action, Resource: resource }] },
  });
  const codesOf = (request: unknown): string[] =>
    planGrants({ config: config(), requests: [request], now: NOW }).rejected.flatMap((grant) =>
      grant.errors.map((error) => error.code),
    );

  it.each([
    ['*', 'secret.too-broad'],
    [`${SECRET}*`, 'secret.too-broad'],
    ['arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/*', 'secret.wrong-region'],
    ['arn:aws:secretsmanager:*:123456789012:secret:team-a/*', 'secret.wrong-region'],
    ['arn:aws:secretsmanager:us-west-2:210987654321:secret:db-AbC123', 'secret.wrong-account'],
    ['arn:aws:secretsmanager:us-west-2:*:secret:team-a/*', 'secret.wrong-account'],
    ['arn:aws:secrets*:us-west-2:123456789012:secret:team-a/*', 'secret.too-broad'],
  ])('refuses GetSecretValue on %s (%s)', (resource, code) => {
    expect(codesOf(custom(resource))).toContain(code);
  });

  it('refuses secretsmanager:* and s?:* style actions on a secret of another account too', () => {
    expect(
      codesOf(custom('arn:aws:secretsmanager:us-west-2:210987654321:secret:x-*', 'secretsmanager:Get*')),
    ).toContain('secret.wrong-account');
  });

  it.each([`${SECRET}team-a/*`, `${SECRET}db-password-AbC123`])('accepts GetSecretValue on %s', (resource) => {
    expect(codesOf(custom(resource))).toEqual([]);
  });

  it.each(['*', '?*', '**'])('refuses the secretArn pattern …:secret:%s (every secret of the account)', (name) => {
    expect(
      codesOf({ scope: { type: 'global' }, resource: { type: 'secretsmanager', secretArn: `${SECRET}${name}` } }),
    ).toEqual(['secret.too-broad']);
  });

  it('accepts the secretArn pattern …:secret:team-a/*', () => {
    expect(
      codesOf({ scope: { type: 'global' }, resource: { type: 'secretsmanager', secretArn: `${SECRET}team-a/*` } }),
    ).toEqual([]);
  });
});
