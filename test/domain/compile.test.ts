import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { planGrants } from '../../lib/domain/engine.js';
import { mergeStatements } from '../../lib/domain/compile/merge.js';
import { pairPolicyName, pairRoleName, shortenName } from '../../lib/domain/compile/names.js';
import { iamSize, MAX_MANAGED_POLICY_CHARS, packStatements } from '../../lib/domain/compile/pack.js';
import { normStatement } from '../../lib/domain/compile/statements.js';
import { pairTrustPolicy } from '../../lib/domain/compile/trust.js';
import { uctlUpdate } from '../../lib/domain/compile/uctl.js';
import { documentHash } from '../../lib/domain/compile/hash.js';
import { HASH_TAG, MANAGED_BY_TAG } from '../../lib/domain/model.js';
import {
  ACCOUNT,
  GLOBAL,
  NOW,
  OIDC,
  awsPlane,
  config,
  pair,
  prodPlane,
  s3,
  USER_FLYTE_ROLE,
} from './engine-fixtures.js';

const cfg = config();
const plane = awsPlane(cfg);

describe('C2 trust policy (seeds 001, 004)', () => {
  it('is exactly the documented web-identity trust for the pair namespace', () => {
    expect(JSON.stringify(pairTrustPolicy(plane, 'flytesnacks', 'development'))).toBe(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}` },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${OIDC}:sub`]: 'system:serviceaccount:flytesnacks-development:default',
                [`${OIDC}:aud`]: 'sts.amazonaws.com',
              },
            },
          },
        ],
      }),
    );
  });
});

