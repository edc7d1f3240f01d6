// The applier's IAM permissions in one plane account (R3, docs/applier.md; issue 6 item 2): it may
// create, change and delete only roles and policies under the managed path, attach only
// managed-path policies (plus `userflyterole` on its own roles, C2), and never touch
// <AdminFlyteRole>. The same statements serve the home account and the per-plane access role.
import { Validations } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { BOUNDARY_NAME, BOUNDARY_PATH, type PlaneAccess } from '../config.js';

/** IAM path under which the cross-account access roles live: deliberately NOT the managed path. */
export const ACCESS_ROLE_PATH = '/grantplane-access/';

/** Every write to an existing managed policy: allowed on the plane's own, denied on the boundary. */
const POLICY_WRITES = [
  'iam:CreatePolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:DeletePolicy',
  'iam:TagPolicy',
  'iam:UntagPolicy',
];

const iamArn = (accountId: string, kind: 'role' | 'policy', pathAndName: string): string =>
  `arn:aws:iam::${accountId}:${kind}${pathAndName}`;

const STATEMENT_NAMES = [
  'ManageOwnRoles',
  'CreateOwnRolesWithBoundary',
  'ManageOwnPolicies',
  'AttachToOwnRoles',
  'AttachToUserFlyteRole',
  'ReadRolesAndPolicies',
  'ListAccountReadOnly',
  'NeverTouchAdminFlyteRole',
  'NeverChangeBoundaries',
  'NeverAssumeOwnRoles',
] as const;
type StatementName = (typeof STATEMENT_NAMES)[number];

/** `prod-eu` → `ProdEu`: IAM Sids are alphanumeric. */
export const sidSuffix = (planeName: string): string =>
  planeName
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');

/** The statements that let the applier (and the drift check's reads) manage one plane. */
export const applierStatements = (plane: PlaneAccess): PolicyStatement[] => {
  const account = plane.accountId;
  // Sids must be unique within a policy that serves several planes.
  const sid = (name: StatementName) => `${name}${sidSuffix(plane.name)}`;
  const managedRoles = iamArn(account, 'role', `${plane.managedPath}*`);
  const managedPolicies = iamArn(account, 'policy', `${plane.managedPath}*`);
  // Union creates these at the root path (seed 001); an exact ARN, never a pattern.
  const userFlyteRole = iamArn(account, 'role', `/${plane.userFlyteRoleName}`);
  const userFlyteRolePolicy = iamArn(account, 'policy', `/${plane.userFlyteRolePolicyName}`);
  const adminFlyteRole = iamArn(account, 'role', `/${plane.adminFlyteRoleName}`);
  const boundary = plane.permissionsBoundaryArn;

  const statements: PolicyStatement[] = [
    new PolicyStatement({
      sid: sid('ManageOwnRoles'),
      effect: Effect.ALLOW,
      actions: ['iam:DeleteRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole'],
      resources: [managedRoles],
    }),
    new PolicyStatement({
      // docs/deploy.md: every role it creates carries the plane's boundary, which it cannot change.
      sid: sid('CreateOwnRolesWithBoundary'),
      effect: Effect.ALLOW,
      actions: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary'],
      resources: [managedRoles],
      conditions: { StringEquals: { 'iam:PermissionsBoundary': boundary } },
    }),
    new PolicyStatement({
      sid: sid('ManageOwnPolicies'),
      effect: Effect.ALLOW,
      actions: ['iam:CreatePolicy', ...POLICY_WRITES],
      resources: [managedPolicies],
    }),
    new PolicyStatement({
      sid: sid('AttachToOwnRoles'),
      effect: Effect.ALLOW,
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resources: [managedRoles],
      conditions: { ArnLike: { 'iam:PolicyARN': [managedPolicies, userFlyteRolePolicy] } },
    }),
    new PolicyStatement({
      sid: sid('AttachToUserFlyteRole'),
      effect: Effect.ALLOW,
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resources: [userFlyteRole],
      conditions: { ArnLike: { 'iam:PolicyARN': [managedPolicies] } },
    }),
    new PolicyStatement({
      sid: sid('ReadRolesAndPolicies'),
      effect: Effect.ALLOW,
      actions: [
        'iam:GetRole',
        'iam:ListAttachedRolePolicies',
        'iam:ListRoleTags',
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
        'iam:ListPolicyVersions',
        'iam:ListPolicyTags',
      ],
      resources: [managedRoles, userFlyteRole, managedPolicies, userFlyteRolePolicy],
    }),
    new PolicyStatement({
      // These list calls have no resource-level permissions in IAM: Resource must be "*".
      sid: sid('ListAccountReadOnly'),
      effect: Effect.ALLOW,
      actions: ['iam:ListRoles', 'iam:ListPolicies', 'iam:GetAccountAuthorizationDetails'],
      resources: ['*'],
    }),
    new PolicyStatement({
      // R3: "You should not alter any settings associated with <AdminFlyteRole>", and the access
      // roles must never be changed by what they grant. An explicit Deny wins over any Allow.
      sid: sid('NeverTouchAdminFlyteRole'),
      effect: Effect.DENY,
      actions: ['iam:*'],
      resources: [
        adminFlyteRole,
        iamArn(account, 'role', `${ACCESS_ROLE_PATH}*`),
        ...(plane.applierRoleArn ? [plane.applierRoleArn] : []),
      ],
    }),
  ];
  statements.push(
    new PolicyStatement({
      // The boundary stays on every role and stays what it is: no removal anywhere, no write to
      // the boundary policy itself (it lies outside the managed path too), and no role passed on.
      sid: sid('NeverChangeBoundaries'),
      effect: Effect.DENY,
      actions: ['iam:DeleteRolePermissionsBoundary', 'iam:PassRole'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: `${sid('NeverChangeBoundaries')}Policy`,
      effect: Effect.DENY,
      actions: [...POLICY_WRITES],
      resources: [boundary],
    }),
    new PolicyStatement({
      // A role under the managed path can trust whoever the applier writes into it: the applier
      // itself never assumes one (an explicit Deny wins even over a same-account trust policy).
      sid: sid('NeverAssumeOwnRoles'),
      effect: Effect.DENY,
      actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      resources: [managedRoles],
    }),
  );
  return statements;
};

/** Creates the deployment's boundary policy (BOUNDARY_PATH/BOUNDARY_NAME) in the scope's account. */
export const createTaskBoundary = (scope: Construct, id: string): ManagedPolicy => {
  const policy = new ManagedPolicy(scope, id, {
    managedPolicyName: BOUNDARY_NAME,
    path: BOUNDARY_PATH,
    description:
      'grantplane: permissions boundary of every task role grantplane creates (no identity administration, no role assumption)',
    statements: boundaryStatements(),
  });
  Validations.of(policy).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Action::*]',
      reason:
        'A permissions boundary caps, it grants nothing: what a task role may do is what its grants allow (checked by the guardrails); the boundary removes identity administration on top.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'A permissions boundary caps every resource alike; the grants name the resources.',
    },
  );
  return policy;
};

