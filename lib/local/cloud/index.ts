// The local stack's GCP and Azure: the Cloud Storage IAM stand-in (any bucket exists) and the Azure
// Resource Manager role assignment stand-in (HTTPS, its own certificate), and the real SDK clients
// pointed at them — what `npm start` and the tests apply GCP and Azure planes with.
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { Storage } from '@google-cloud/storage';
import { makeRoleAssignmentGateway } from '../../adapters/azure/role-assignments.js';
import { makeBucketPolicyGateway } from '../../adapters/gcp/bucket-iam.js';
import { makeGcpPolicyGateway } from '../../adapters/gcp/resource-iam.js';
import type { CloudSource } from '../../app/cloud-apply.js';
import { cachedCloudSource } from '../../wiring/cloud.js';
import { startArmAuthorizationServer, STAND_IN_CA, type ArmAuthorizationServer } from './arm-authorization-server.js';
import { startGcpIamServer, type GcpIamServer } from './gcp-iam-server.js';
import { startGcsIamServer, type GcsIamServer, type GcsIamServerOptions } from './gcs-iam-server.js';

/** A token the ARM stand-in accepts (it checks that one is sent, as ARM does, not what it says). */
const standInCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'local-stand-in', expiresOnTimestamp: Date.now() + 3600_000 }),
};

/**
 * What the REST transport of the Secret Manager and Artifact Registry clients authenticates with:
 * a bearer token the stand-in accepts, on the global fetch (google-auth-library's clients offer
 * the same two methods).
 */
const standInAuthClient = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer local-stand-in' }),
  fetch: (url: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', 'Bearer local-stand-in');
    return fetch(url, { ...init, headers });
  },
};

/** The SDK clients of every GCP and Azure plane, pointed at the stand-ins. */
export function standInCloudSource(endpoints: { gcs: string; gcpIamPort: number; arm: string }): CloudSource {
  const rest = {
    fallback: true,
    apiEndpoint: '127.0.0.1',
    port: endpoints.gcpIamPort,
    protocol: 'http',
    authClient: standInAuthClient as never,
  };
  return cachedCloudSource(async (plane) => {
    if (plane.cloud === 'gcp') {
      const secrets = new SecretManagerServiceClient(rest);
      const repositories = new ArtifactRegistryClient(rest);
      return {
        policies: makeGcpPolicyGateway({
          buckets: makeBucketPolicyGateway(
            new Storage({ apiEndpoint: endpoints.gcs, projectId: plane.projectId ?? 'local' }),
          ),
          secrets,
          repositories,
        }),
      };
    }
    return {
      assignments: makeRoleAssignmentGateway(
        new AuthorizationManagementClient(standInCredential, plane.subscriptionId ?? '', {
          endpoint: endpoints.arm,
          credentialScopes: [`${endpoints.arm}/.default`],
          tlsOptions: { ca: STAND_IN_CA },
          retryOptions: { maxRetries: 1 },
        }),
      ),
    };
  });
}

export interface CloudStandIns {
  gcs: GcsIamServer;
  /** Secret Manager and Artifact Registry IAM. */
  gcpIam: GcpIamServer;
  arm: ArmAuthorizationServer;
  source: CloudSource;
  close(): Promise<void>;
}

export async function startCloudStandIns(
  options: { gcs?: GcsIamServerOptions; anyResource?: boolean; armPort?: number; gcpIamPort?: number } = {},
): Promise<CloudStandIns> {
  const gcs = await startGcsIamServer(options.gcs ?? { anyBucket: true });
  const gcpIam = await startGcpIamServer({
    anyResource: options.anyResource ?? true,
    ...(options.gcpIamPort === undefined ? {} : { port: options.gcpIamPort }),
  });
  const arm = await startArmAuthorizationServer(options.armPort === undefined ? {} : { port: options.armPort });
  return {
    gcs,
    gcpIam,
    arm,
    source: standInCloudSource({ gcs: gcs.endpoint, gcpIamPort: gcpIam.port, arm: arm.endpoint }),
    close: async () => {
      await Promise.all([gcs.close(), gcpIam.close(), arm.close()]);
    },
  };
}