describe('C5 uctl file (seed 001)', () => {
  it('nests attributes, quotes values, keeps the other attributes and puts the role first', () => {
    const update = uctlUpdate(
      'flytesnacks',
      'production',
      'arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-production',
      {
        projectQuotaMemory: '256Gi',
        projectQuotaCpu: '64',
        defaultUserRoleValue: 'arn:aws:iam::123456789012:role/old',
      },
    );
    expect(update).toEqual({
      file: 'cluster_resource_attributes.yaml',
      command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
      yaml: [
        'attributes:',
        '  defaultUserRoleValue: "arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-production"',
        '  projectQuotaCpu: "64"',
        '  projectQuotaMemory: "256Gi"',
        'domain: "production"',
        'project: "flytesnacks"',
        '',
      ].join('\n'),
    });
  });

  it('drops the role and keeps the other attributes: still an update (uctl update replaces the whole map)', () => {
    const update = uctlUpdate('flytesnacks', 'production', null, { projectQuotaCpu: '64' });
    expect(update.command).toBe('uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml');
    expect(update.yaml).toBe('attributes:\n  projectQuotaCpu: "64"\ndomain: "production"\nproject: "flytesnacks"\n');
  });

  it("drops the role when nothing else remains: a delete of the pair's attributes (flytectl delete cluster-resource-attribute)", () => {
    const update = uctlUpdate('flytesnacks', 'staging', null, { defaultUserRoleValue: 'arn:aws:iam::1:role/old' });
    expect(update.command).toBe('uctl delete cluster-resource-attribute --attrFile cluster_resource_attributes.yaml');
    expect(parse(update.yaml)).toEqual({ attributes: {}, domain: 'staging', project: 'flytesnacks' });
  });

  it('notes a pair whose current attributes were never imported or configured (uctl.attributes-unknown), once per pair', () => {
    const withAttributes = config(prodPlane({ attributes: { 'flytesnacks/production': { projectQuotaCpu: '64' } } }));
    const result = planGrants({
      config: withAttributes,
      requests: [
        { dataPlane: 'prod', scope: pair('flytesnacks', 'staging'), resource: s3('acme-a') },
        { dataPlane: 'prod', scope: pair('flytesnacks', 'staging'), resource: s3('acme-b') },
        { dataPlane: 'prod', scope: pair('flytesnacks', 'production'), resource: s3('acme-a') },
        { dataPlane: 'prod', scope: pair('flytesnacks', 'development'), resource: s3('acme-a') },
        { dataPlane: 'prod', scope: GLOBAL, resource: s3('acme-shared') },
      ],
      now: NOW,
      attributes: { 'prod/flytesnacks/development': { projectQuotaCpu: '8' } },
    });
    expect(result.notes.map((note) => [note.index, note.code])).toEqual([[0, 'uctl.attributes-unknown']]);
    expect(result.notes[0]?.message).toContain('uctl get cluster-resource-attribute -p flytesnacks -d staging');
  });

  it('binds through flytectl and defaultIamRole on a Flyte OSS plane (binding: flytectl; the flyte-binary eks-starter values)', () => {
    // Prepare: a Flyte OSS plane, and one overriding the attribute its chart templates
    const flyte = config(
      prodPlane({ binding: 'flytectl', attributes: { 'flytesnacks/staging': { projectQuotaCpu: '8' } } }),
    );
    const custom = config(prodPlane({ binding: 'flytectl', bindingAttribute: 'userIamRole' }));
    const request = { dataPlane: 'prod', scope: pair('flytesnacks', 'staging'), resource: s3('acme-a') };

    // Act
    const [oss, overridden] = [flyte, custom].map(
      (cfg) => planGrants({ config: cfg, requests: [request], now: NOW }).targets.find((t) => t.uctl !== null)?.uctl,
    );

    // Assess
    const role = `arn:aws:iam::${ACCOUNT}:role/grantplane/acme-flytesnacks-staging`;
    expect(oss?.command).toBe('flytectl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml');
    expect(parse(oss?.yaml ?? '')).toEqual({
      attributes: { defaultIamRole: role, projectQuotaCpu: '8' },
      domain: 'staging',
      project: 'flytesnacks',
    });
    expect(parse(overridden?.yaml ?? '').attributes).toEqual({ userIamRole: role });
    const dropped = uctlUpdate(
      'flytesnacks',
      'staging',
      null,
      { defaultIamRole: role },
      { tool: 'flytectl', attribute: 'defaultIamRole' },
    );
    expect(dropped.command).toBe(
      'flytectl delete cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
    );
  });

  it('round-trips awkward values through a YAML parser', () => {
    const update = uctlUpdate('p', 'd', null, { 'odd key': 'a "quoted"\nvalue: yes', yes: 'no' });
    expect(parse(update.yaml)).toEqual({
      attributes: { 'odd key': 'a "quoted"\nvalue: yes', yes: 'no' },
      domain: 'd',
      project: 'p',
    });
  });

  /** What the yaml package writes with double-quoted values, plain keys and no line folding. */
  const writtenByLibrary = (document: { attributes: Record<string, string>; domain: string; project: string }) =>
    stringify(document, {
      defaultStringType: 'QUOTE_DOUBLE',
      defaultKeyType: 'PLAIN',
      lineWidth: 0,
      sortMapEntries: false,
    });

  it.each([
    [{}],
    [{ projectQuotaCpu: '64', projectQuotaMemory: '256Gi' }],
    [{ a_b: 'x"y\\z', empty: '', colon: 'a: b # c', dash: '- item', star: '*ref' }],
  ])('writes what the yaml package writes for plain keys and printable ASCII: %j', (attributes) => {
    const role = 'arn:aws:iam::123456789012:role/grantplane/acme-p-development';
    expect(uctlUpdate('p', 'development', role, attributes).yaml).toBe(
      writtenByLibrary({
        attributes: {
          defaultUserRoleValue: role,
          ...Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1))),
        },
        domain: 'development',
        project: 'p',
      }),
    );
  });

  it('keeps an attribute whose key is __proto__ (the property below once met it by chance)', () => {
    const attributes = Object.fromEntries([['__proto__', 'x']]);
    const { yaml } = uctlUpdate('p', 'development', null, attributes);
    expect(Object.getOwnPropertyNames(parse(yaml).attributes)).toEqual(['__proto__']);
    expect(parse(yaml)).toEqual({ attributes, domain: 'development', project: 'p' });
  });

  it('any key and value read back as written, one line each, with no character YAML requires escaped left raw (YAML 1.2.2 §5.1, §5.7)', () => {
    // Strings of any code unit: controls, DEL, C1, line separators, lone surrogates, YAML words.
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 12 }),
      fc.constantFrom(
        'yes',
        'No',
        'null',
        '~',
        '1',
        '0x1f',
        '.inf',
        '',
        ' a',
        'a ',
        '- x',
        '? y',
        'a: b',
        '#c',
        'é',
        '\u2028',
      ),
    );
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 5 }), text, text, (attributes, project, domain) => {
        const { yaml } = uctlUpdate(project, domain, null, attributes);
        const sorted = Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(parse(yaml)).toEqual({ attributes: sorted, domain, project });
        expect(yaml.split('\n')).toHaveLength(Object.keys(attributes).length + 4);
        expect(yaml).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the config attributes of the pair, and imported attributes over them', () => {
    const withAttributes = config(prodPlane({ attributes: { 'flytesnacks/production': { projectQuotaCpu: '64' } } }));
    const request = { scope: pair('flytesnacks', 'production'), resource: s3('acme-data') };
    const fromConfig = planGrants({ config: withAttributes, requests: [request], now: NOW });
    expect(parse(fromConfig.targets[0]?.uctl?.yaml ?? '')).toMatchObject({ attributes: { projectQuotaCpu: '64' } });
    const imported = planGrants({
      config: withAttributes,
      requests: [request],
      now: NOW,
      attributes: { 'prod/flytesnacks/production': { projectQuotaCpu: '128' } },
    });
    expect(parse(imported.targets[0]?.uctl?.yaml ?? '').attributes).toEqual({
      defaultUserRoleValue: 'arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-production',
      projectQuotaCpu: '128',
    });
  });
});