/**
 * The permissions boundary the deployment creates when none is configured (docs/deploy.md): task
 * roles may do what grants give them, but never administer identity — no IAM, Organizations,
 * account, SSO or Identity Store writes, no role assumption, no role passing — whatever a policy
 * attached to them says. A deployment that needs a tighter cap configures its own boundary.
 */
export const boundaryStatements = (): PolicyStatement[] => {
  const writeVerbs = ['Create', 'Delete', 'Put', 'Attach', 'Detach', 'Update', 'Add', 'Remove', 'Set', 'Tag', 'Untag'];
  const services = ['iam', 'organizations', 'account', 'sso', 'identitystore'];
  return [
    new PolicyStatement({
      sid: 'GrantsDecide',
      effect: Effect.ALLOW,
      actions: ['*'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'NeverAdministerIdentity',
      effect: Effect.DENY,
      actions: [
        ...services.flatMap((service) => writeVerbs.map((verb) => `${service}:${verb}*`)),
        'iam:PassRole',
        'iam:Upload*',
        'iam:Change*',
        'iam:Reset*',
        'iam:Enable*',
        'iam:Deactivate*',
        'iam:Resync*',
        'sts:AssumeRole',
        'sts:AssumeRoleWithSAML',
        'sts:AssumeRoleWithWebIdentity',
        'sts:GetFederationToken',
      ],
      resources: ['*'],
    }),
  ];
};

/** The drift check's share: reads and lists only, plus the same explicit Deny. */
export const readOnlyStatements = (plane: PlaneAccess): PolicyStatement[] =>
  applierStatements(plane).filter((statement) =>
    (['ReadRolesAndPolicies', 'ListAccountReadOnly', 'NeverTouchAdminFlyteRole'] as const).some(
      (name) => statement.sid === `${name}${sidSuffix(plane.name)}`,
    ),
  );

/**
 * cdk-nag: the applier's wildcards are the managed path itself (R3), and each is acknowledged by
 * its exact finding id, so any other wildcard on the same policy still fails synth.
 */
export const acknowledgeApplierWildcards = (scope: IConstruct, plane: PlaneAccess): void => {
  const account = plane.accountId;
  const findings: Array<[string, string]> = [
    [
      `Resource::arn:aws:iam::${account}:role${plane.managedPath}*`,
      `R3: grantplane creates and changes only roles under its managed path ${plane.managedPath}; the role names are derived from project-domain pairs and not known at deploy time.`,
    ],
    [
      `Resource::arn:aws:iam::${account}:policy${plane.managedPath}*`,
      `R3/C1-C3: grantplane's compiled policies live under ${plane.managedPath}; their names depend on the declared grants.`,
    ],
    [
      `Resource::arn:aws:iam::${account}:role${ACCESS_ROLE_PATH}*`,
      'Used only in an explicit Deny: the cross-account access roles can never be changed by the applier.',
    ],
    [
      'Action::iam:*',
      'Used only in an explicit Deny on <AdminFlyteRole> and the access roles (R3); no Allow statement has a wildcard action.',
    ],
  ];
  for (const [finding, reason] of findings) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
};

/** The acknowledgement of `Resource::*` for IAM's list calls, which support no resource-level scoping. */
export const IAM_LIST_ACKNOWLEDGEMENT = {
  id: 'AwsSolutions-IAM5[Resource::*]',
  reason:
    'iam:ListRoles, iam:ListPolicies and iam:GetAccountAuthorizationDetails (read-only, used by the drift check, A1) and X-Ray PutTraceSegments/PutTelemetryRecords accept only Resource "*"; no write action is allowed on "*".',
} as const;
