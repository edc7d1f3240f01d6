// Global access on GCP and Azure planes (docs/gcp-azure.md): each grant type per its page of
// "Enabling GCP resources" / "Enabling Azure resources", compiled to the exact bindings and the
// command that makes each by hand.
import { describe, expect, it } from 'vitest';
import { deterministicGuid } from '../../lib/domain/cloud/bindings.js';
import { changePolicy, roleMember } from '../../lib/domain/cloud/iam-policy.js';
import { ConfigError, parseConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { GLOBAL, NOW, pair } from './engine-fixtures.js';

const USER_GSA = 'acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com';
const WORKER_GSA = 'acme-flyteworker-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com';
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
const OTHER_SUBSCRIPTION = '99999999-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const USER_IDENTITY = '0f0f0f0f-1111-2222-3333-444444444444';
const KUBELET = '0e0e0e0e-1111-2222-3333-444444444444';

const gcpPlane = (over: Record<string, unknown> = {}) => ({
  name: 'research',
  cloud: 'gcp',
  region: 'us-central1',
  domains: ['development', 'production'],
  projects: '*',
  projectId: 'acme-gcp-dataplane',
  projectNumber: '956281974034',
  userFlyteGsa: USER_GSA,
  flyteWorkerGsa: WORKER_GSA,
  ...over,
});
const azurePlane = (over: Record<string, unknown> = {}) => ({
  name: 'lab',
  cloud: 'azure',
  region: 'eastus',
  domains: ['development'],
  projects: '*',
  tenantId: TENANT,
  subscriptionId: SUBSCRIPTION,
  resourceGroup: 'union-dataplane',
  userFlyteIdentityPrincipalId: USER_IDENTITY,
  kubeletPrincipalId: KUBELET,
  ...over,
});

const plan = (plane: Record<string, unknown>, ...resources: Record<string, unknown>[]) =>
  planGrants({
    config: parseConfig({ dataPlanes: [plane] }),
    requests: resources.map((resource) => ({ scope: GLOBAL, resource })),
    now: NOW,
  });

const refusal = (plane: Record<string, unknown>, resource: Record<string, unknown>, scope: unknown = GLOBAL) => {
  const result = planGrants({
    config: parseConfig({ dataPlanes: [plane] }),
    requests: [{ scope, resource }],
    now: NOW,
  });
  return result.rejected[0]?.errors.map((error) => `${error.path} ${error.code}`);
};

describe('GCP planes ("Enabling GCP resources")', () => {
  it('Cloud Storage read-write: <UserFlyteGSA> gets Storage Object Viewer and Creator on the bucket ("Enabling Google Cloud Storage")', () => {
    const result = plan(gcpPlane(), { type: 'gcs', bucket: 'acme-ml-data', access: 'read-write' });
    expect(result.rejected).toEqual([]);
    expect(result.targets).toEqual([]); // nothing in AWS IAM
    expect(result.bindings).toEqual([
      {
        dataPlane: 'research',
        cloud: 'gcp',
        access: 'task',
        resource: 'projects/_/buckets/acme-ml-data',
        role: 'roles/storage.objectCreator',
        member: `serviceAccount:${USER_GSA}`,
        command: `gcloud storage buckets add-iam-policy-binding gs://acme-ml-data --member=serviceAccount:${USER_GSA} --role=roles/storage.objectCreator`,
        grants: [0],
      },
      expect.objectContaining({ role: 'roles/storage.objectViewer', grants: [0] }),
    ]);
  });

  it("refuses Union.ai's own buckets and bad bucket names", () => {
    expect(refusal(gcpPlane(), { type: 'gcs', bucket: 'union-acme-metadata', access: 'read' })).toEqual([
      'resource.bucket gcs.internal-bucket',
    ]);
    expect(refusal(gcpPlane(), { type: 'gcs', bucket: 'Acme_Data', access: 'read' })).toEqual([
      'resource.bucket gcs.invalid-bucket',
    ]);
    expect(refusal(gcpPlane(), { type: 'gcs', bucket: 'google-data', access: 'read' })).toEqual([
      'resource.bucket gcs.invalid-bucket',
    ]);
  });

  it('Artifact Registry: same project is enabled by default (a note); another project → <FlyteWorkerGSA> gets Artifact Registry Reader', () => {
    const same = plan(gcpPlane(), {
      type: 'artifact-registry',
      repository: 'projects/acme-gcp-dataplane/locations/us-central1/repositories/images',
    });
    expect(same.bindings).toBeUndefined();
    expect(same.notes.map((note) => note.code)).toEqual(['artifact-registry.same-project']);
    const other = plan(gcpPlane(), {
      type: 'artifact-registry',
      repository: 'projects/acme-shared-images/locations/europe/repositories/base',
    });
    expect(other.bindings).toEqual([
      expect.objectContaining({
        access: 'infrastructure',
        resource: 'projects/acme-shared-images/locations/europe/repositories/base',
        role: 'roles/artifactregistry.reader',
        member: `serviceAccount:${WORKER_GSA}`,
        command: `gcloud artifacts repositories add-iam-policy-binding base --project=acme-shared-images --location=europe --member=serviceAccount:${WORKER_GSA} --role=roles/artifactregistry.reader`,
      }),
    ]);
    expect(refusal(gcpPlane(), { type: 'artifact-registry', repository: 'images' })).toEqual([
      'resource.repository artifact-registry.invalid-repository',
    ]);
  });

  it('Secret Manager: same project (by number or id) needs nothing; another project → Secret Accessor, named by its path', () => {
    const same = plan(gcpPlane(), { type: 'gcp-secret', secret: 'projects/956281974034/secrets/example-secret' });
    expect(same.bindings).toBeUndefined();
    expect(same.notes.map((note) => note.code)).toEqual(['gcp-secret.same-project']);
    expect(plan(gcpPlane(), { type: 'gcp-secret', secret: 'example-secret' }).accepted).toEqual([
      { index: 0, secretGroup: 'example-secret' },
    ]);
    const other = plan(gcpPlane(), { type: 'gcp-secret', secret: 'projects/123456789/secrets/api-key' });
    expect(other.accepted).toEqual([{ index: 0, secretGroup: 'projects/123456789/secrets/api-key' }]);
    expect(other.bindings).toEqual([
      expect.objectContaining({
        resource: 'projects/123456789/secrets/api-key',
        role: 'roles/secretmanager.secretAccessor',
        member: `serviceAccount:${USER_GSA}`,
        command: `gcloud secrets add-iam-policy-binding api-key --project=123456789 --member=serviceAccount:${USER_GSA} --role=roles/secretmanager.secretAccessor`,
      }),
    ]);
  });

  it("domain scope stays the Union.ai team's (R2); an AWS resource is refused; a missing identity names the key", () => {
    expect(
      refusal(gcpPlane(), { type: 'gcs', bucket: 'acme-data', access: 'read' }, pair('ml', 'development')),
    ).toEqual(['scope cloud.domain-scoping-union-only']);
    expect(refusal(gcpPlane(), { type: 's3', bucket: 'acme-data', access: 'read' })).toEqual([
      'resource.type cloud.resource-type',
    ]);
    const result = planGrants({
      config: parseConfig({ dataPlanes: [gcpPlane({ userFlyteGsa: undefined })] }),
      requests: [{ scope: GLOBAL, resource: { type: 'gcs', bucket: 'acme-data', access: 'read' } }],
      now: NOW,
    });
    expect(result.rejected[0]?.errors[0]).toMatchObject({ code: 'cloud.identity-missing', path: 'dataPlane' });
    expect(result.rejected[0]?.errors[0]?.message).toContain('no userFlyteGsa');
  });

  it('the same binding needed by two grants is listed once, naming both (R9 keeps repeats one grant)', () => {
    const result = plan(
      gcpPlane(),
      { type: 'gcs', bucket: 'acme-data', access: 'read' },
      { type: 'gcs', bucket: 'acme-data', access: 'read-write' },
      { type: 'gcs', bucket: 'acme-data', access: 'read' },
    );
    expect(result.bindings?.map((binding) => `${binding.role} ${binding.grants.join(',')}`)).toEqual([
      'roles/storage.objectCreator 1',
      'roles/storage.objectViewer 0,1,2',
    ]);
    expect(result.notes.map((note) => `${note.index} ${note.code}`)).toEqual(['2 duplicate.repeat']);
  });
});

describe('Azure planes ("Enabling Azure resources")', () => {
  it('Blob Storage: the userflyterole identity gets Storage Blob Data Reader/Contributor scoped to the container, under a deterministic assignment name', () => {
    const result = plan(azurePlane(), {
      type: 'azure-blob',
      resourceGroup: 'ml-data',
      storageAccount: 'acmemldata',
      container: 'features',
      access: 'read-write',
    });
    const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-data/providers/Microsoft.Storage/storageAccounts/acmemldata/blobServices/default/containers/features`;
    expect(result.bindings).toEqual([
      expect.objectContaining({
        cloud: 'azure',
        access: 'task',
        resource: scope,
        role: 'Storage Blob Data Contributor',
        roleDefinitionId: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
        member: USER_IDENTITY,
      }),
    ]);
    const [binding] = result.bindings ?? [];
    expect(binding?.assignmentName).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(binding?.assignmentName).toBe(
      deterministicGuid(`${scope.toLowerCase()}|ba92f5b4-2d11-453d-a403-e96b0029c9fe|${USER_IDENTITY}`),
    );
    expect(binding?.command).toBe(
      `az role assignment create --name ${binding?.assignmentName} --assignee-object-id ${USER_IDENTITY} --assignee-principal-type ServicePrincipal --role "Storage Blob Data Contributor" --scope "${scope}"`,
    );
    expect(
      refusal(azurePlane(), {
        type: 'azure-blob',
        resourceGroup: 'union-dataplane',
        storageAccount: 'unionstate',
        container: 'union-metadata',
        access: 'read',
      }),
    ).toEqual(['resource.container azure-blob.internal-container']);
  });

  it('ACR: same subscription needs nothing; another subscription → AcrPull for the kubelet identity; another tenant → Union.ai support', () => {
    const registry = (subscription: string) =>
      `/subscriptions/${subscription}/resourceGroups/images/providers/Microsoft.ContainerRegistry/registries/acmeimages`;
    const same = plan(azurePlane(), { type: 'acr', registryId: registry(SUBSCRIPTION) });
    expect(same.bindings).toBeUndefined();
    expect(same.notes.map((note) => note.code)).toEqual(['acr.same-subscription']);
    const other = plan(azurePlane(), { type: 'acr', registryId: registry(OTHER_SUBSCRIPTION) });
    expect(other.bindings).toEqual([
      expect.objectContaining({
        access: 'infrastructure',
        role: 'AcrPull',
        member: KUBELET,
        resource: registry(OTHER_SUBSCRIPTION),
      }),
    ]);
    const tenant = planGrants({
      config: parseConfig({ dataPlanes: [azurePlane()] }),
      requests: [
        {
          scope: GLOBAL,
          resource: {
            type: 'acr',
            registryId: registry(OTHER_SUBSCRIPTION),
            tenantId: '12345678-1234-1234-1234-123456789012',
          },
        },
      ],
      now: NOW,
    });
    expect(tenant.rejected[0]?.errors[0]?.code).toBe('acr.cross-tenant');
    expect(tenant.rejected[0]?.errors[0]?.message).toContain('Union.ai support');
  });

  it('Key Vault: Key Vault Secrets User scoped to the secret; task code names it by its URI ("Enabling Azure Key Vault")', () => {
    const result = plan(azurePlane(), {
      type: 'azure-key-vault',
      resourceGroup: 'secrets',
      vault: 'examplevault',
      secret: 'example-secret',
    });
    expect(result.accepted).toEqual([
      { index: 0, secretGroup: 'https://examplevault.vault.azure.net/secrets/example-secret' },
    ]);
    expect(result.bindings).toEqual([
      expect.objectContaining({
        role: 'Key Vault Secrets User',
        roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6',
        resource: `/subscriptions/${SUBSCRIPTION}/resourceGroups/secrets/providers/Microsoft.KeyVault/vaults/examplevault/secrets/example-secret`,
      }),
    ]);
  });

  it('a GCP resource on an Azure plane is refused, naming what the plane takes', () => {
    const result = planGrants({
      config: parseConfig({ dataPlanes: [azurePlane()] }),
      requests: [{ scope: GLOBAL, resource: { type: 'gcs', bucket: 'acme-data', access: 'read' } }],
      now: NOW,
    });
    expect(result.rejected[0]?.errors[0]?.message).toContain('it takes azure-blob, acr, azure-key-vault');
  });
});

describe('GCP and Azure plane configuration', () => {
  it('names the key of a malformed identity', () => {
    const problem = (plane: Record<string, unknown>) => {
      try {
        parseConfig({ dataPlanes: [plane] });
      } catch (error: unknown) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(problem(gcpPlane({ userFlyteGsa: 'acme-userflyterol' }))).toMatch(
      /^dataPlanes\[0\]\.userFlyteGsa: must be a Google service account e-mail/,
    );
    expect(problem(azurePlane({ kubeletPrincipalId: 'kubelet' }))).toMatch(
      /^dataPlanes\[0\]\.kubeletPrincipalId: must be a GUID/,
    );
    expect(problem(gcpPlane({ subscriptionId: SUBSCRIPTION }))).toMatch(/^dataPlanes\[0\]\.subscriptionId/);
    expect(problem(gcpPlane({ name: 'plain', projectId: undefined, userFlyteGsa: undefined }))).toBe('accepted');
  });
});

describe('changePolicy: one read-modify-write of a Google IAM policy (docs/gcp-azure.md)', () => {
  const viewer = roleMember('roles/storage.objectViewer', `serviceAccount:${USER_GSA}`);
  it('drops a binding whose last member it removes, keeps the etag, and says nothing to write when converged', () => {
    const current = {
      version: 1,
      etag: 'CAE=',
      bindings: [{ role: 'roles/storage.objectViewer', members: [`serviceAccount:${USER_GSA}`] }],
    };
    expect(changePolicy(current, new Set(), new Set([viewer]))).toEqual({
      policy: { version: 1, etag: 'CAE=', bindings: [] },
      added: [],
      removed: [viewer],
    });
    expect(changePolicy(current, new Set([viewer]), new Set([viewer])).policy).toBeNull();
    // An owned pair someone already removed: nothing to write.
    expect(changePolicy({ bindings: [], etag: 'CAI=' }, new Set(), new Set([viewer])).policy).toBeNull();
  });
});
