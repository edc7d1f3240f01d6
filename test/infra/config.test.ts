// Deployment settings (infra/config.ts): context and configuration are parsed once, and a wrong
// value stops synth naming the key. No synth here: these run in milliseconds.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { InfraConfigError, loadInfraSettings } from '../../infra/config.js';
import { PlaneAccessStack } from '../../infra/stacks/plane-access-stack.js';

const PLANE = (extra = '', orgPrefix = 'orgPrefix: acme, ') =>
  `dataPlanes:\n  - { name: prod, cloud: aws, accountId: "123456789012", region: us-west-2, ${orgPrefix}oidcProvider: oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*"${extra} }\n`;

const configFile = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'grantplane-config-')), 'grantplane.config.yaml');
  writeFileSync(file, text);
  return file;
};

const reader = (values: Record<string, unknown>) => (key: string) => values[key];
const base = (file: string) => ({
  'grantplane:config': file,
  jwtIssuer: 'https://acme.okta.com/oauth2/default',
  jwtAudience: 'grantplane',
  homeAccount: '123456789012',
});

describe('loadInfraSettings', () => {
  it('derives the plane access from the configuration with the documented defaults (docs/configuration.md)', () => {
    const settings = loadInfraSettings(reader(base(configFile(PLANE()))));
    expect(settings.planes).toEqual([
      {
        name: 'prod',
        accountId: '123456789012',
        region: 'us-west-2',
        managedPath: '/grantplane/',
        userFlyteRoleName: 'acme-userflyterole',
        adminFlyteRoleName: 'acme-adminflyterole',
        userFlyteRolePolicyName: 'userflyterole',
        // None configured: the deployment's own, outside the managed path (docs/deploy.md).
        permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/grantplane-boundary/grantplane-task-boundary',
        createsBoundary: true,
        applierRoleArn: null,
        driftRoleArn: null,
      },
    ]);
    expect(settings.driftSchedule).toBe('rate(15 minutes)');
    expect(settings.jwtAudience).toEqual(['grantplane']);
  });

  it('bundles the configuration with the boundary and managed path the deployment decided', () => {
    const settings = loadInfraSettings(reader(base(configFile(PLANE()))));
    const bundled = JSON.parse(readFileSync(settings.configFile, 'utf8')) as { dataPlanes: Record<string, unknown>[] };
    expect(bundled.dataPlanes[0]).toMatchObject({
      name: 'prod',
      managedPath: '/grantplane/',
      permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/grantplane-boundary/grantplane-task-boundary',
    });
  });

  it.each([
    [
      'under the managed path',
      'arn:aws:iam::123456789012:policy/grantplane/boundary',
      /must not be under the managed path/,
    ],
    ['in another account', 'arn:aws:iam::999999999999:policy/boundary', /must be a policy of account 123456789012/],
    ['not a policy ARN', 'boundary', /must be an IAM policy ARN/],
  ])(
    'refuses a permissionsBoundaryArn %s: the applier could rewrite it, or it bounds nothing here',
    (_what, arn, message) => {
      expect(() => loadInfraSettings(reader(base(configFile(PLANE(`, permissionsBoundaryArn: "${arn}"`)))))).toThrow(
        message,
      );
    },
  );

  it('refuses at synth what the service would refuse at cold start: the file is read by its own parser', () => {
    const noIssuer = configFile(
      'dataPlanes:\n  - { name: prod, cloud: aws, accountId: "123456789012", region: us-west-2, orgPrefix: acme, domains: [development], projects: "*" }\n',
    );
    expect(() => loadInfraSettings(reader(base(noIssuer)))).toThrow(/dataPlanes\[0\]\.oidcProvider/);
    expect(() => loadInfraSettings(reader(base(configFile(PLANE(', managedPath: "/team*/"')))))).toThrow(
      /dataPlanes\[0\]\.managedPath: must look like \/grantplane\//,
    );
  });

  it("fills a plane's orgPrefix and managedPath from context and bundles them, so the service sees the same values", () => {
    const file = configFile(PLANE('', ''));
    expect(() => loadInfraSettings(reader(base(file)))).toThrow(/dataPlanes\[0\]\.orgPrefix.*\(or context orgPrefix\)/);
    const settings = loadInfraSettings(reader({ ...base(file), orgPrefix: 'zeta', managedPath: '/gp/' }));
    expect(settings.planes[0]).toMatchObject({ userFlyteRoleName: 'zeta-userflyterole', managedPath: '/gp/' });
    const bundled = JSON.parse(readFileSync(settings.configFile, 'utf8')) as { dataPlanes: Record<string, unknown>[] };
    expect(bundled.dataPlanes[0]).toMatchObject({ orgPrefix: 'zeta', managedPath: '/gp/' });
  });

  it('bundles a Google workload identity federation configuration, and refuses a service account key (docs/gcp-azure.md "Credentials")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-gcp-'));
    const federation = join(dir, 'federation.json');
    writeFileSync(
      federation,
      JSON.stringify({ type: 'external_account', audience: '//iam.googleapis.com/projects/1/x' }),
    );
    const key = join(dir, 'key.json');
    writeFileSync(key, JSON.stringify({ type: 'service_account', private_key: 'x' }));
    const file = configFile(PLANE());
    expect(loadInfraSettings(reader({ ...base(file), gcpCredentialConfig: federation })).gcpCredentialConfig).toBe(
      federation,
    );
    expect(loadInfraSettings(reader(base(file))).gcpCredentialConfig).toBeNull();
    expect(() => loadInfraSettings(reader({ ...base(file), gcpCredentialConfig: key }))).toThrow(
      /^context gcpCredentialConfig: .* "service_account" credential; give the workload identity federation configuration/,
    );
    expect(() => loadInfraSettings(reader({ ...base(file), gcpCredentialConfig: join(dir, 'none.json') }))).toThrow(
      /context gcpCredentialConfig: no file at/,
    );
  });

  it('takes Azure federation as a tenant and client id, both or neither (docs/gcp-azure.md "Credentials")', () => {
    const file = configFile(PLANE());
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const client = '11111111-2222-3333-4444-555555555555';
    expect(
      loadInfraSettings(reader({ ...base(file), azureTenantId: tenant, azureClientId: client })).azureFederation,
    ).toEqual({ tenantId: tenant, clientId: client });
    expect(loadInfraSettings(reader(base(file))).azureFederation).toBeNull();
    expect(() => loadInfraSettings(reader({ ...base(file), azureTenantId: tenant }))).toThrow(
      /^context azureClientId: missing; Azure federation needs both azureTenantId and azureClientId/,
    );
    expect(() => loadInfraSettings(reader({ ...base(file), azureTenantId: 'acme', azureClientId: client }))).toThrow(
      'context azureTenantId: "acme" is not a GUID',
    );
  });

  it('takes the drift schedule, audiences and alarm e-mail from context', () => {
    const settings = loadInfraSettings(
      reader({
        ...base(configFile(PLANE())),
        driftSchedule: 'rate(5 minutes)',
        jwtAudience: 'a, b',
        alarmEmail: 'ops@example.com',
      }),
    );
    expect(settings).toMatchObject({
      driftSchedule: 'rate(5 minutes)',
      jwtAudience: ['a', 'b'],
      alarmEmail: 'ops@example.com',
    });
  });

  it.each([
    ['jwtIssuer', { jwtIssuer: undefined }, /context jwtIssuer/],
    ['jwtIssuer over http', { jwtIssuer: 'http://acme.okta.com/' }, /context jwtIssuer/],
    // Placeholders deploy an API that answers 401 to everyone.
    ['placeholder jwtIssuer', { jwtIssuer: 'https://idp.example.com/' }, /jwtIssuer: .*placeholder/],
    ['placeholder jwtIssuer (.test)', { jwtIssuer: 'https://idp.acme.test/' }, /jwtIssuer: .*placeholder/],
    ['loopback jwtIssuer', { jwtIssuer: 'https://localhost:8443/' }, /jwtIssuer: .*placeholder/],
    ['homeAccount', { homeAccount: undefined }, /context homeAccount: required/],
    ['homeAccount not an account id', { homeAccount: 'prod' }, /context homeAccount/],
    ['jwtAudience', { jwtAudience: '' }, /context jwtAudience/],
    ['managedPath /', { managedPath: '/' }, /context managedPath/],
    ['roleMapping', { roleMapping: '{not json' }, /context roleMapping/],
    ['driftSchedule', { driftSchedule: 'every 5 minutes' }, /context driftSchedule/],
    ['config file', { 'grantplane:config': '/nonexistent/grantplane.yaml' }, /grantplane:config/],
  ])('stops on a bad %s, naming the key', (_name, override, message) => {
    const values = { ...base(configFile(PLANE())), ...override };
    expect(() => loadInfraSettings(reader(values))).toThrow(InfraConfigError);
    expect(() => loadInfraSettings(reader(values))).toThrow(message);
  });

  it('refuses an AWS plane in another account without an access role, and an access role in another account', () => {
    const file = configFile(PLANE());
    expect(() => loadInfraSettings(reader({ ...base(file), homeAccount: '999999999999' }))).toThrow(
      /dataPlanes\[0\]\.applierRoleArn: plane prod is in account 123456789012, not the home account 999999999999/,
    );
    // The CDK CLI's account stands in for a missing homeAccount.
    const fromCli = reader({ ...base(file), homeAccount: undefined, CDK_DEFAULT_ACCOUNT: '123456789012' });
    expect(loadInfraSettings(fromCli).homeAccount).toBe('123456789012');
    const wrong = configFile(PLANE(', applierRoleArn: "arn:aws:iam::999999999999:role/grantplane-access/a"'));
    expect(() => loadInfraSettings(reader(base(wrong)))).toThrow(/must be in account 123456789012/);
  });

  it('refuses an access role under the managed path: the applier could change its own permissions', () => {
    const file = configFile(PLANE(', applierRoleArn: "arn:aws:iam::123456789012:role/grantplane/applier"'));
    const [plane] = loadInfraSettings(reader(base(file))).planes;
    if (!plane) throw new Error('no plane');
    expect(
      () =>
        new PlaneAccessStack(new App(), 'Access', {
          plane,
          applierPrincipalArn: 'arn:aws:iam::111111111111:role/grantplane-applier',
          driftPrincipalArn: 'arn:aws:iam::111111111111:role/grantplane-drift',
        }),
    ).toThrow(/must not be under the managed path/);
  });
});
