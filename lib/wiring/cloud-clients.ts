// The deployed GCP and Azure clients per plane, from each SDK's standard credentials (docs/gcp-azure.md
// "Credentials"): Application Default Credentials for Cloud Storage (on Lambda, a workload identity
// federation configuration from AWS in GOOGLE_APPLICATION_CREDENTIALS; STORAGE_EMULATOR_HOST
// honoured), DefaultAzureCredential for Azure Resource Manager (on Lambda, a federated credential:
// AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE). A module of its own, shipped next to
// the applier's and drift check's bundles (the stack builds it as cloud-clients.mjs) and imported
// on first use, so the SDKs cost a cold start nothing on a deployment without GCP or Azure planes.
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { DefaultAzureCredential } from '@azure/identity';
import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { Storage } from '@google-cloud/storage';
import { makeRoleAssignmentGateway } from '../adapters/azure/role-assignments.js';
import { makeBucketPolicyGateway } from '../adapters/gcp/bucket-iam.js';
import { makeGcpPolicyGateway } from '../adapters/gcp/resource-iam.js';
import type { CloudGateway } from '../app/cloud-apply.js';
import type { OtherDataPlaneConfig } from '../domain/config.js';

export async function liveGateway(plane: OtherDataPlaneConfig): Promise<CloudGateway> {
  if (plane.cloud === 'gcp') {
    // Secret Manager and Artifact Registry over their REST transport: no gRPC runtime to bundle.
    const secrets = new SecretManagerServiceClient({ fallback: true });
    const repositories = new ArtifactRegistryClient({ fallback: true });
    return {
      policies: makeGcpPolicyGateway({
        buckets: makeBucketPolicyGateway(
          new Storage(plane.projectId === undefined ? {} : { projectId: plane.projectId }),
        ),
        secrets,
        repositories,
      }),
    };
  }
  return {
    assignments: makeRoleAssignmentGateway(
      new AuthorizationManagementClient(new DefaultAzureCredential(), plane.subscriptionId ?? ''),
    ),
  };
}
