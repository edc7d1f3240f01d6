// The example GCP and Azure planes (examples/grantplane.config.yaml's research-gcp and lab-azure,
// one domain), their identities, for the tests that plan, apply or ship their grants.
export const USER_FLYTE_GSA = 'acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com';
export const FLYTE_WORKER_GSA = 'acme-flyteworker-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com';
export const SUBSCRIPTION = '2b6c9e14-5f3a-4d7b-8c1e-0a9f8e7d6c5b';
export const USER_IDENTITY = '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8';
export const KUBELET = '9a8b7c6d-5e4f-4a3b-b2c1-d0e9f8a7b6c5';

export const GCP_PLANE = {
  name: 'research-gcp',
  cloud: 'gcp',
  region: 'us-central1',
  domains: ['development'],
  projects: '*',
  projectId: 'acme-gcp-dataplane',
  projectNumber: '956281974034',
  userFlyteGsa: USER_FLYTE_GSA,
  flyteWorkerGsa: FLYTE_WORKER_GSA,
};

export const AZURE_PLANE = {
  name: 'lab-azure',
  cloud: 'azure',
  region: 'eastus',
  domains: ['development'],
  projects: '*',
  subscriptionId: SUBSCRIPTION,
  userFlyteIdentityPrincipalId: USER_IDENTITY,
  kubeletPrincipalId: KUBELET,
};

/** The example Blob Storage container of the Azure tests ("Enabling Azure Blob Storage"), and its scope. */
export const FEATURES_CONTAINER = {
  type: 'azure-blob',
  resourceGroup: 'ml-data',
  storageAccount: 'acmemldata',
  container: 'features',
} as const;
export const FEATURES_CONTAINER_SCOPE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-data/providers/Microsoft.Storage/storageAccounts/acmemldata/blobServices/default/containers/features`;
