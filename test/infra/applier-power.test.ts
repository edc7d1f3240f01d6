// The applier's own power, simulated as IAM evaluates the synthesized policies (docs/deploy.md), with
// the shipped example configuration (no permissionsBoundaryArn: the deployment creates its own):
// every role it creates carries a boundary it cannot change, it removes no boundary, assumes only
// the configured plane access roles and never a role it made, passes no role; the drift check reads
// only, at home and in the plane accounts (its own read-only role per plane).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { buildApp } from '../../infra/build-app.js';
import { REPO_ROOT } from '../../infra/config.js';
import { allowed, statementsOf, type Statement } from './iam-eval.js';

const HOME = '123456789012';
const REMOTE = '210987654321';
const BOUNDARY = `arn:aws:iam::${HOME}:policy/grantplane-boundary/grantplane-task-boundary`;
const REMOTE_BOUNDARY = `arn:aws:iam::${REMOTE}:policy/grantplane-boundary/grantplane-task-boundary`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const OWN_ROLE = `arn:aws:iam::${HOME}:role/grantplane/acme-flytesnacks-development`;
const OWN_POLICY = `arn:aws:iam::${HOME}:policy/grantplane/grantplane-flytesnacks-development-1`;
const REMOTE_APPLIER = `arn:aws:iam::${REMOTE}:role/grantplane-access/grantplane-applier`;
const REMOTE_DRIFT = `${REMOTE_APPLIER}-drift`;

let stateless: Template;
let planeAccess: Template;

/** Every statement of every policy (inline or managed) attached to a role of a template. */
const statementsOfRole = (template: Template, match: (roleRef: unknown) => boolean): Statement[] =>
  [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ]
    .map((policy) =>
      z
        .looseObject({
          Properties: z.looseObject({ Roles: z.array(z.unknown()).optional(), PolicyDocument: z.unknown() }),
        })
        .parse(policy),
    )
    .filter((policy) => (policy.Properties.Roles ?? []).some(match))
    .flatMap((policy) => statementsOf(policy.Properties.PolicyDocument));

const roleRef = (template: Template, roleName: string) => {
  const [id] = Object.entries(template.findResources('AWS::IAM::Role')).find(
    ([, role]) =>
      z.looseObject({ Properties: z.looseObject({ RoleName: z.unknown() }) }).parse(role).Properties.RoleName ===
      roleName,
  ) ?? [undefined];
  if (id === undefined) throw new Error(`no role ${roleName}`);
  return (ref: unknown) => JSON.stringify(ref) === JSON.stringify({ Ref: id });
};

const boundaryOf = (template: Template): Statement[] => {
  const found = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
    .map((policy) =>
      z
        .looseObject({
          Properties: z.looseObject({ ManagedPolicyName: z.string().optional(), PolicyDocument: z.unknown() }),
        })
        .parse(policy),
    )
    .filter((policy) => policy.Properties.ManagedPolicyName === 'grantplane-task-boundary');
  if (found.length !== 1) throw new Error(`expected one task boundary, found ${found.length}`);
  return statementsOf(found[0]!.Properties.PolicyDocument);
};

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'grantplane-power-'));
  const app = new App({
    context: {
      'grantplane:config': join(REPO_ROOT, 'examples/grantplane.config.yaml'),
      jwtIssuer: 'https://acme.okta.com/oauth2/default',
      jwtAudience: 'api://grantplane',
      homeAccount: HOME,
      'aws:cdk:bundling-stacks': [],
    },
    outdir: join(dir, 'out'),
  });
  const built = buildApp(app);
  stateless = Template.fromStack(built.stateless);
  const access = built.planeAccess[0];
  if (access === undefined) throw new Error('the example config has a plane in another account');
  planeAccess = Template.fromStack(access);
}, 120_000);

type Request = [action: string, resource: string, context?: Record<string, string>];

