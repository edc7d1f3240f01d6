import { describe, expect, it } from 'vitest';
import { RULE_CODES } from '../../lib/domain/rules/codes.js';
import { validateGrantRequest } from '../../lib/domain/rules/validate.js';
import { checkExpiry } from '../../lib/domain/rules/expiry.js';
import { bucketNameProblem, globMatches } from '../../lib/domain/rules/s3.js';
import { planGrants } from '../../lib/domain/engine.js';
import { EngineError } from '../../lib/domain/errors.js';
import { ACCOUNT, GLOBAL, NOW, OTHER_ACCOUNT, config, pair, prodPlane, s3 } from './engine-fixtures.js';

const cfg = config();

/** The violations of one request (empty when it passes R1–R8). */
function errorsOf(request: unknown, configuration = cfg) {
  const result = validateGrantRequest(configuration, request, NOW);
  return result.ok ? [] : result.errors;
}

const codes = (request: unknown, configuration = cfg) =>
  errorsOf(request, configuration).map((error) => `${error.path} ${error.code}`);

describe('request schema (docs/rules.md)', () => {
  it('rejects a non-object and names the missing fields', () => {
    expect(codes(null)).toEqual(['request request.invalid']);
    expect(codes({})).toEqual(['scope request.invalid', 'resource request.invalid']);
  });

  it('rejects unknown fields and types with the field path', () => {
    expect(
      codes({ scope: GLOBAL, resource: { type: 's3', bucket: 'acme-data', access: 'write' }, colour: 'red' }),
    ).toEqual(['resource.access request.invalid', 'colour request.invalid']);
    expect(codes({ scope: { type: 'namespace' }, resource: s3('acme-data') })).toEqual(['scope.type request.invalid']);
  });

  it('suggests the field a typo meant, at every level, and says only "remove it" for a stranger', () => {
    const messages = (request: unknown) => errorsOf(request).map((error) => `${error.path}: ${error.message}`);
    expect(messages({ scope: GLOBAL, resourse: s3('acme-data') })).toContain(
      'resourse: Unknown field "resourse": did you mean "resource"?',
    );
    expect(messages({ scope: GLOBAL, resource: s3('acme-data'), colour: 'red' })).toEqual([
      'colour: Unknown field "colour": remove it or check its spelling.',
    ]);
    expect(
      messages({ scope: { type: 'project-domain', projct: 'a', domain: 'development' }, resource: s3('acme-data') }),
    ).toContain('scope.projct: Unknown field "projct": did you mean "project"?');
    expect(
      messages({ scope: GLOBAL, resource: { type: 's3', bucket: 'acme-data', acess: 'read', access: 'read' } }),
    ).toEqual(['resource.acess: Unknown field "acess": did you mean "access"?']);
  });

  it('accepts the documented example request', () => {
    const example = {
      dataPlane: 'prod',
      scope: pair('flytesnacks', 'development'),
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read-write' },
      justification: 'training jobs read and write features',
      expiresAt: '2027-01-31T00:00:00Z',
      ticket: { system: 'jira', key: 'OPS-123' },
    };
    expect(errorsOf(example)).toEqual([]);
  });
});

describe('data plane resolution (docs/configuration.md)', () => {
  const two = config(prodPlane(), prodPlane({ name: 'dev', accountId: OTHER_ACCOUNT }));

  it('uses the only plane when the request names none', () => {
    expect(errorsOf({ scope: GLOBAL, resource: s3('acme-data') })).toEqual([]);
  });

  it('requires dataPlane when several planes are configured', () => {
    expect(codes({ scope: GLOBAL, resource: s3('acme-data') }, two)).toEqual(['dataPlane plane.required']);
  });

  it('rejects an unknown plane and lists the known ones', () => {
    const [error] = errorsOf({ dataPlane: 'staging', scope: GLOBAL, resource: s3('acme-data') }, two);
    expect(error?.code).toBe('plane.unknown');
    expect(error?.message).toContain('prod, dev');
  });
});

