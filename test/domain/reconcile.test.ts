// Pure diff (docs/applier.md A1–A3, R3, C4) against hand-written CompiledTargets: no I/O.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledTarget, PolicyDocument } from '../../lib/domain/model.js';
import type { IamPolicy, IamPolicyVersion } from '../../lib/domain/ports.js';
import {
  type ActualPolicy,
  type ActualTarget,
  assertSafeActions,
  canonicalDocument,
  comparePlane,
  describeAction,
  diffTarget,
  documentsEqual,
  ForbiddenActionError,
  OwnershipError,
  type PlaneGuard,
  type IamPlaneState,
  policiesToRead,
  strayPolicyActions,
  targetFromSnapshot,
  targetRefOf,
} from '../../lib/domain/reconcile/index.js';
import { ACCOUNT, pairRole, USER_FLYTE_ROLE } from './engine-fixtures.js';

const guard: PlaneGuard = {
  accountId: ACCOUNT,
  managedPath: '/grantplane/',
  userFlyteRoleName: 'acme-userflyterole',
  adminFlyteRoleName: 'acme-adminflyterole',
  userFlyteRolePolicyArn: `arn:aws:iam::${ACCOUNT}:policy/userflyterole`,
  maxPoliciesPerRole: 10,
};
const OWNED = { 'managed-by': 'grantplane' };
const polArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:policy/grantplane/${name}`;
const doc = (...actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: actions, Resource: ['arn:aws:s3:::acme-ml-data', 'arn:aws:s3:::acme-ml-data/*'] },
  ],
});
const trust: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.example/id/X` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          'oidc.example/id/X:sub': 'system:serviceaccount:flytesnacks-development:default',
          'oidc.example/id/X:aud': 'sts.amazonaws.com',
        },
      },
    },
  ],
};
const globalArn = polArn('grantplane-global-1');
const pairTarget = (document = doc('s3:GetObject')): CompiledTarget => ({
  dataPlane: 'prod',
  accountId: ACCOUNT,
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
  role: pairRole('flytesnacks', 'development', { trustPolicy: trust, tags: { ...OWNED, 'grantplane:hash': 'r1' } }),
  attachedPolicyArns: [guard.userFlyteRolePolicyArn, globalArn, polArn('grantplane-flytesnacks-development-1')],
  policies: [
    {
      name: 'grantplane-flytesnacks-development-1',
      arn: polArn('grantplane-flytesnacks-development-1'),
      path: '/grantplane/',
      document,
      tags: { ...OWNED, 'grantplane:hash': 'p1' },
    },
  ],
  uctl: null,
});
const policyOf = (
  name: string,
  tags: Record<string, string>,
  attachmentCount: number,
  defaultVersionId = 'v1',
): IamPolicy => ({
  name,
  arn: polArn(name),
  path: '/grantplane/',
  defaultVersionId,
  attachmentCount,
  tags,
});
/** The actual state of a target that is exactly as compiled. */
const converged = (target: CompiledTarget): ActualTarget => ({
  role: {
    name: target.role.name,
    arn: target.role.arn,
    path: '/grantplane/',
    trustPolicy: target.role.trustPolicy ?? trust,
    permissionsBoundaryArn: null,
    tags: target.role.tags,
  },
  attached: target.attachedPolicyArns.map((arn) => ({ arn, name: arn.slice(arn.lastIndexOf('/') + 1) })),
  policies: target.policies.map((p) => ({ policy: policyOf(p.name, p.tags, 1), defaultDocument: p.document })),
});
const options = { guard, allowRoleDeletion: false };
const lines = (target: CompiledTarget | null, actual: ActualTarget, opts = options, ref = targetRefOf(pairTarget())) =>
  diffTarget(target, ref, actual, opts).actions.map(describeAction);

