import { describe, expect, it } from 'vitest';
import { ConfigError, formatPath, parseConfig } from '../../lib/domain/config.js';
import { ACCOUNT, config, prodPlane } from './engine-fixtures.js';

function configError(raw: unknown): ConfigError {
  try {
    parseConfig(raw);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

describe('parseConfig (docs/configuration.md)', () => {
  it('fills the documented defaults derived from orgPrefix', () => {
    const config = parseConfig({ dataPlanes: [prodPlane()] });
    expect(config.dataPlanes[0]).toEqual({
      ...prodPlane(),
      userFlyteRoleName: 'acme-userflyterole',
      adminFlyteRoleName: 'acme-adminflyterole',
      userFlyteRolePolicyName: 'userflyterole',
      workerNodeGroupRoleName: 'unionai-acme-flyteworker-node-group',
      managedPath: '/grantplane/',
      internalBucketPatterns: ['opta-*', 'union-*'],
      permissionsBoundaryArn: null,
      maxPoliciesPerRole: 10,
      maxGrantDays: 90,
      autoApproveDomains: [],
      attributes: {},
      driftMode: 'detect',
      roleDeletionGraceMinutes: 60,
      binding: 'uctl',
    });
    expect(config.webhooks).toEqual({});
  });

  it('keeps explicit values and turns YAML numbers in attributes into strings', () => {
    const config = parseConfig({
      dataPlanes: [
        prodPlane({
          maxPoliciesPerRole: 20,
          attributes: { 'flytesnacks/production': { projectQuotaCpu: 64, projectQuotaMemory: '256Gi' } },
        }),
      ],
    });
    const plane = config.dataPlanes[0];
    expect(plane?.cloud === 'aws' && plane.maxPoliciesPerRole).toBe(20);
    expect(plane?.cloud === 'aws' && plane.attributes).toEqual({
      'flytesnacks/production': { projectQuotaCpu: '64', projectQuotaMemory: '256Gi' },
    });
  });

  it('accepts gcp and azure planes with only name, cloud, region, domains and projects', () => {
    const config = parseConfig({
      dataPlanes: [
        { name: 'g', cloud: 'gcp', region: 'us-central1', domains: ['development'], projects: '*' },
        { name: 'a', cloud: 'azure', region: 'eastus', domains: ['production'], projects: ['p1'] },
      ],
    });
    expect(config.dataPlanes.map((plane) => plane.cloud)).toEqual(['gcp', 'azure']);
  });

  it('parses the webhooks section with the Jira status map', () => {
    const config = parseConfig({
      dataPlanes: [prodPlane()],
      webhooks: {
        jira: {
          grantField: 'customfield_10042',
          dataPlane: 'prod',
          statuses: { Approved: 'approve', "Won't Do": 'close' },
        },
      },
    });
    expect(config.webhooks.jira).toEqual({
      grantField: 'customfield_10042',
      dataPlane: 'prod',
      statuses: { Approved: 'approve', "Won't Do": 'close' },
    });
  });

  it.each([
    [
      { dataPlanes: [prodPlane(), prodPlane({ name: 'dev' })] },
      'dataPlanes[1].accountId',
      `dataPlanes[1].accountId: two AWS planes share account ${ACCOUNT} (also dataPlanes[0])`,
    ],
    [
      { dataPlanes: [prodPlane(), prodPlane({ accountId: '999999999999' })] },
      'dataPlanes[1].name',
      'dataPlanes[1].name: duplicate plane name "prod" (also dataPlanes[0])',
    ],
    [{ dataPlanes: [prodPlane({ accountId: '12345' })] }, 'dataPlanes[0].accountId', undefined],
    [{ dataPlanes: [prodPlane({ accountId: 123456789012 })] }, 'dataPlanes[0].accountId', undefined],
    [{ dataPlanes: [prodPlane({ region: 'moon' })] }, 'dataPlanes[0].region', undefined],
    [{ dataPlanes: [prodPlane({ cloud: 'oracle' })] }, 'dataPlanes[0].cloud', undefined],
    [{ dataPlanes: [prodPlane({ domains: ['Dev'] })] }, 'dataPlanes[0].domains[0]', undefined],
    [{ dataPlanes: [prodPlane({ managedPath: 'grantplane' })] }, 'dataPlanes[0].managedPath', undefined],
    // a wildcard in the path would stretch the applier's path-scoped permissions
    [{ dataPlanes: [prodPlane({ managedPath: '/grant*/' })] }, 'dataPlanes[0].managedPath', undefined],
    [
      { dataPlanes: [prodPlane({ applierRoleArn: 'arn:aws:iam::999999999999:role/grantplane-applier' })] },
      'dataPlanes[0].applierRoleArn',
      `dataPlanes[0].applierRoleArn: must be in account ${ACCOUNT}`,
    ],
    [
      { dataPlanes: [prodPlane({ permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/grantplane/boundary` })] },
      'dataPlanes[0].permissionsBoundaryArn',
      'dataPlanes[0].permissionsBoundaryArn: must not be under the managed path /grantplane/, where the applier could rewrite it',
    ],
    [{ dataPlanes: [prodPlane({ autoApproveDomains: ['qa'] })] }, 'dataPlanes[0].autoApproveDomains[0]', undefined],
    [{ dataPlanes: [prodPlane({ maxPolicesPerRole: 20 })] }, 'dataPlanes[0].maxPolicesPerRole', undefined],
    [
      { dataPlanes: [prodPlane({ attributes: { 'flytesnacks/qa': {} } })] },
      'dataPlanes[0].attributes.flytesnacks/qa',
      undefined,
    ],
    [{ dataPlanes: [prodPlane()], webhooks: { jira: { dataPlane: 'nope' } } }, 'webhooks.jira.dataPlane', undefined],
    [{ dataPlanes: [] }, 'dataPlanes', undefined],
    [
      { dataPlanes: [{ name: 'g', cloud: 'gcp', region: 'us-central1', domains: ['d'] }] },
      'dataPlanes[0].projects',
      undefined,
    ],
    ['not an object', '(config)', undefined],
    [
      { dataPlanes: [prodPlane({ accountId: undefined })] },
      'dataPlanes[0].accountId',
      'dataPlanes[0].accountId: is required (string)',
    ],
    [
      { dataPlanes: [prodPlane({ oidcProvider: 'https://oidc.eks.us-west-2.amazonaws.com/id/X' })] },
      'dataPlanes[0].oidcProvider',
      undefined,
    ],
    [
      { dataPlanes: [prodPlane({ projects: 'all' })] },
      'dataPlanes[0].projects',
      'dataPlanes[0].projects: must be "*" or a list of project names (DNS labels)',
    ],
  ])('rejects a broken configuration naming the key (%#)', (raw, key, message) => {
    const error = configError(raw);
    expect(error.key).toBe(key);
    expect(error.message.startsWith(`${key}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
    if (message !== undefined) expect(error.message).toBe(message);
  });
});

describe('binding (docs/configuration.md: uctl on Union, flytectl on Flyte OSS)', () => {
  it('refuses an unknown tool, an attribute name that is not one, and configured attributes that set the role', () => {
    const problems = (plane: Record<string, unknown>) => {
      try {
        config(prodPlane(plane));
        return [];
      } catch (error: unknown) {
        return (error as ConfigError).problems.map((problem) => `${formatPath(problem.path)}: ${problem.message}`);
      }
    };
    expect(problems({ binding: 'kubectl' }).join('\n')).toContain('dataPlanes[0].binding');
    expect(problems({ binding: 'flytectl', bindingAttribute: 'default-iam-role' }).join('\n')).toContain(
      'dataPlanes[0].bindingAttribute: must be an attribute name',
    );
    expect(problems({ binding: 'flytectl', attributes: { 'flytesnacks/staging': { defaultIamRole: 'x' } } })).toEqual([
      "dataPlanes[0].attributes.flytesnacks/staging.defaultIamRole: grantplane sets defaultIamRole (the plane's binding attribute); leave it out",
    ]);
    expect(problems({ attributes: { 'flytesnacks/staging': { defaultIamRole: 'x' } } })).toEqual([]); // uctl: just another key
  });
});
