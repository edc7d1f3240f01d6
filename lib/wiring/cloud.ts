// GCP and Azure clients per plane for the applier and the drift check, from each SDK's standard
// credentials (docs/gcp-azure.md "Credentials"): Application Default Credentials for Cloud Storage
// (on Lambda, a workload identity federation configuration from AWS in GOOGLE_APPLICATION_CREDENTIALS;
// STORAGE_EMULATOR_HOST honoured), DefaultAzureCredential for Azure Resource Manager (on Lambda, a
// federated credential: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE). The SDKs are
// loaded on first use, so a deployment without GCP or Azure planes never initialises them.
import { makeRoleAssignmentGateway } from '../adapters/azure/role-assignments.js';
import { makeBucketPolicyGateway } from '../adapters/gcp/bucket-iam.js';
import type { CloudGateway, CloudSource } from '../app/cloud-apply.js';
import type { OtherDataPlaneConfig } from '../domain/config.js';

async function liveGateway(plane: OtherDataPlaneConfig): Promise<CloudGateway> {
  if (plane.cloud === 'gcp') {
    const { Storage } = await import('@google-cloud/storage');
    return {
      policies: makeBucketPolicyGateway(
        new Storage(plane.projectId === undefined ? {} : { projectId: plane.projectId }),
      ),
    };
  }
  const [{ AuthorizationManagementClient }, { DefaultAzureCredential }] = await Promise.all([
    import('@azure/arm-authorization'),
    import('@azure/identity'),
  ]);
  return {
    assignments: makeRoleAssignmentGateway(
      new AuthorizationManagementClient(new DefaultAzureCredential(), plane.subscriptionId ?? ''),
    ),
  };
}

/** One gateway per plane, made on first use and kept; a failed construction is tried again next time. */
export function cachedCloudSource(make: (plane: OtherDataPlaneConfig) => Promise<CloudGateway>): CloudSource {
  const made = new Map<string, Promise<CloudGateway>>();
  return (plane) => {
    let gateway = made.get(plane.name);
    if (gateway === undefined) {
      gateway = make(plane);
      gateway.catch(() => made.delete(plane.name));
      made.set(plane.name, gateway);
    }
    return gateway;
  };
}

let override: CloudSource | undefined;

/**
 * Sets the clients liveCloudSource gives from now on: the local stack (`npm start`) passes its
 * stand-ins', so the handlers it runs in-process (POST /v1/drift-checks) reach them too.
 */
export function useLiveCloudSource(source: CloudSource): void {
  override = source;
}

/** The deployed applier's and drift check's GCP and Azure clients. */
export const liveCloudSource = (): CloudSource => override ?? cachedCloudSource(liveGateway);
