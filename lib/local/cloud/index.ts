// The local stack's GCP and Azure: the Cloud Storage IAM stand-in (any bucket exists) and the Azure
// Resource Manager role assignment stand-in (HTTPS, its own certificate), and the real SDK clients
// pointed at them — what `npm start` and the tests apply GCP and Azure planes with.
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { Storage } from '@google-cloud/storage';
import { makeRoleAssignmentGateway } from '../../adapters/azure/role-assignments.js';
import { makeBucketPolicyGateway } from '../../adapters/gcp/bucket-iam.js';
import type { CloudSource } from '../../app/cloud-apply.js';
import { cachedCloudSource } from '../../wiring/cloud.js';
import { startArmAuthorizationServer, STAND_IN_CA, type ArmAuthorizationServer } from './arm-authorization-server.js';
import { startGcsIamServer, type GcsIamServer, type GcsIamServerOptions } from './gcs-iam-server.js';

/** A token the ARM stand-in accepts (it checks that one is sent, as ARM does, not what it says). */
const standInCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'local-stand-in', expiresOnTimestamp: Date.now() + 3600_000 }),
};

/** The SDK clients of every GCP and Azure plane, pointed at the stand-ins. */
export function standInCloudSource(endpoints: { gcs: string; arm: string }): CloudSource {
  return cachedCloudSource(async (plane) =>
    plane.cloud === 'gcp'
      ? {
          policies: makeBucketPolicyGateway(
            new Storage({ apiEndpoint: endpoints.gcs, projectId: plane.projectId ?? 'local' }),
          ),
        }
      : {
          assignments: makeRoleAssignmentGateway(
            new AuthorizationManagementClient(standInCredential, plane.subscriptionId ?? '', {
              endpoint: endpoints.arm,
              credentialScopes: [`${endpoints.arm}/.default`],
              tlsOptions: { ca: STAND_IN_CA },
              retryOptions: { maxRetries: 1 },
            }),
          ),
        },
  );
}

export interface CloudStandIns {
  gcs: GcsIamServer;
  arm: ArmAuthorizationServer;
  source: CloudSource;
  close(): Promise<void>;
}

export async function startCloudStandIns(
  options: { gcs?: GcsIamServerOptions; armPort?: number } = {},
): Promise<CloudStandIns> {
  const gcs = await startGcsIamServer(options.gcs ?? { anyBucket: true });
  const arm = await startArmAuthorizationServer(options.armPort === undefined ? {} : { port: options.armPort });
  return {
    gcs,
    arm,
    source: standInCloudSource({ gcs: gcs.endpoint, arm: arm.endpoint }),
    close: async () => {
      await Promise.all([gcs.close(), arm.close()]);
    },
  };
}