describe("the applier's power, simulated (shipped config: the deployment's own boundary)", () => {
  let applier: Statement[];
  let remote: Statement[];
  beforeAll(() => {
    applier = statementsOfRole(stateless, roleRef(stateless, 'grantplane-applier'));
    remote = statementsOfRole(planeAccess, roleRef(planeAccess, 'grantplane-applier'));
  });

  it('allows what the applier does: roles with the boundary, its own policies, the configured plane access role', () => {
    const needed: Request[] = [
      ['iam:CreateRole', OWN_ROLE, { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:PutRolePermissionsBoundary', OWN_ROLE, { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:CreatePolicy', OWN_POLICY],
      ['iam:CreatePolicyVersion', OWN_POLICY],
      ['iam:AttachRolePolicy', OWN_ROLE, { 'iam:PolicyARN': OWN_POLICY }],
      ['sts:AssumeRole', REMOTE_APPLIER],
    ];
    for (const [action, resource, context] of needed)
      expect(allowed(applier, action, resource, context), `${action} ${resource}`).toBe(true);
  });

  it('denies every step of the path to admin', () => {
    const denied: Request[] = [
      ['iam:CreateRole', OWN_ROLE],
      ['iam:CreateRole', OWN_ROLE, { 'iam:PermissionsBoundary': ADMIN }],
      ['iam:PutRolePermissionsBoundary', OWN_ROLE, { 'iam:PermissionsBoundary': ADMIN }],
      ['iam:DeleteRolePermissionsBoundary', OWN_ROLE],
      ['iam:CreatePolicyVersion', BOUNDARY],
      ['iam:SetDefaultPolicyVersion', BOUNDARY],
      ['iam:DeletePolicy', BOUNDARY],
      ['iam:AttachRolePolicy', OWN_ROLE, { 'iam:PolicyARN': ADMIN }],
      ['sts:AssumeRole', OWN_ROLE],
      ['sts:AssumeRole', REMOTE_DRIFT],
      ['sts:AssumeRole', `arn:aws:iam::${REMOTE}:role/grantplane/acme-analytics-development`],
      ['iam:PassRole', OWN_ROLE],
      ['iam:PassRole', '*'],
    ];
    for (const [action, resource, context] of denied)
      expect(allowed(applier, action, resource, context), `${action} ${resource}`).toBe(false);
  });

  it('holds the same in the plane account: its boundary, no removal, no assuming its own roles', () => {
    expect(
      allowed(remote, 'iam:CreateRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`, {
        'iam:PermissionsBoundary': REMOTE_BOUNDARY,
      }),
    ).toBe(true);
    const denied: Request[] = [
      ['iam:CreateRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
      ['iam:CreateRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`, { 'iam:PermissionsBoundary': ADMIN }],
      ['iam:DeleteRolePermissionsBoundary', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
      ['iam:CreatePolicyVersion', REMOTE_BOUNDARY],
      ['sts:AssumeRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
      ['iam:PassRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
    ];
    for (const [action, resource, context] of denied)
      expect(allowed(remote, action, resource, context), `${action} ${resource}`).toBe(false);
  });

  it('creates the boundary outside the managed path; it caps identity administration, not data access', () => {
    for (const template of [stateless, planeAccess]) {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        ManagedPolicyName: 'grantplane-task-boundary',
        Path: '/grantplane-boundary/',
      });
      const boundary = boundaryOf(template);
      expect(allowed(boundary, 's3:GetObject', 'arn:aws:s3:::acme-ml-data/x')).toBe(true);
      expect(allowed(boundary, 'secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-west-2:1:secret:x')).toBe(
        true,
      );
      for (const action of [
        'iam:CreateRole',
        'iam:AttachRolePolicy',
        'iam:PutRolePolicy',
        'iam:CreateAccessKey',
        'iam:PassRole',
        'iam:UpdateAssumeRolePolicy',
        'sts:AssumeRole',
        'organizations:CreateAccount',
      ])
        expect(allowed(boundary, action, '*'), action).toBe(false);
      expect(allowed(boundary, 'iam:GetRole', 'arn:aws:iam::1:role/x')).toBe(true);
    }
  });
});

describe('the drift check reads only, in every account', () => {
  it('at home: reads, and assumes only the plane read-only roles', () => {
    const drift = statementsOfRole(stateless, roleRef(stateless, 'grantplane-drift'));
    expect(allowed(drift, 'iam:GetAccountAuthorizationDetails', '*')).toBe(true);
    expect(allowed(drift, 'sts:AssumeRole', REMOTE_DRIFT)).toBe(true);
    expect(allowed(drift, 'sts:AssumeRole', REMOTE_APPLIER)).toBe(false);
    for (const action of ['iam:CreateRole', 'iam:CreatePolicyVersion', 'iam:DeleteRole', 'iam:AttachRolePolicy'])
      expect(
        allowed(drift, action, action.includes('Policy') ? OWN_POLICY : OWN_ROLE, {
          'iam:PermissionsBoundary': BOUNDARY,
          'iam:PolicyARN': OWN_POLICY,
        }),
        action,
      ).toBe(false);
  });

  it('in the plane account: its own role holds reads only', () => {
    const drift = statementsOfRole(planeAccess, roleRef(planeAccess, 'grantplane-applier-drift'));
    expect(allowed(drift, 'iam:GetPolicyVersion', `arn:aws:iam::${REMOTE}:policy/grantplane/p`)).toBe(true);
    for (const action of ['iam:CreateRole', 'iam:CreatePolicyVersion', 'iam:DeleteRole', 'iam:TagRole'])
      expect(
        allowed(drift, action, `arn:aws:iam::${REMOTE}:${action.includes('Policy') ? 'policy' : 'role'}/grantplane/x`, {
          'iam:PermissionsBoundary': REMOTE_BOUNDARY,
        }),
        action,
      ).toBe(false);
  });
});