describe('C2 names', () => {
  it('names the role <orgPrefix>-<project>-<domain>', () => {
    expect(pairRoleName(plane, 'flytesnacks', 'development')).toBe('acme-flytesnacks-development');
  });

  it('keeps long project names within 64 characters, stable and distinct', () => {
    const long = 'a'.repeat(51);
    const name = pairRoleName(plane, long, 'development');
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^acme-a+-[0-9a-f]{8}$/);
    expect(pairRoleName(plane, long, 'development')).toBe(name);
    expect(pairRoleName(plane, `${'a'.repeat(50)}b`, 'development')).not.toBe(name);
  });

  it('keeps policy names within 128 characters with the index last', () => {
    expect(pairPolicyName('flytesnacks', 'development', 3)).toBe('grantplane-flytesnacks-development-3');
    const name = pairPolicyName('x'.repeat(120), 'development', 12);
    expect(name.length).toBeLessThanOrEqual(128);
    expect(name.endsWith('-12')).toBe(true);
    expect(shortenName('short', 10)).toBe('short');
  });

  it('compiles a long-project role within IAM limits end to end', () => {
    const project = `p${'x'.repeat(50)}`;
    const result = planGrants({
      config: config(prodPlane({ orgPrefix: 'acme-corporation-data' })),
      requests: [{ scope: pair(project, 'development'), resource: s3('acme-data') }],
      now: NOW,
    });
    const role = result.targets[0]?.role;
    expect(role?.name.length).toBeLessThanOrEqual(64);
    expect(role?.trustPolicy?.Statement[0]?.Condition?.['StringEquals']?.[`${OIDC}:sub`]).toBe(
      `system:serviceaccount:${project}-development:default`,
    );
  });
});

