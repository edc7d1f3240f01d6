// docs/rules.md R7 guardrails: statements are judged by every AWS action they can mean.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { RuleViolation } from '../../lib/domain/model.js';
import { checkPolicyStatements, GUARDRAIL_CODES, listGuardrailCodes } from '../../lib/domain/rules/guardrails.js';
import { expandIamActionPattern, matchesWildcard } from '../../lib/domain/rules/iam-actions.js';

const BUCKET = 'arn:aws:s3:::acme-ml-data';
const allow = (Action: unknown, Resource: unknown = `${BUCKET}/*`, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const check = (...statements: unknown[]): RuleViolation[] => checkPolicyStatements(statements, 'resource.statements');
const codes = (violations: RuleViolation[]): string[] => violations.map((violation) => violation.code).sort();

describe('iam action catalogue (R7: expanded as IAM matches them)', () => {
  it('matches case-insensitively and returns the documented spelling', () => {
    expect(expandIamActionPattern('S3:getobject').map((a) => `${a.service}:${a.name}`)).toEqual(['s3:GetObject']);
  });

  it('expands * and ? in the service prefix and the action name', () => {
    const names = expandIamActionPattern('s?:get*').map((a) => `${a.service}:${a.name}`);
    expect(names).toContain('s3:GetObject');
    expect(names.every((name) => /^s.:get/i.test(name))).toBe(true);
    expect(expandIamActionPattern('s3:*Object').map((a) => a.name)).toEqual(
      expect.arrayContaining(['GetObject', 'PutObject', 'DeleteObject']),
    );
    expect(expandIamActionPattern('s3:Get?bject').map((a) => a.name)).toEqual(['GetObject']);
  });

  it('means every AWS action for *, and nothing for a malformed pattern', () => {
    expect(expandIamActionPattern('*').length).toBeGreaterThan(15_000);
    expect(expandIamActionPattern('s3GetObject')).toEqual([]);
    expect(expandIamActionPattern('s3:')).toEqual([]);
    expect(expandIamActionPattern('s3:Get.bject')).toEqual([]);
    expect(expandIamActionPattern('nosuchservice:Get*')).toEqual([]);
  });
});

describe('matchesWildcard (IAM * and ?)', () => {
  it('agrees with a regular-expression oracle on small alphabets', () => {
    const oracle = (pattern: string, text: string): boolean =>
      new RegExp(`^${pattern.replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(text);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '*', '?'), maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 10 }),
        (pattern, text) => {
          expect(matchesWildcard(pattern, text)).toBe(oracle(pattern, text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('stays fast on patterns that make backtracking regular expressions explode', () => {
    expect(expandIamActionPattern(`s3:${'*a'.repeat(40)}*b`)).toEqual([]);
  });
});

describe('checkPolicyStatements (R7)', () => {
  it('accepts ordinary data-access statements', () => {
    expect(
      check(
        allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], `${BUCKET}/team-a/*`),
        allow('s3:ListBucket', BUCKET, { Condition: { StringLike: { 's3:prefix': ['team-a/*'] } } }),
        allow('secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-west-2:123456789012:secret:team-a/db-AbCdEf'),
        allow(
          ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          'arn:aws:dynamodb:us-west-2:123456789012:table/features',
        ),
      ),
    ).toEqual([]);
  });

  it('matches actions case-insensitively (S3:getobject is s3:GetObject)', () => {
    expect(check(allow('S3:getobject'))).toEqual([]);
    expect(codes(check(allow('IAM:putrolepolicy')))).toContain('guardrail.privileged-service');
  });

  it('allows read wildcards, even on Resource *: iam:Get* and s3:Get* are all Read/List', () => {
    expect(check(allow('iam:Get*', '*'))).toEqual([]);
    expect(check(allow(['s3:Get*', 's3:List*'], '*'))).toEqual([]);
    expect(check(allow('sts:GetCallerIdentity', '*'))).toEqual([]);
  });

  it('rejects an unknown action or a pattern that matches nothing (guardrail.unknown-action)', () => {
    expect(codes(check(allow(' s3:GetObject')))).toEqual(['guardrail.unknown-action']);
    const violations = check(allow(['s3:GetObject', 's3:GetObjekt', 'nosuch:*', 'GetObject']));
    expect(violations).toEqual([
      expect.objectContaining({ path: 'resource.statements[0].Action[1]', code: 'guardrail.unknown-action' }),
      expect.objectContaining({ path: 'resource.statements[0].Action[2]', code: 'guardrail.unknown-action' }),
      expect.objectContaining({ path: 'resource.statements[0].Action[3]', code: 'guardrail.unknown-action' }),
    ]);
    expect(violations[0]?.message).toContain('s3:GetObjekt');
  });

  it('rejects iam:* and names the actions it can mean (guardrail.privileged-service)', () => {
    const [violation] = check(allow('iam:*', 'arn:aws:iam::123456789012:role/x'));
    expect(violation).toMatchObject({ path: 'resource.statements[0].Action', code: 'guardrail.privileged-service' });
    expect(violation?.message).toMatch(/iam:/);
    expect(violation?.message).toMatch(/platform team/);
  });

  it('calls sts:AssumeRole* and iam:PassRole what they are: escalation', () => {
    for (const action of ['sts:AssumeRole', 'sts:assumerole*', 'iam:PassRole']) {
      const violations = check(allow(action, 'arn:aws:iam::123456789012:role/other'));
      expect(codes(violations)).toEqual(['guardrail.privileged-service']);
      expect(violations[0]?.message).toMatch(/escalation/);
      expect(violations[0]?.message).toMatch(/(sts:AssumeRole|iam:PassRole)/);
    }
  });

  it('rejects non-read actions of every privileged service', () => {
    for (const action of [
      'organizations:CreateAccount',
      'account:PutAlternateContact',
      'sso:CreateAccountAssignment',
      'identitystore:CreateUser',
      'sts:TagSession',
    ]) {
      expect(codes(check(allow(action, 'arn:aws:iam::123456789012:role/x'))), action).toEqual([
        'guardrail.privileged-service',
      ]);
    }
    expect(
      check(
        allow(['organizations:DescribeOrganization', 'identitystore:ListUsers'], 'arn:aws:iam::123456789012:role/x'),
      ),
    ).toEqual([]);
  });

  it('rejects Permissions management in any service (guardrail.permissions-management)', () => {
    for (const action of ['s3:PutBucketPolicy', 'kms:CreateGrant', 'lambda:AddPermission']) {
      const violations = check(allow(action, 'arn:aws:s3:::acme-ml-data'));
      expect(codes(violations), action).toEqual(['guardrail.permissions-management']);
      expect(violations[0]?.message.toLowerCase()).toContain(action.toLowerCase());
    }
  });

  it('rejects writes on Resource * but not reads (guardrail.write-on-wildcard-resource)', () => {
    const violations = check(allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::a/*', '*']));
    expect(violations).toEqual([
      expect.objectContaining({
        path: 'resource.statements[0].Resource[1]',
        code: 'guardrail.write-on-wildcard-resource',
      }),
    ]);
    expect(violations[0]?.message).toContain('s3:PutObject');
    expect(violations[0]?.message).toMatch(/narrow the Resource/);
    expect(codes(check(allow('dynamodb:PutItem', 'arn:aws:*:*:*:*')))).toEqual([
      'guardrail.write-on-wildcard-resource',
    ]);
    expect(codes(check(allow('s3:TagResource', '*')))).toEqual(['guardrail.write-on-wildcard-resource']);
  });

  it('treats an ARN naming every resource of a service as Resource *, but not a narrowed pattern', () => {
    for (const resource of ['arn:aws:s3:::*', 'arn:aws:s3:::*/*', 'arn:aws:*:us-west-2:123456789012:*']) {
      expect(codes(check(allow('s3:PutObject', resource))), resource).toEqual(['guardrail.write-on-wildcard-resource']);
    }
    for (const resource of [
      'arn:aws:s3:::acme-*/*',
      `${BUCKET}/*`,
      'arn:aws:dynamodb:us-west-2:123456789012:table/feat*',
    ]) {
      expect(check(allow(['s3:PutObject', 'dynamodb:PutItem'], resource)), resource).toEqual([]);
    }
  });

  // R7 sharpened: a wildcard in partition, service, region or account, or a name that begins with
  // one, counts as "*" for writes.
  it.each([
    ['s3:PutObject', 'arn:aws:s3:::*-*/*'],
    ['dynamodb:DeleteTable', 'arn:aws:dynamodb:*:*:table/*'],
    ['lambda:InvokeFunction', 'arn:aws:lambda:*:*:function:*'],
    ['lambda:InvokeFunction', 'arn:aws:lambda:us-west-2:123456789012:function:*'],
    ['dynamodb:PutItem', 'arn:aws:dynamodb:us-west-2:*:table/orders'],
    ['dynamodb:PutItem', 'arn:*:dynamodb:us-west-2:123456789012:table/orders'],
    ['sns:Publish', 'arn:aws:sns:us-west-2:123456789012:*'],
    ['s3:PutObject', 'arn:aws:s3:::${aws:username}/*'],
  ])('counts %s on %s as a write on every resource', (action, resource) => {
    expect(codes(check(allow(action, resource)))).toEqual(['guardrail.write-on-wildcard-resource']);
  });

  it.each([
    ['s3:PutObject', 'arn:aws:s3:::acme-ml-*/*'],
    ['dynamodb:PutItem', 'arn:aws:dynamodb:us-west-2:123456789012:table/orders-*'],
    ['lambda:InvokeFunction', 'arn:aws:lambda:us-west-2:123456789012:function:train-*'],
    ['sns:Publish', 'arn:aws:sns:us-west-2:123456789012:alerts-*'],
  ])('accepts %s on %s: a named family of resources', (action, resource) => {
    expect(check(allow(action, resource))).toEqual([]);
  });

  it('rejects s3:Put* on * for both the writes and the policy actions it can mean', () => {
    expect(codes(check(allow('s3:Put*', '*')))).toEqual([
      'guardrail.permissions-management',
      'guardrail.write-on-wildcard-resource',
    ]);
  });

  it('rejects * (every action) on every count that applies', () => {
    expect(codes(check(allow('*', '*')))).toEqual([
      'guardrail.permissions-management',
      'guardrail.privileged-service',
      'guardrail.write-on-wildcard-resource',
    ]);
    expect(codes(check(allow('*', BUCKET)))).toEqual([
      'guardrail.permissions-management',
      'guardrail.privileged-service',
    ]);
  });

  it('accepts only Effect Allow (guardrail.effect-not-allow)', () => {
    expect(check({ ...allow('s3:GetObject'), Effect: 'Deny' })).toEqual([
      expect.objectContaining({ path: 'resource.statements[0].Effect', code: 'guardrail.effect-not-allow' }),
    ]);
    expect(codes(check({ ...allow('s3:GetObject'), Effect: 'allow' }))).toEqual(['guardrail.effect-not-allow']);
  });

  it('rejects NotAction, NotResource, Principal and NotPrincipal (guardrail.forbidden-element)', () => {
    const violations = check({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: BUCKET,
      NotAction: 'iam:*',
      NotResource: '*',
      Principal: '*',
      NotPrincipal: { AWS: 'x' },
    });
    expect(violations.map((v) => [v.path, v.code])).toEqual([
      ['resource.statements[0].NotAction', 'guardrail.forbidden-element'],
      ['resource.statements[0].NotResource', 'guardrail.forbidden-element'],
      ['resource.statements[0].Principal', 'guardrail.forbidden-element'],
      ['resource.statements[0].NotPrincipal', 'guardrail.forbidden-element'],
    ]);
  });

  it('rejects malformed statements with the path of the bad element (guardrail.malformed-statement)', () => {
    const cases: [unknown, string][] = [
      ['s3:GetObject', 'resource.statements[0]'],
      [null, 'resource.statements[0]'],
      [['Allow'], 'resource.statements[0]'],
      [{ Effect: 'Allow', Resource: BUCKET }, 'resource.statements[0].Action'],
      [{ Effect: 'Allow', Action: 's3:GetObject' }, 'resource.statements[0].Resource'],
      [allow([]), 'resource.statements[0].Action'],
      [allow(['s3:GetObject', 3]), 'resource.statements[0].Action[1]'],
      [allow('s3:GetObject', ''), 'resource.statements[0].Resource'],
      [allow('s3:GetObject', BUCKET, { Condition: 'yes' }), 'resource.statements[0].Condition'],
      [
        allow('s3:GetObject', BUCKET, { Condition: { StringLike: 'x' } }),
        'resource.statements[0].Condition.StringLike',
      ],
      [{ Action: 's3:GetObject', Resource: BUCKET }, 'resource.statements[0].Effect'],
      [allow('s3:GetObject', BUCKET, { Actions: 's3:PutObject' }), 'resource.statements[0].Actions'],
      [allow('s3:GetObject', BUCKET, { Sid: 'has spaces' }), 'resource.statements[0].Sid'],
      [allow('s3:GetObject', 'acme-ml-data'), 'resource.statements[0].Resource'],
      [allow('s3:GetObject', [BUCKET, ' * ']), 'resource.statements[0].Resource[1]'],
      [
        allow('s3:GetObject', BUCKET, { Condition: { StringLikeish$: { a: 'b' } } }),
        'resource.statements[0].Condition.StringLikeish$',
      ],
    ];
    for (const [statement, path] of cases) {
      expect(check(statement), JSON.stringify(statement)).toEqual([
        expect.objectContaining({ path, code: 'guardrail.malformed-statement' }),
      ]);
    }
  });

  it('prefixes paths with basePath and indexes each statement', () => {
    const violations = checkPolicyStatements(
      [allow('s3:GetObject'), allow('iam:CreateUser', '*')],
      'targets[2].policies[0].document.Statement',
    );
    expect(violations.map((v) => v.path)).toEqual(['targets[2].policies[0].document.Statement[1].Action']);
  });

  it('never throws on arbitrary input and always returns well-formed violations', () => {
    const action = fc.oneof(
      fc.constantFrom('*', 's3:*', 's?:get*', 'iam:Pass*', 'S3:getobject', 'kms:Create*', 'x:y', ':', '*:*'),
      fc.string(),
    );
    const statement = fc.oneof(
      fc.anything(),
      fc.record(
        {
          Effect: fc.oneof(fc.constant('Allow'), fc.anything()),
          Action: fc.oneof(action, fc.array(action), fc.anything()),
          Resource: fc.oneof(fc.constantFrom('*', BUCKET), fc.array(fc.string()), fc.anything()),
          Condition: fc.anything(),
          Principal: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 4 }), (statements) => {
        const violations = checkPolicyStatements(statements, 'p');
        for (const violation of violations) {
          expect(violation.path.startsWith('p[')).toBe(true);
          expect(Object.keys(GUARDRAIL_CODES)).toContain(violation.code);
          expect(violation.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
    expect(checkPolicyStatements('nope' as unknown as unknown[], 'p')).toEqual([
      expect.objectContaining({ path: 'p', code: 'guardrail.malformed-statement' }),
    ]);
  });

  it('lists every code it can return with a description', () => {
    expect(listGuardrailCodes().map((entry) => entry.code)).toEqual([
      'guardrail.malformed-statement',
      'guardrail.effect-not-allow',
      'guardrail.forbidden-element',
      'guardrail.unknown-action',
      'guardrail.privileged-service',
      'guardrail.permissions-management',
      'guardrail.write-on-wildcard-resource',
    ]);
  });
});