describe('documents by meaning (A1)', () => {
  it('treats string vs array, statement/action/resource order, key order and action case as equal', () => {
    const a = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: 'arn:aws:s3:::b' },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ['x'] },
      ],
    };
    const b = {
      Statement: [
        { Resource: ['x'], Action: ['SecretsManager:GetSecretValue'], Effect: 'Allow' },
        { Resource: ['arn:aws:s3:::b'], Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetObject'] },
      ],
      Version: '2012-10-17',
    };
    expect(documentsEqual(a, b)).toBe(true);
    expect(canonicalDocument(a)).toBe(canonicalDocument(b));
  });
  it('sees a changed resource, action, condition value or effect', () => {
    const base = doc('s3:GetObject');
    expect(documentsEqual(base, doc('s3:GetObject', 's3:PutObject'))).toBe(false);
    expect(
      documentsEqual(trust, {
        ...trust,
        Statement: [{ ...trust.Statement[0]!, Condition: { StringLike: { 'oidc.example/id/X:sub': '*' } } }],
      }),
    ).toBe(false);
    expect(documentsEqual(base, { ...base, Statement: [{ ...base.Statement[0]!, Effect: 'Deny' }] })).toBe(false);
  });
});

describe('diffTarget', () => {
  it('gives zero actions for a converged target (A1)', () => {
    expect(lines(pairTarget(), converged(pairTarget()))).toEqual([]);
  });

  it('creates policy and role before attaching, from nothing', () => {
    const empty: ActualTarget = { role: null, attached: [], policies: [] };
    expect(lines(pairTarget(), empty)).toEqual([
      'CreatePolicy grantplane-flytesnacks-development-1',
      'CreateRole acme-flytesnacks-development',
      'AttachRolePolicy acme-flytesnacks-development userflyterole',
      'AttachRolePolicy acme-flytesnacks-development grantplane-global-1',
      'AttachRolePolicy acme-flytesnacks-development grantplane-flytesnacks-development-1',
    ]);
  });

  it('asks for the version list before changing a document, then creates a default version (A2)', () => {
    const actual = converged(pairTarget());
    const wanted = pairTarget(doc('s3:GetObject', 's3:PutObject'));
    const first = diffTarget(wanted, targetRefOf(wanted), actual, options);
    expect(first.missingVersions).toEqual([polArn('grantplane-flytesnacks-development-1')]);
    const versions: IamPolicyVersion[] = [{ versionId: 'v1', isDefault: true, createDate: '2026-01-01T00:00:00Z' }];
    actual.policies[0]!.versions = versions;
    expect(lines(wanted, actual)).toEqual(['CreatePolicyVersion grantplane-flytesnacks-development-1 (default)']);
  });

  it('with 5 versions deletes the oldest non-default one first (A2)', () => {
    const actual = converged(pairTarget());
    const versions: IamPolicyVersion[] = ['v3', 'v4', 'v5', 'v6', 'v7'].map((versionId, i) => ({
      versionId,
      isDefault: versionId === 'v4',
      createDate: `2026-01-0${i + 1}T00:00:00Z`,
    }));
    actual.policies[0]!.versions = versions;
    expect(lines(pairTarget(doc('s3:PutObject')), actual)).toEqual([
      'DeletePolicyVersion grantplane-flytesnacks-development-1 v3',
      'CreatePolicyVersion grantplane-flytesnacks-development-1 (default)',
    ]);
  });

  it('updates tags, trust policy and boundary; leaves foreign tags alone (C4)', () => {
    const actual = converged(pairTarget());
    actual.role!.tags = {
      'managed-by': 'grantplane',
      'grantplane:hash': 'old',
      'grantplane:stale': 'x',
      'cost-center': '42',
    };
    actual.role!.trustPolicy = {
      ...trust,
      Statement: [{ ...trust.Statement[0]!, Condition: { StringLike: { 'oidc.example/id/X:sub': '*' } } }],
    };
    actual.role!.permissionsBoundaryArn = 'arn:aws:iam::123456789012:policy/boundary';
    actual.policies[0]!.policy.tags = { 'managed-by': 'grantplane' };
    expect(lines(pairTarget(), actual)).toEqual([
      'TagPolicy grantplane-flytesnacks-development-1 grantplane:hash=p1',
      'UpdateAssumeRolePolicy acme-flytesnacks-development',
      'DeleteRolePermissionsBoundary acme-flytesnacks-development',
      'TagRole acme-flytesnacks-development grantplane:hash=r1',
      'UntagRole acme-flytesnacks-development grantplane:stale',
    ]);
  });

  it('detaches and deletes its own dropped policy (detach, non-default versions, delete: A3), never foreign attachments', () => {
    const actual = converged(pairTarget());
    actual.attached.push({
      arn: polArn('grantplane-flytesnacks-development-2'),
      name: 'grantplane-flytesnacks-development-2',
    });
    actual.attached.push({ arn: `arn:aws:iam::${ACCOUNT}:policy/team/hand-made`, name: 'hand-made' });
    actual.policies.push({
      policy: policyOf('grantplane-flytesnacks-development-2', OWNED, 1, 'v2'),
      versions: [
        { versionId: 'v1', isDefault: false, createDate: '2026-01-01' },
        { versionId: 'v2', isDefault: true, createDate: '2026-01-02' },
      ],
    });
    const result = diffTarget(pairTarget(), targetRefOf(pairTarget()), actual, options);
    expect(result.actions.map(describeAction)).toEqual([
      'DetachRolePolicy acme-flytesnacks-development grantplane-flytesnacks-development-2',
      'DeletePolicyVersion grantplane-flytesnacks-development-2 v1',
      'DeletePolicy grantplane-flytesnacks-development-2',
    ]);
  });

  it('does not detach a managed-path policy that lacks the grantplane tag', () => {
    const actual = converged(pairTarget());
    actual.attached.push({ arn: polArn('someone-elses'), name: 'someone-elses' });
    actual.policies.push({ policy: policyOf('someone-elses', {}, 1) });
    expect(lines(pairTarget(), actual)).toEqual([]);
  });

  it('keeps a dropped policy that another role still uses (attachment count)', () => {
    const actual = converged(pairTarget());
    actual.attached.push({ arn: polArn('grantplane-global-2'), name: 'grantplane-global-2' });
    actual.policies.push({ policy: policyOf('grantplane-global-2', OWNED, 2) });
    expect(lines(pairTarget(), actual)).toEqual(['DetachRolePolicy acme-flytesnacks-development grantplane-global-2']);
  });

  it('reads only desired policies and undeclared managed-path attachments', () => {
    const attached = [
      { arn: guard.userFlyteRolePolicyArn, name: 'userflyterole' },
      { arn: globalArn, name: 'grantplane-global-1' },
      { arn: polArn('grantplane-flytesnacks-development-9'), name: 'grantplane-flytesnacks-development-9' },
    ];
    expect(policiesToRead(pairTarget(), attached, guard)).toEqual([
      polArn('grantplane-flytesnacks-development-1'),
      polArn('grantplane-flytesnacks-development-9'),
    ]);
  });

  it('refuses to take over a role of the same name that is not grantplane-tagged', () => {
    const actual = converged(pairTarget());
    actual.role!.tags = {};
    expect(() => diffTarget(pairTarget(), targetRefOf(pairTarget()), actual, options)).toThrow(OwnershipError);
  });

  it('an undeclared pair loses its grantplane policies at once and waits for its uctl update (A3)', () => {
    const actual = converged(pairTarget());
    actual.policies[0]!.versions = [{ versionId: 'v1', isDefault: true, createDate: '2026-01-01' }];
    actual.policies.push({ policy: policyOf('grantplane-global-1', OWNED, 2) });
    const result = diffTarget(null, targetRefOf(pairTarget()), actual, options);
    expect(result.waiting).toBe(true);
    expect(result.actions.map(describeAction)).toEqual([
      'DetachRolePolicy acme-flytesnacks-development grantplane-global-1',
      'DetachRolePolicy acme-flytesnacks-development grantplane-flytesnacks-development-1',
      'DeletePolicy grantplane-flytesnacks-development-1',
    ]);
  });

  it('with role deletion allowed, detaches userflyterole from its own role and deletes the role last', () => {
    const actual = converged(pairTarget());
    actual.attached = actual.attached.filter((p) => p.arn === guard.userFlyteRolePolicyArn);
    actual.policies = [];
    const result = diffTarget(null, targetRefOf(pairTarget()), actual, { ...options, allowRoleDeletion: true });
    expect(result.waiting).toBe(false);
    expect(result.actions.map(describeAction)).toEqual([
      'DetachRolePolicy acme-flytesnacks-development userflyterole',
      'DeleteRole acme-flytesnacks-development',
    ]);
  });

  it('the global target only attaches/detaches its own policies on <UserFlyteRole>', () => {
    const global: CompiledTarget = {
      dataPlane: 'prod',
      accountId: ACCOUNT,
      scope: { type: 'global' },
      role: USER_FLYTE_ROLE,
      attachedPolicyArns: [globalArn],
      policies: [
        {
          name: 'grantplane-global-1',
          arn: globalArn,
          path: '/grantplane/',
          document: doc('s3:GetObject'),
          tags: OWNED,
        },
      ],
      uctl: null,
    };
    const actual: ActualTarget = {
      role: {
        name: 'acme-userflyterole',
        arn: global.role.arn,
        path: '/',
        trustPolicy: trust,
        permissionsBoundaryArn: null,
        tags: { team: 'union' },
      },
      attached: [
        { arn: guard.userFlyteRolePolicyArn, name: 'userflyterole' },
        { arn: polArn('grantplane-global-2'), name: 'grantplane-global-2' },
      ],
      policies: [
        {
          policy: policyOf('grantplane-global-2', OWNED, 1),
          versions: [{ versionId: 'v1', isDefault: true, createDate: 'x' }],
        },
      ],
    };
    expect(lines(global, actual, options, targetRefOf(global))).toEqual([
      'CreatePolicy grantplane-global-1',
      'AttachRolePolicy acme-userflyterole grantplane-global-1',
      'DetachRolePolicy acme-userflyterole grantplane-global-2',
      'DeletePolicy grantplane-global-2',
    ]);
  });
});