describe('C1/C2/C4 targets', () => {
  const result = planGrants({
    config: config(prodPlane({ permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/boundary` })),
    requests: [
      { scope: pair('flytesnacks', 'development'), resource: s3('acme-data', 'read-write', 'team-a/') },
      { scope: GLOBAL, resource: s3('acme-shared', 'read') },
    ],
    now: NOW,
  });

  it('emits the global target on <UserFlyteRole>, unmanaged, with only grantplane global policies', () => {
    const global = result.targets[0];
    expect(global?.scope).toEqual({ type: 'global' });
    expect(global?.role).toEqual(USER_FLYTE_ROLE);
    expect(global?.attachedPolicyArns).toEqual([`arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-global-1`]);
    expect(global?.uctl).toBeNull();
    expect(global?.policies[0]?.document).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-shared/*'] },
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::acme-shared'] },
      ],
    });
  });

  it('attaches userflyterole, the global policies and its own to a pair role, with boundary and tags', () => {
    const target = result.targets[1];
    expect(target?.attachedPolicyArns).toEqual([
      `arn:aws:iam::${ACCOUNT}:policy/userflyterole`,
      `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-global-1`,
      `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-flytesnacks-development-1`,
    ]);
    expect(target?.role).toMatchObject({
      name: 'acme-flytesnacks-development',
      arn: `arn:aws:iam::${ACCOUNT}:role/grantplane/acme-flytesnacks-development`,
      managed: true,
      path: '/grantplane/',
      permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
    });
    expect(target?.role.tags[MANAGED_BY_TAG]).toBe('grantplane');
    const policy = target?.policies[0];
    expect(policy?.tags).toEqual({ [MANAGED_BY_TAG]: 'grantplane', [HASH_TAG]: documentHash(policy?.document) });
    expect(policy?.document.Statement).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::acme-data/team-a/*'] },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: ['arn:aws:s3:::acme-data'],
        Condition: { StringLike: { 's3:prefix': ['team-a/*'] } },
      },
    ]);
  });

  it('C2: still emits the role of a pair whose grants the global policies already cover (userflyterole and the global policies attached, none of its own)', () => {
    const requests = [
      { scope: GLOBAL, resource: s3('acme-data') },
      { scope: pair('flytesnacks', 'development'), resource: s3('acme-data') },
    ];
    const covered = planGrants({ config: cfg, requests, now: NOW });
    expect(covered.accepted).toHaveLength(2);
    expect(covered.targets.map((target) => target.scope.type)).toEqual(['global', 'project-domain']);
    const role = covered.targets[1];
    expect(role?.role).toMatchObject({ name: 'acme-flytesnacks-development', managed: true });
    expect(role?.policies).toEqual([]);
    expect(role?.attachedPolicyArns).toEqual([
      `arn:aws:iam::${ACCOUNT}:policy/userflyterole`,
      `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-global-1`,
    ]);
    expect(role?.uctl?.yaml).toContain(`arn:aws:iam::${ACCOUNT}:role/grantplane/acme-flytesnacks-development`);

    // Revoking the global grant later changes only the pair's policies: the role and its uctl file stay byte-identical.
    const alone = planGrants({ config: cfg, requests: [requests[1]], now: NOW });
    const after = alone.targets.find((target) => target.scope.type === 'project-domain');
    expect(after?.role).toEqual(role?.role);
    expect(after?.uctl).toEqual(role?.uctl);
    expect(after?.policies.map((policy) => policy.name)).toEqual(['grantplane-flytesnacks-development-1']);
  });

  it('C2: a pair whose only grants are ECR grants (no identity statements) gets no role', () => {
    const ecrOnly = planGrants({
      config: cfg,
      requests: [
        {
          scope: pair('flytesnacks', 'development'),
          resource: { type: 'ecr', repositoryArn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app` },
        },
      ],
      now: NOW,
    });
    expect(ecrOnly.accepted).toHaveLength(1);
    expect(ecrOnly.targets).toEqual([]);
  });

  it('emits the cross-account ECR repository policy with exactly the three pull actions', () => {
    const ecr = planGrants({
      config: cfg,
      requests: [
        {
          scope: GLOBAL,
          resource: { type: 'ecr', repositoryArn: 'arn:aws:ecr:us-east-1:210987654321:repository/app' },
        },
      ],
      now: NOW,
    });
    expect(ecr.targets).toEqual([]);
    expect(ecr.infrastructure).toEqual([
      {
        kind: 'ecr-repository-policy',
        repositoryArn: 'arn:aws:ecr:us-east-1:210987654321:repository/app',
        policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AllowPull',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/unionai-acme-flyteworker-node-group` },
              Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
            },
          ],
        },
      },
    ]);
    expect(ecr.notes.map((note) => note.code)).toEqual(['ecr.cross-account']);
  });
});

