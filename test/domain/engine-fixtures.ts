// Builders shared by the engine's tests (docs/configuration.md example configuration).
import { parseConfig, type AwsDataPlaneConfig, type GrantplaneConfig } from '../../lib/domain/config.js';
import type { CompiledTarget } from '../../lib/domain/model.js';

export const ACCOUNT = '123456789012';
export const OTHER_ACCOUNT = '210987654321';
export const OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
export const NOW = new Date('2026-11-23T00:00:00Z');

export function prodPlane(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'prod',
    cloud: 'aws',
    accountId: ACCOUNT,
    region: 'us-west-2',
    orgPrefix: 'acme',
    oidcProvider: OIDC,
    domains: ['development', 'staging', 'production'],
    projects: '*',
    ...overrides,
  };
}

export function config(...planes: Record<string, unknown>[]): GrantplaneConfig {
  return parseConfig({ dataPlanes: planes.length === 0 ? [prodPlane()] : planes });
}

export function awsPlane(cfg: GrantplaneConfig, name = 'prod'): AwsDataPlaneConfig {
  const plane = cfg.dataPlanes.find((candidate) => candidate.name === name);
  if (plane === undefined || plane.cloud !== 'aws') throw new Error(`no AWS plane ${name}`);
  return plane;
}

export const pair = (project: string, domain: string) => ({ type: 'project-domain', project, domain }) as const;
export const GLOBAL = { type: 'global' } as const;

export const s3 = (bucket: string, access: 'read' | 'read-write' = 'read', prefix?: string) =>
  prefix === undefined ? { type: 's3', bucket, access } : { type: 's3', bucket, prefix, access };

/** A plane's worth of drift to look for: a global read of acme-shared, flytesnacks/development writing acme-ml-data. */
export const GLOBAL_AND_PAIR_GRANTS = [
  { dataPlane: 'prod', scope: GLOBAL, resource: s3('acme-shared'), justification: 't' },
  {
    dataPlane: 'prod',
    scope: pair('flytesnacks', 'development'),
    resource: s3('acme-ml-data', 'read-write'),
    justification: 't',
  },
];

/** The compiled role of a pair `acme-<project>-<domain>` (managed under /grantplane/). */
export const pairRole = (
  project: string,
  domain: string,
  role: Partial<CompiledTarget['role']> = {},
): CompiledTarget['role'] => ({
  name: `acme-${project}-${domain}`,
  arn: `arn:aws:iam::${ACCOUNT}:role/grantplane/acme-${project}-${domain}`,
  managed: true,
  path: '/grantplane/',
  trustPolicy: null,
  permissionsBoundaryArn: null,
  tags: {},
  ...role,
});

/** The compiled role of the global target: Union's <UserFlyteRole>, which grantplane never manages. */
export const USER_FLYTE_ROLE: CompiledTarget['role'] = {
  name: 'acme-userflyterole',
  arn: `arn:aws:iam::${ACCOUNT}:role/acme-userflyterole`,
  managed: false,
  path: '/',
  trustPolicy: null,
  permissionsBoundaryArn: null,
  tags: {},
};