describe('the R3 guard', () => {
  it.each([
    [{ kind: 'DetachRolePolicy', roleName: 'acme-adminflyterole', policyArn: polArn('grantplane-global-1') }],
    [{ kind: 'AttachRolePolicy', roleName: 'ACME-AdminFlyteRole', policyArn: polArn('grantplane-global-1') }],
    [{ kind: 'DetachRolePolicy', roleName: 'acme-userflyterole', policyArn: guard.userFlyteRolePolicyArn }],
    [{ kind: 'TagRole', roleName: 'acme-userflyterole', tags: { a: 'b' } }],
    [{ kind: 'DeleteRole', roleName: 'acme-userflyterole' }],
    [{ kind: 'CreatePolicyVersion', arn: guard.userFlyteRolePolicyArn, document: doc('s3:GetObject') }],
    [{ kind: 'DeletePolicy', arn: `arn:aws:iam::${ACCOUNT}:policy/team/hand-made` }],
    [
      {
        kind: 'DetachRolePolicy',
        roleName: 'acme-flytesnacks-development',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/team/hand-made`,
      },
    ],
  ] as const)('throws on %o', (action) => {
    expect(() => assertSafeActions([action], guard)).toThrow(ForbiddenActionError);
  });

  it('allows grantplane attachments on <UserFlyteRole> and userflyterole detachment from its own role', () => {
    expect(() =>
      assertSafeActions(
        [
          { kind: 'AttachRolePolicy', roleName: 'acme-userflyterole', policyArn: globalArn },
          {
            kind: 'DetachRolePolicy',
            roleName: 'acme-flytesnacks-development',
            policyArn: guard.userFlyteRolePolicyArn,
          },
        ],
        guard,
      ),
    ).not.toThrow();
  });
});

describe('comparePlane (drift, docs/webhooks.md)', () => {
  const snapshotOf = (target: CompiledTarget): IamPlaneState => {
    const actual = converged(target);
    return {
      roles: new Map([[target.role.name, { role: actual.role!, attached: actual.attached }]]),
      policies: new Map(
        actual.policies.map((p: ActualPolicy) => [
          p.policy.arn,
          { policy: p.policy, defaultDocument: p.defaultDocument },
        ]),
      ),
    };
  };
  const naming = { name: 'prod', orgPrefix: 'acme', domains: ['development', 'production'] };

  it('reports in-sync, then each kind of difference precisely', () => {
    const target = pairTarget();
    const snapshot = snapshotOf(target);
    snapshot.policies.set(globalArn, {
      policy: policyOf('grantplane-global-1', OWNED, 1),
      defaultDocument: doc('s3:GetObject'),
    });
    expect(comparePlane([target], snapshot, guard, naming)).toEqual([
      { dataPlane: 'prod', scope: target.scope, status: 'in-sync', differences: [] },
    ]);

    const entry = snapshot.roles.get(target.role.name)!;
    entry.attached = entry.attached.filter((p) => p.arn !== globalArn);
    snapshot.policies.get(polArn('grantplane-flytesnacks-development-1'))!.defaultDocument = doc('s3:*');
    entry.role.trustPolicy = { Version: '2012-10-17', Statement: [] };
    snapshot.roles.set('acme-ghost-production', {
      role: {
        name: 'acme-ghost-production',
        arn: 'x',
        path: '/grantplane/',
        trustPolicy: trust,
        permissionsBoundaryArn: null,
        tags: OWNED,
      },
      attached: [],
    });
    expect(comparePlane([target], snapshot, guard, naming)).toEqual([
      {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
        status: 'drifted',
        differences: [
          'role acme-flytesnacks-development: trust policy differs from the compiled one',
          'policy grantplane-flytesnacks-development-1: document (default version v1) differs from the compiled one',
          `role acme-flytesnacks-development: policy ${globalArn} is not attached`,
        ],
      },
      {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'ghost', domain: 'production' },
        status: 'orphaned',
        differences: ['role acme-ghost-production: grantplane-managed but not declared'],
      },
    ]);
  });

  it('reports a deleted role as missing', () => {
    const target = pairTarget();
    const snapshot = snapshotOf(target);
    snapshot.roles.clear();
    expect(comparePlane([target], snapshot, guard, naming)[0]).toMatchObject({
      status: 'missing',
      differences: ['role acme-flytesnacks-development: missing'],
    });
  });
});

describe('more of the diff', () => {
  it('detaches first when attaching first would exceed the attached-policy quota', () => {
    const actual = converged(pairTarget());
    const extras = ['2', '3', '4', '5', '6', '7', '8'].map((n) => `grantplane-flytesnacks-development-${n}`);
    for (const name of extras) {
      actual.attached.push({ arn: polArn(name), name });
      actual.policies.push({
        policy: policyOf(name, OWNED, 1),
        versions: [{ versionId: 'v1', isDefault: true, createDate: 'x' }],
      });
    }
    actual.attached = actual.attached.filter((p) => p.arn !== globalArn);
    // 9 attached + 1 to attach = 10 fits: attach first.
    expect(lines(pairTarget(), actual)[0]).toBe('AttachRolePolicy acme-flytesnacks-development grantplane-global-1');
    actual.attached.push({
      arn: polArn('grantplane-flytesnacks-development-9'),
      name: 'grantplane-flytesnacks-development-9',
    });
    actual.policies.push({
      policy: policyOf('grantplane-flytesnacks-development-9', OWNED, 1),
      versions: [{ versionId: 'v1', isDefault: true, createDate: 'x' }],
    });
    // 10 attached + 1 would be 11 > 10: detach first.
    expect(lines(pairTarget(), actual)[0]).toBe(
      'DetachRolePolicy acme-flytesnacks-development grantplane-flytesnacks-development-2',
    );
  });

  it('a stray policy is deleted only when grantplane owns it and nothing is attached', () => {
    const versions: IamPolicyVersion[] = [
      { versionId: 'v1', isDefault: false, createDate: 'a' },
      { versionId: 'v2', isDefault: true, createDate: 'b' },
    ];
    expect(strayPolicyActions({ policy: policyOf('grantplane-x-development-1', OWNED, 0) }, guard)).toBeNull();
    expect(
      strayPolicyActions({ policy: policyOf('grantplane-x-development-1', OWNED, 0), versions }, guard)?.map(
        describeAction,
      ),
    ).toEqual(['DeletePolicyVersion grantplane-x-development-1 v1', 'DeletePolicy grantplane-x-development-1']);
    expect(strayPolicyActions({ policy: policyOf('grantplane-x-development-1', OWNED, 1), versions }, guard)).toEqual(
      [],
    );
    expect(strayPolicyActions({ policy: policyOf('grantplane-x-development-1', {}, 0), versions }, guard)).toEqual([]);
  });

  it('documentsEqual holds under any reordering of statements, actions and resources (property)', () => {
    const statement = fc.record({
      Effect: fc.constant('Allow' as const),
      Action: fc.uniqueArray(
        fc.constantFrom('s3:GetObject', 's3:PutObject', 's3:ListBucket', 'secretsmanager:GetSecretValue'),
        { minLength: 1 },
      ),
      Resource: fc.uniqueArray(fc.constantFrom('arn:aws:s3:::a', 'arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'), {
        minLength: 1,
      }),
    });
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 4 }), fc.integer(), (statements, seed) => {
        const shuffle = <T>(items: T[]): T[] =>
          [...items].sort(
            (a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7),
          );
        const a = { Version: '2012-10-17', Statement: statements };
        const b = {
          Statement: shuffle(statements).map((s) => ({
            Resource: s.Resource.length === 1 ? s.Resource[0] : shuffle(s.Resource).reverse(),
            Action: [...s.Action].reverse().map((action) => action.toUpperCase()),
            Effect: s.Effect,
          })),
          Version: '2012-10-17',
        };
        expect(documentsEqual(a, b)).toBe(true);
        const changed = {
          ...a,
          Statement: [...statements.slice(1), { ...statements[0]!, Resource: ['arn:aws:s3:::other'] }],
        };
        expect(documentsEqual(a, changed)).toBe(false);
      }),
    );
  });
});

describe('targetFromSnapshot (A1: the apply diffs every target against one whole-plane read)', () => {
  const target = pairTarget();
  const ref = targetRefOf(target);
  const own = polArn('grantplane-flytesnacks-development-1');
  const stale = polArn('grantplane-flytesnacks-development-2');
  const snapshot = (): IamPlaneState => {
    const actual = converged(target);
    return {
      roles: new Map([
        [
          target.role.name,
          {
            role: actual.role!,
            attached: [...actual.attached, { arn: stale, name: 'grantplane-flytesnacks-development-2' }],
          },
        ],
      ]),
      policies: new Map([
        [
          own,
          {
            policy: policyOf('grantplane-flytesnacks-development-1', { ...OWNED, 'grantplane:hash': 'p1' }, 1),
            defaultDocument: doc('s3:GetObject'),
          },
        ],
        [
          stale,
          { policy: policyOf('grantplane-flytesnacks-development-2', OWNED, 1), defaultDocument: doc('s3:PutObject') },
        ],
        [globalArn, { policy: policyOf('grantplane-global-1', OWNED, 2), defaultDocument: doc('s3:ListBucket') }],
      ]),
    };
  };

  it('gives what reconcileTarget would read: role, attachments, policies of interest, documents of kept ones', () => {
    const actual = targetFromSnapshot(snapshot(), target, ref, guard)!;
    expect(actual.role?.name).toBe(target.role.name);
    expect(actual.attached.map((p) => p.arn)).toContain(stale);
    // The global policy is attached as desired: not read, as policiesToRead says.
    expect(actual.policies.map((p) => p.policy.arn)).toEqual([own, stale]);
    expect(actual.policies.map((p) => p.defaultDocument !== undefined)).toEqual([true, false]);
    // The diff then detaches and deletes the undeclared policy: writes, so the apply reads the target again.
    expect(diffTarget(target, ref, actual, options).actions.map(describeAction)).toEqual([
      'DetachRolePolicy acme-flytesnacks-development grantplane-flytesnacks-development-2',
    ]);
    expect(diffTarget(target, ref, actual, options).missingVersions).toEqual([stale]);
  });

  it('a converged target diffs to nothing; a role or policy absent from the snapshot does not exist', () => {
    const state = snapshot();
    state.roles.get(target.role.name)!.attached.pop();
    expect(diffTarget(target, ref, targetFromSnapshot(state, target, ref, guard)!, options).actions).toEqual([]);
    const empty: IamPlaneState = { roles: new Map(), policies: new Map() };
    expect(targetFromSnapshot(empty, target, ref, guard)).toEqual({ role: null, attached: [], policies: [] });
  });

  it('cannot judge a policy outside the managed path (the snapshot holds none): null', () => {
    const foreign = `arn:aws:iam::${ACCOUNT}:policy/team/other`;
    expect(targetFromSnapshot(snapshot(), target, ref, guard, [foreign])).toBeNull();
  });
});