describe('R1 names', () => {
  it('rejects an uppercase project on scope.project', () => {
    expect(codes({ scope: pair('FlyteSnacks', 'development'), resource: s3('acme-data') })).toEqual([
      'scope.project scope.invalid-project',
    ]);
  });

  it('rejects a namespace longer than 63 characters on scope.project', () => {
    const project = 'p'.repeat(63 - 'development'.length); // 52 + 1 + 11 = 64
    const [error] = errorsOf({ scope: pair(project, 'development'), resource: s3('acme-data') });
    expect(error).toMatchObject({ path: 'scope.project', code: 'scope.namespace-too-long' });
    expect(errorsOf({ scope: pair(project.slice(1), 'development'), resource: s3('acme-data') })).toEqual([]);
  });

  it('rejects an unknown domain on scope.domain', () => {
    expect(codes({ scope: pair('flytesnacks', 'qa'), resource: s3('acme-data') })).toEqual([
      'scope.domain scope.unknown-domain',
    ]);
  });

  it('rejects a project the plane does not serve (project isolation)', () => {
    const isolated = config(prodPlane({ projects: ['flytesnacks'] }));
    expect(codes({ scope: pair('other', 'development'), resource: s3('acme-data') }, isolated)).toEqual([
      'scope.project scope.project-not-served',
    ]);
    expect(errorsOf({ scope: pair('flytesnacks', 'development'), resource: s3('acme-data') }, isolated)).toEqual([]);
  });
});

describe('R2 clouds', () => {
  const gcp = config({ name: 'g', cloud: 'gcp', region: 'us-central1', domains: ['development'], projects: '*' });
  const azure = config({ name: 'a', cloud: 'azure', region: 'eastus', domains: ['development'], projects: '*' });

  it('rejects gcp domain scoping: only the Union.ai team configures it', () => {
    const [error] = errorsOf({ scope: pair('flytesnacks', 'development'), resource: s3('acme-data') }, gcp);
    expect(error).toMatchObject({ path: 'scope', code: 'cloud.domain-scoping-union-only' });
    expect(error?.message).toContain('can only be configured by the Union.ai team');
  });

  it('rejects azure domain scoping the same way', () => {
    expect(codes({ scope: pair('flytesnacks', 'development'), resource: s3('acme-data') }, azure)).toEqual([
      'scope cloud.domain-scoping-union-only',
    ]);
  });

  it('refuses an AWS resource on a GCP plane, naming the types it takes', () => {
    expect(codes({ scope: GLOBAL, resource: s3('acme-data') }, gcp)).toEqual(['resource.type cloud.resource-type']);
  });

  it('"Enabling Google Cloud Storage" and "Enabling Google Artifact Registry": a bucket grant and a repository in another project both pass', () => {
    const configured = config({
      name: 'g',
      cloud: 'gcp',
      region: 'us-central1',
      domains: ['development'],
      projects: '*',
      projectId: 'acme-gcp-dataplane',
      userFlyteGsa: 'acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com',
      flyteWorkerGsa: 'acme-flyteworker-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com',
    });
    expect(
      codes({ scope: GLOBAL, resource: { type: 'gcs', bucket: 'acme-data', access: 'read' } }, configured),
    ).toEqual([]);
    expect(
      codes(
        {
          scope: GLOBAL,
          resource: {
            type: 'artifact-registry',
            repository: 'projects/acme-shared-images/locations/us-central1/repositories/base',
          },
        },
        configured,
      ),
    ).toEqual([]);
  });
});

