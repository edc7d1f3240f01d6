// The deployed GCP and Azure clients per plane, from each SDK's standard credentials (docs/gcp-azure.md
// "Credentials"): Application Default Credentials for Google (on Lambda, a workload identity
// federation configuration from AWS in GOOGLE_APPLICATION_CREDENTIALS; STORAGE_EMULATOR_HOST
// honoured), and for Azure Resource Manager either AWS outbound identity federation
// (GRANTPLANE_AZURE_FEDERATION=aws: an STS-signed token as the client assertion for AZURE_TENANT_ID
// / AZURE_CLIENT_ID) or DefaultAzureCredential. Endpoints can be moved for private or sovereign
// clouds (and the tests' stand-ins): GRANTPLANE_SECRET_MANAGER_ENDPOINT,
// GRANTPLANE_ARTIFACT_REGISTRY_ENDPOINT, GRANTPLANE_AZURE_ARM_ENDPOINT, AZURE_AUTHORITY_HOST.
// A module of its own, shipped next to the applier's and drift check's bundles (the stack builds it
// as cloud-clients.mjs) and imported on first use, so the SDKs cost a cold start nothing on a
// deployment without GCP or Azure planes.
import { STSClient } from '@aws-sdk/client-sts';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import { ClientAssertionCredential, DefaultAzureCredential } from '@azure/identity';
import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { Storage } from '@google-cloud/storage';
import { stsWebIdentityAssertion } from '../adapters/azure/aws-federation.js';
import { makeRoleAssignmentGateway } from '../adapters/azure/role-assignments.js';
import { makeBucketPolicyGateway } from '../adapters/gcp/bucket-iam.js';
import { makeGcpPolicyGateway } from '../adapters/gcp/resource-iam.js';
import type { CloudGateway } from '../app/cloud-apply.js';
import type { OtherDataPlaneConfig } from '../domain/config.js';

type Environment = Record<string, string | undefined>;

/** A variable of the function's environment that cannot be used; the message names it. */
export class CloudClientsError extends Error {
  override readonly name = 'CloudClientsError';
}

const endpointOf = (env: Environment, name: string): URL | undefined => {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  try {
    return new URL(value);
  } catch (error: unknown) {
    throw new CloudClientsError(`${name}=${value} is not a URL; give one like https://host[:port]`, { cause: error });
  }
};

/** The REST transport of a Google API client, at its default host or the one `name` gives. */
const googleRest = (env: Environment, name: string) => {
  const url = endpointOf(env, name);
  if (url === undefined) return { fallback: true as const };
  const protocol = url.protocol.replace(/:$/, '');
  return {
    fallback: true as const,
    apiEndpoint: url.hostname,
    port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port),
    protocol,
  };
};

/** How grantplane authenticates to Azure: AWS outbound identity federation, or the SDK's default chain. */
export function azureCredential(env: Environment = process.env): TokenCredential {
  const federation = env['GRANTPLANE_AZURE_FEDERATION'];
  if (federation === undefined || federation === '') return new DefaultAzureCredential();
  if (federation !== 'aws')
    throw new CloudClientsError(
      `GRANTPLANE_AZURE_FEDERATION=${federation} is not known; set it to "aws" (STS-signed tokens) or leave it unset (DefaultAzureCredential)`,
    );
  const tenantId = env['AZURE_TENANT_ID'];
  const clientId = env['AZURE_CLIENT_ID'];
  for (const [name, value] of [
    ['AZURE_TENANT_ID', tenantId],
    ['AZURE_CLIENT_ID', clientId],
  ] as const)
    if (value === undefined || value === '')
      throw new CloudClientsError(
        `GRANTPLANE_AZURE_FEDERATION=aws needs ${name}: the Microsoft Entra tenant and the application (client) id whose federated credential trusts this function's role`,
      );
  // A configured authority (a sovereign or private cloud) is trusted as given: MSAL's instance
  // discovery would ask the public cloud's login host about it.
  const authorityHost = env['AZURE_AUTHORITY_HOST'];
  return new ClientAssertionCredential(tenantId!, clientId!, stsWebIdentityAssertion(new STSClient({})), {
    ...(authorityHost === undefined || authorityHost === '' ? {} : { authorityHost, disableInstanceDiscovery: true }),
  });
}

export async function liveGateway(plane: OtherDataPlaneConfig, env: Environment = process.env): Promise<CloudGateway> {
  if (plane.cloud === 'gcp') {
    // Secret Manager and Artifact Registry over their REST transport: no gRPC runtime to bundle. The
    // plane's project given, so that credentials from federation do not look it up (a Cloud
    // Resource Manager call and permission the documents do not ask for).
    const project = plane.projectId === undefined ? {} : { projectId: plane.projectId };
    const secrets = new SecretManagerServiceClient({
      ...googleRest(env, 'GRANTPLANE_SECRET_MANAGER_ENDPOINT'),
      ...project,
    });
    const repositories = new ArtifactRegistryClient({
      ...googleRest(env, 'GRANTPLANE_ARTIFACT_REGISTRY_ENDPOINT'),
      ...project,
    });
    return {
      policies: makeGcpPolicyGateway({
        buckets: makeBucketPolicyGateway(new Storage(project)),
        secrets,
        repositories,
      }),
    };
  }
  const arm = endpointOf(env, 'GRANTPLANE_AZURE_ARM_ENDPOINT');
  const endpoint = arm?.origin;
  return {
    assignments: makeRoleAssignmentGateway(
      new AuthorizationManagementClient(
        azureCredential(env),
        plane.subscriptionId ?? '',
        endpoint === undefined ? {} : { endpoint, credentialScopes: [`${endpoint}/.default`] },
      ),
    ),
  };
}