describe('C3 merge', () => {
  it('merges resources with the same actions and condition, and de-duplicates', () => {
    const merged = mergeStatements([
      normStatement(['s3:GetObject'], ['arn:aws:s3:::b/*']),
      normStatement(['s3:GetObject'], ['arn:aws:s3:::a/*']),
      normStatement(['s3:GetObject'], ['arn:aws:s3:::a/*']),
    ]);
    expect(merged).toEqual([{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'] }]);
  });

  it('unions the values of a single positive condition key and drops pairs allowed unconditionally', () => {
    const list = (prefix: string) =>
      normStatement(['s3:ListBucket'], ['arn:aws:s3:::a'], { StringLike: { 's3:prefix': [prefix] } });
    expect(mergeStatements([list('x/*'), list('y/*')])).toEqual([
      {
        actions: ['s3:ListBucket'],
        resources: ['arn:aws:s3:::a'],
        condition: { StringLike: { 's3:prefix': ['x/*', 'y/*'] } },
      },
    ]);
    expect(mergeStatements([list('x/*'), normStatement(['s3:ListBucket'], ['arn:aws:s3:::a'])])).toEqual([
      { actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::a'] },
    ]);
  });

  it('never unions values of negated operators', () => {
    const not = (value: string) =>
      normStatement(['s3:GetObject'], ['arn:aws:s3:::a/*'], { StringNotEquals: { 'aws:SourceVpc': value } });
    expect(mergeStatements([not('vpc-1'), not('vpc-2')])).toHaveLength(2);
  });
});

describe('C3 packing', () => {
  const secret = (i: number) =>
    normStatement(
      ['secretsmanager:GetSecretValue', `secretsmanager:DescribeSecret`],
      [`arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:app/s${i}-??????`],
    );

  it('keeps every policy within 6,144 characters and splits one large statement', () => {
    const merged = mergeStatements(Array.from({ length: 300 }, (_, i) => secret(i)));
    expect(merged).toHaveLength(1);
    const packed = packStatements(merged, 10);
    expect(packed).not.toBeNull();
    for (const statements of packed ?? []) {
      expect(
        iamSize(
          JSON.stringify({
            Version: '2012-10-17',
            Statement: statements.map((s) => ({ Effect: 'Allow', Action: s.actions, Resource: s.resources })),
          }),
        ),
      ).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARS);
    }
    const total = (packed ?? []).reduce(
      (sum, statements) => sum + statements.reduce((n, s) => n + s.resources.length, 0),
      0,
    );
    expect(total).toBe(300);
    // 300 resources × ~64 characters ≈ 19,500 characters: the lower bound is 4 policies.
    expect(packed?.length).toBe(4);
  });

  it('splits statements across free space when first-fit decreasing would need a policy more', () => {
    // Three ~3,900-character statements: whole, they need 3 policies; split, 2 hold them.
    const wide = (service: string) =>
      normStatement(
        [`${service}:GetItem`],
        Array.from({ length: 60 }, (_, i) => `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/${service}-${i}`),
      );
    const statements = mergeStatements([
      wide('dynamodb'),
      normStatement(
        ['dynamodb:Query'],
        wide('dynamodb').resources.map((r) => `${r}-q`),
      ),
      normStatement(
        ['dynamodb:Scan'],
        wide('dynamodb').resources.map((r) => `${r}-s`),
      ),
    ]);
    const packed = packStatements(statements, 10);
    expect(packed).toHaveLength(2);
    const resources = (packed ?? [])
      .flat()
      .flatMap((statement) => statement.actions.map((action) => statement.resources.map((r) => `${action} ${r}`)))
      .flat();
    expect(new Set(resources).size).toBe(180);
    for (const policy of packed ?? []) {
      expect(
        iamSize(
          JSON.stringify({
            Version: '2012-10-17',
            Statement: policy.map((st) => ({ Effect: 'Allow', Action: st.actions, Resource: st.resources })),
          }),
        ),
      ).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARS);
    }
  });

  it('returns null when the statements need more policies than allowed', () => {
    expect(packStatements(mergeStatements(Array.from({ length: 300 }, (_, i) => secret(i))), 3)).toBeNull();
  });
});

describe('C3 quotas', () => {
  const tight = config(prodPlane({ maxPoliciesPerRole: 2 }));
  // Each of these grants adds ~2,100 characters of resources to one merged statement: two fit one policy, three do not.
  const bigGrant = (i: number) => ({
    scope: pair('flytesnacks', 'development'),
    resource: {
      type: 'iam-statements',
      statements: Array.from({ length: 40 }, (_, j) => ({
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/t${i}-${j}`,
      })),
    },
  });

  it('rejects the first grant that does not fit and every later one of that target, in canonical order', () => {
    const requests = [
      bigGrant(3),
      bigGrant(1),
      bigGrant(2),
      { scope: pair('flytesnacks', 'staging'), resource: s3('acme-data') },
    ];
    const result = planGrants({ config: tight, requests, now: NOW });
    // One own policy (2 minus userflyterole) holds grants t1 and t2 only; t3 sorts last and is refused.
    expect(result.accepted.map((grant) => grant.index)).toEqual([1, 2, 3]);
    expect(result.rejected).toMatchObject([
      { index: 0, errors: [{ path: 'resource', code: 'quota.policies-per-role' }] },
    ]);
    const development = result.targets.find(
      (target) => target.scope.type === 'project-domain' && target.scope.domain === 'development',
    );
    expect(development?.policies).toHaveLength(1);
  });

  it('counts the global policies against every pair role', () => {
    const requests = [
      { scope: GLOBAL, resource: s3('acme-shared') },
      { scope: pair('flytesnacks', 'development'), resource: s3('acme-data') },
    ];
    const result = planGrants({ config: tight, requests, now: NOW });
    expect(result.accepted.map((grant) => grant.index)).toEqual([0]);
    expect(result.rejected[0]?.errors[0]?.code).toBe('quota.policies-per-role');
    expect(result.rejected[0]?.errors[0]?.message).toContain('1 global policies');
  });
});

describe('several data planes (multi-cluster, docs/configuration.md)', () => {
  const multi = config(
    prodPlane({ name: 'prod' }),
    prodPlane({ name: 'dev', accountId: '333333333333', orgPrefix: 'acme', domains: ['development'] }),
  );
  const repository = 'arn:aws:ecr:us-west-2:444444444444:repository/app';
  const requests = [
    { dataPlane: 'prod', scope: pair('flytesnacks', 'production'), resource: s3('acme-data') },
    { dataPlane: 'dev', scope: pair('flytesnacks', 'development'), resource: s3('acme-data') },
    { dataPlane: 'dev', scope: GLOBAL, resource: { type: 'ecr', repositoryArn: repository } },
    { dataPlane: 'prod', scope: GLOBAL, resource: { type: 'ecr', repositoryArn: repository } },
  ];
  const result = planGrants({ config: multi, requests, now: NOW });

  it('compiles each plane into its own account, planes in name order', () => {
    expect(result.targets.map((target) => `${target.dataPlane} ${target.accountId} ${target.role.arn}`)).toEqual([
      'dev 333333333333 arn:aws:iam::333333333333:role/grantplane/acme-flytesnacks-development',
      'prod 123456789012 arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-production',
    ]);
  });

  it("writes one repository policy naming both planes' node group roles", () => {
    expect(result.infrastructure).toHaveLength(1);
    expect(result.infrastructure[0]?.policy.Statement[0]?.Principal).toEqual({
      AWS: [
        'arn:aws:iam::123456789012:role/unionai-acme-flyteworker-node-group',
        'arn:aws:iam::333333333333:role/unionai-acme-flyteworker-node-group',
      ],
    });
  });
});