describe('R4 S3', () => {
  it('rejects Union internal buckets ("These are not the S3 bucket we are talking about")', () => {
    expect(codes({ scope: GLOBAL, resource: s3('opta-acme-metadata') })).toEqual([
      'resource.bucket s3.internal-bucket',
    ]);
    expect(codes({ scope: GLOBAL, resource: s3('union-acme-fast-reg') })).toEqual([
      'resource.bucket s3.internal-bucket',
    ]);
  });

  it('honours configured internal bucket patterns', () => {
    const custom = config(prodPlane({ internalBucketPatterns: ['acme-union-??-*'] }));
    expect(codes({ scope: GLOBAL, resource: s3('acme-union-01-meta') }, custom)).toEqual([
      'resource.bucket s3.internal-bucket',
    ]);
    expect(codes({ scope: GLOBAL, resource: s3('union-is-fine-here') }, custom)).toEqual([]);
  });

  it.each([
    'ab',
    'Acme-Data',
    'acme_data',
    'acme..data',
    '192.168.1.1',
    'xn--acme',
    'acme-s3alias',
    '-acme',
    'arn:aws:s3:::acme-data',
    'a'.repeat(64),
  ])('rejects the invalid bucket name %s', (bucket) => {
    expect(bucketNameProblem(bucket)).not.toBeNull();
    expect(codes({ scope: GLOBAL, resource: s3(bucket) })).toEqual(['resource.bucket s3.invalid-bucket']);
  });

  it.each(['acme-ml-data', 'a.b.c', '123', 'a'.repeat(63)])('accepts the valid bucket name %s', (bucket) => {
    expect(bucketNameProblem(bucket)).toBeNull();
  });

  it('rejects wildcards and policy variables in a prefix', () => {
    expect(codes({ scope: GLOBAL, resource: s3('acme-data', 'read', 'team-*/') })).toEqual([
      'resource.prefix s3.invalid-prefix',
    ]);
    expect(codes({ scope: GLOBAL, resource: s3('acme-data', 'read', '${aws:username}/') })).toEqual([
      'resource.prefix s3.invalid-prefix',
    ]);
  });

  it('matches globs with * and ? only', () => {
    expect(globMatches('union-*', 'union-meta')).toBe(true);
    expect(globMatches('union-?', 'union-ab')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
  });
});

describe('R5 secrets', () => {
  const secret = (fields: Record<string, string>) => ({
    scope: GLOBAL,
    resource: { type: 'secretsmanager', ...fields },
  });
  const arn = (region: string, account: string, rest: string) =>
    `arn:aws:secretsmanager:${region}:${account}:secret:${rest}`;

  it('splits a full ARN into SECRET_GROUP and SECRET_KEY as seed 003 does', () => {
    const result = validateGrantRequest(
      cfg,
      secret({ secretArn: arn('us-west-2', ACCOUNT, 'db-password-AbC123') }),
      NOW,
    );
    expect(
      result.ok && {
        group: result.grant?.secretGroup,
        key: result.grant?.secretKey,
        statements: result.grant?.statements,
      },
    ).toEqual({
      group: `arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:`,
      key: 'db-password-AbC123',
      statements: [
        { actions: ['secretsmanager:GetSecretValue'], resources: [arn('us-west-2', ACCOUNT, 'db-password-AbC123')] },
      ],
    });
  });

  it('matches a secret name as <name>-?????? (not <name>-*, which matches other secrets)', () => {
    const result = validateGrantRequest(cfg, secret({ secretName: 'team-a/db' }), NOW);
    expect(result.ok && result.grant?.statements[0]?.resources).toEqual([
      arn('us-west-2', ACCOUNT, 'team-a/db-??????'),
    ]);
    expect(result.ok && result.grant?.secretKey).toBeUndefined();
  });

  it('accepts an ARN pattern ending in * without a split', () => {
    const result = validateGrantRequest(cfg, secret({ secretArn: arn('us-west-2', ACCOUNT, 'team-a/*') }), NOW);
    expect(result.ok && result.grant?.statements[0]?.resources).toEqual([arn('us-west-2', ACCOUNT, 'team-a/*')]);
    expect(result.ok && result.grant?.secretGroup).toBeUndefined();
  });

  it('rejects a secret in another region ("same region as your Union.ai data plane")', () => {
    const [error] = errorsOf(secret({ secretArn: arn('eu-west-1', ACCOUNT, 'db-AbC123') }));
    expect(error).toMatchObject({ path: 'resource.secretArn', code: 'secret.wrong-region' });
    expect(error?.message).toContain('same region');
  });

  it('rejects a secret in another account, a full ARN without suffix, another service', () => {
    expect(codes(secret({ secretArn: arn('us-west-2', OTHER_ACCOUNT, 'db-AbC123') }))).toEqual([
      'resource.secretArn secret.wrong-account',
    ]);
    expect(codes(secret({ secretArn: arn('us-west-2', ACCOUNT, 'db_password') }))).toEqual([
      'resource.secretArn secret.missing-suffix',
    ]);
    expect(codes(secret({ secretArn: `arn:aws:ssm:us-west-2:${ACCOUNT}:parameter/db` }))).toEqual([
      'resource.secretArn secret.wrong-service',
    ]);
    expect(codes(secret({ secretArn: 'db-password' }))).toEqual(['resource.secretArn secret.invalid-arn']);
  });

  it('wants exactly one of secretArn and secretName', () => {
    expect(codes(secret({}))).toEqual(['resource secret.one-of']);
    expect(codes(secret({ secretName: 'a', secretArn: arn('us-west-2', ACCOUNT, 'a-AbC123') }))).toEqual([
      'resource secret.one-of',
    ]);
    expect(codes(secret({ secretName: 'has space' }))).toEqual(['resource.secretName secret.invalid-name']);
  });
});

describe('R6 ECR', () => {
  const ecr = (account: string, scope: unknown = GLOBAL) => ({
    scope,
    resource: { type: 'ecr', repositoryArn: `arn:aws:ecr:us-west-2:${account}:repository/team/app` },
  });

  it('accepts the same account with a note and no IAM change', () => {
    const result = validateGrantRequest(cfg, ecr(ACCOUNT, pair('flytesnacks', 'development')), NOW);
    expect(
      result.ok && { notes: result.grant?.notes.map((note) => note.code), statements: result.grant?.statements },
    ).toEqual({ notes: ['ecr.same-account'], statements: [] });
  });

  it('requires global scope for another account (infrastructure access)', () => {
    expect(codes(ecr(OTHER_ACCOUNT, pair('flytesnacks', 'development')))).toEqual([
      'scope ecr.cross-account-requires-global',
    ]);
    expect(codes(ecr(OTHER_ACCOUNT))).toEqual([]);
  });

  it('rejects something that is not a repository ARN', () => {
    expect(
      codes({
        scope: GLOBAL,
        resource: { type: 'ecr', repositoryArn: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/app` },
      }),
    ).toEqual(['resource.repositoryArn ecr.invalid-arn']);
  });
});

describe('R7 guardrails on iam-statements', () => {
  it('passes the statements to the guardrails and reports their paths', () => {
    const request = {
      scope: GLOBAL,
      resource: {
        type: 'iam-statements',
        statements: [{ Effect: 'Allow', Action: 's3:PutBucketPolicy', Resource: 'arn:aws:s3:::acme-data' }],
      },
    };
    expect(codes(request)).toEqual(['resource.statements[0].Action guardrail.permissions-management']);
  });

  it('normalises accepted statements (sorted actions, "*" alone, string condition values)', () => {
    const request = {
      scope: GLOBAL,
      resource: {
        type: 'iam-statements',
        statements: [
          {
            Sid: 'A1',
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'cloudwatch:GetMetricData', 'dynamodb:GetItem'],
            Resource: ['arn:aws:dynamodb:us-west-2:123456789012:table/b', '*'],
            Condition: { Bool: { 'aws:SecureTransport': true } },
          },
        ],
      },
    };
    const result = validateGrantRequest(cfg, request, NOW);
    expect(result.ok && result.grant?.statements).toEqual([
      {
        actions: ['cloudwatch:GetMetricData', 'dynamodb:GetItem'],
        resources: ['*'],
        condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    ]);
  });
});

describe('R8 time', () => {
  it('rejects a past expiry', () => {
    expect(checkExpiry('2026-11-22T23:59:59Z', NOW, 90)).toMatchObject([{ path: 'expiresAt', code: 'expiry.in-past' }]);
    expect(checkExpiry(NOW.toISOString(), NOW, 90)).toMatchObject([{ code: 'expiry.in-past' }]);
  });

  it('rejects an expiry beyond maxGrantDays and accepts one within', () => {
    expect(checkExpiry('2027-02-22T00:00:01Z', NOW, 91)).toMatchObject([{ code: 'expiry.too-far' }]);
    expect(checkExpiry('2027-02-21T00:00:00Z', NOW, 90)).toEqual([]);
    expect(checkExpiry('2027-02-21T00:00:01Z', NOW, 90)).toMatchObject([{ code: 'expiry.too-far' }]);
  });

  it('rejects a date without time zone or garbage, and accepts no expiry', () => {
    expect(checkExpiry('2027-01-01', NOW, 90)).toMatchObject([{ code: 'expiry.invalid' }]);
    expect(checkExpiry('soon', NOW, 90)).toMatchObject([{ code: 'expiry.invalid' }]);
    expect(checkExpiry(undefined, NOW, 90)).toEqual([]);
  });

  it('applies through a request with the plane maximum', () => {
    const short = config(prodPlane({ maxGrantDays: 1 }));
    expect(codes({ scope: GLOBAL, resource: s3('acme-data'), expiresAt: '2026-11-25T00:00:00Z' }, short)).toEqual([
      'expiresAt expiry.too-far',
    ]);
  });
});

describe('R9 duplicates', () => {
  it('accepts both, notes the repeat, compiles once', () => {
    const grant = { scope: pair('flytesnacks', 'development'), resource: s3('acme-data', 'read-write', 'team-a/') };
    const once = planGrants({ config: cfg, requests: [grant], now: NOW });
    const twice = planGrants({ config: cfg, requests: [grant, { ...grant, justification: 'again' }], now: NOW });
    expect(twice.accepted).toEqual([{ index: 0 }, { index: 1 }]);
    expect(twice.notes.filter((note) => note.code !== 'uctl.attributes-unknown')).toEqual([
      { index: 1, code: 'duplicate.repeat', message: 'Same grant as request 0: accepted, and compiled once.' },
    ]);
    expect(JSON.stringify(twice.targets)).toBe(JSON.stringify(once.targets));
  });

  it('treats another access level as another grant', () => {
    const result = planGrants({
      config: cfg,
      requests: [
        { scope: GLOBAL, resource: s3('acme-data', 'read') },
        { scope: GLOBAL, resource: s3('acme-data', 'read-write') },
      ],
      now: NOW,
    });
    expect(result.notes).toEqual([]);
  });
});

describe('RULE_CODES', () => {
  it('lists every code once with a description, R7 codes included', () => {
    const all = RULE_CODES.map((info) => info.code);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(
      expect.arrayContaining([
        'scope.invalid-project',
        's3.internal-bucket',
        'guardrail.permissions-management',
        'quota.policies-per-role',
        'duplicate.repeat',
      ]),
    );
    for (const info of RULE_CODES) expect(info.description.length).toBeGreaterThan(10);
  });
});

describe('planGrants on hostile input', () => {
  it('aborts with EngineError instead of answering a plan when the engine itself fails (an engine failure is never an empty plan)', () => {
    const hostile = {
      get scope(): unknown {
        throw new Error('boom');
      },
      resource: s3('acme-data'),
    };
    expect(() =>
      planGrants({ config: cfg, requests: [hostile, { scope: GLOBAL, resource: s3('acme-data') }], now: NOW }),
    ).toThrow(EngineError);
  });

  it('treats a non-array requests value as no requests', () => {
    const result = planGrants({ config: cfg, requests: 'nope' as unknown as unknown[], now: NOW });
    expect(result).toEqual({ accepted: [], rejected: [], notes: [], targets: [], infrastructure: [] });
  });
});
