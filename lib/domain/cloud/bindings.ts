// Global access on GCP and Azure planes, as their pages describe it ("Enabling GCP resources",
// "Enabling Azure resources" and their sub-pages): the plane's identity is given a role on the
// resource. Each grant compiles to the exact bindings (resource, role, member) and the gcloud / az
// command a team that applies by hand runs. Pure: nothing here talks to a cloud.
import type { AzureDataPlaneConfig, GcpDataPlaneConfig, OtherDataPlaneConfig } from '../config.js';
import type { GrantResource } from '../grant.js';
import { CLOUD_RESOURCE_TYPES } from '../grant.js';
import type { CloudBinding, RuleViolation } from '../model.js';

export type { CloudBinding } from '../model.js';
import { sha256Hex } from '../compile/hash.js';
import { violation, type RuleCode } from '../rules/codes.js';
import { globMatches } from '../rules/s3.js';

/** A note on an accepted grant: nothing to do (same project, same subscription). */
export interface CloudNote {
  code: 'artifact-registry.same-project' | 'gcp-secret.same-project' | 'acr.same-subscription';
  message: string;
}

export type CloudCheck =
  | { ok: true; bindings: CloudBinding[]; notes: CloudNote[]; identity: unknown; secretGroup?: string }
  | { ok: false; errors: RuleViolation[] };

/** Built-in Azure roles the documents name, by their role definition ids (the same in every tenant). */
export const AZURE_ROLES = {
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

/** GCP roles per access level ("Enabling Google Cloud Storage": read-write is Viewer and Creator). */
export const GCS_ROLES = {
  read: ['roles/storage.objectViewer'],
  'read-write': ['roles/storage.objectViewer', 'roles/storage.objectCreator'],
} as const;

const fail = (path: string, code: RuleCode, message: string): CloudCheck => ({
  ok: false,
  errors: [violation(path, code, message)],
});

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A GUID from text: Azure role assignment names must be GUIDs; the same inputs give the same name. */
export function deterministicGuid(text: string): string {
  const hex = sha256Hex(text);
  // Version 5-style layout (name-based), variant bits 10xx.
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const missing = (plane: OtherDataPlaneConfig, key: string, why: string): CloudCheck =>
  fail(
    'dataPlane',
    'cloud.identity-missing',
    `Plane "${plane.name}" has no ${key} in the configuration: ${why}. Add it to the plane (see "Enabling ${plane.cloud === 'gcp' ? 'GCP' : 'Azure'} resources").`,
  );

/** GCS bucket naming ("Bucket names" in Cloud Storage's documentation), or null when the name is fine. */
export function gcsBucketProblem(bucket: string): string | null {
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(bucket))
    return 'use lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  if (bucket.length < 3 || bucket.length > 222 || bucket.split('.').some((part) => part.length > 63))
    return 'use 3–63 characters (up to 222 when dotted, each dot-separated part at most 63)';
  if (bucket.startsWith('goog') || /g(o|0)(o|0)gle/.test(bucket))
    return 'names may not start with "goog" or contain "google"';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bucket)) return 'a name may not be an IP address';
  return null;
}

function checkGcp(plane: GcpDataPlaneConfig, resource: GrantResource): CloudCheck {
  const gsa = (key: 'userFlyteGsa' | 'flyteWorkerGsa', role: string) =>
    plane[key] === undefined ? null : { member: `serviceAccount:${plane[key]}`, role };
  switch (resource.type) {
    case 'gcs': {
      const problem = gcsBucketProblem(resource.bucket);
      if (problem !== null)
        return fail(
          'resource.bucket',
          'gcs.invalid-bucket',
          `"${resource.bucket}" is not a valid bucket name: ${problem}.`,
        );
      const internal = plane.internalBucketPatterns.find((pattern) => globMatches(pattern, resource.bucket));
      if (internal !== undefined)
        return fail(
          'resource.bucket',
          'gcs.internal-bucket',
          `"${resource.bucket}" matches internalBucketPatterns "${internal}": Union.ai's own buckets are not the ones to grant ("Enabling Google Cloud Storage"). Name your own bucket.`,
        );
      if (plane.userFlyteGsa === undefined)
        return missing(plane, 'userFlyteGsa', 'task code reaches Cloud Storage as <UserFlyteGSA>');
      const bindings = GCS_ROLES[resource.access].map((role) =>
        gcpBinding(plane, 'task', `projects/_/buckets/${resource.bucket}`, role, gsa('userFlyteGsa', role)!.member),
      );
      return {
        ok: true,
        bindings,
        notes: [],
        identity: { type: 'gcs', bucket: resource.bucket, access: resource.access },
      };
    }
    case 'artifact-registry': {
      const match =
        /^projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/locations\/([a-z0-9-]{2,40})\/repositories\/([a-z][a-z0-9-]{0,62})$/.exec(
          resource.repository,
        );
      if (match === null)
        return fail(
          'resource.repository',
          'artifact-registry.invalid-repository',
          `"${resource.repository}" is not a repository name: write projects/<project id>/locations/<location>/repositories/<repository>.`,
        );
      const [, project = ''] = match;
      const identity = { type: 'artifact-registry', repository: resource.repository };
      if (plane.projectId === undefined)
        return missing(
          plane,
          'projectId',
          "a repository in the plane's own project needs nothing, one elsewhere a binding",
        );
      if (project === plane.projectId)
        return {
          ok: true,
          bindings: [],
          identity,
          notes: [
            {
              code: 'artifact-registry.same-project',
              message: `The repository is in the plane's own project ${plane.projectId}: access is enabled by default, nothing to change ("Enabling Google Artifact Registry").`,
            },
          ],
        };
      if (plane.flyteWorkerGsa === undefined)
        return missing(plane, 'flyteWorkerGsa', 'the node pool pulls images from another project as <FlyteWorkerGSA>');
      const role = 'roles/artifactregistry.reader';
      return {
        ok: true,
        bindings: [gcpBinding(plane, 'infrastructure', resource.repository, role, gsa('flyteWorkerGsa', role)!.member)],
        notes: [],
        identity,
      };
    }
    case 'gcp-secret': {
      const path = /^projects\/([a-z0-9-]{6,30})\/secrets\/([A-Za-z0-9_-]{1,255})$/.exec(resource.secret);
      const bare = /^[A-Za-z0-9_-]{1,255}$/.test(resource.secret);
      if (path === null && !bare)
        return fail(
          'resource.secret',
          'gcp-secret.invalid-secret',
          `"${resource.secret}" is not a secret: write projects/<project number or id>/secrets/<name>, or the name alone for a secret in the plane's own project.`,
        );
      const project = path?.[1];
      const same = project === undefined || project === plane.projectId || project === plane.projectNumber;
      if (project !== undefined && plane.projectId === undefined && plane.projectNumber === undefined)
        return missing(
          plane,
          'projectId or projectNumber',
          "a secret in the plane's own project needs nothing, one elsewhere a binding",
        );
      const identity = { type: 'gcp-secret', secret: resource.secret };
      if (same)
        return {
          ok: true,
          bindings: [],
          identity,
          // Task code names a same-project secret by its name or path ("Same-project secrets").
          secretGroup: resource.secret,
          notes: [
            {
              code: 'gcp-secret.same-project',
              message: `The secret is in the plane's own project: <UserFlyteGSA> reads it out of the box, nothing to change ("Enabling Google Secret Manager"). Name it as Secret.group "${resource.secret}" with its version.`,
            },
          ],
        };
      if (plane.userFlyteGsa === undefined)
        return missing(plane, 'userFlyteGsa', 'task code reads a secret of another project as <UserFlyteGSA>');
      const role = 'roles/secretmanager.secretAccessor';
      return {
        ok: true,
        bindings: [gcpBinding(plane, 'task', resource.secret, role, gsa('userFlyteGsa', role)!.member)],
        notes: [],
        identity,
        // Cross-project: task code must name it by its path ("Cross-project secrets").
        secretGroup: resource.secret,
      };
    }
    default:
      return wrongCloud(plane, resource);
  }
}

function checkAzure(plane: AzureDataPlaneConfig, resource: GrantResource): CloudCheck {
  switch (resource.type) {
    case 'azure-blob': {
      const where = azureLocation(plane, resource);
      if ('errors' in where) return { ok: false, errors: where.errors };
      if (!/^[a-z0-9]{3,24}$/.test(resource.storageAccount))
        return fail(
          'resource.storageAccount',
          'azure-blob.invalid-container',
          `"${resource.storageAccount}" is not a storage account name: 3–24 lowercase letters and digits.`,
        );
      if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(resource.container))
        return fail(
          'resource.container',
          'azure-blob.invalid-container',
          `"${resource.container}" is not a container name: 3–63 lowercase letters, digits and single "-", starting and ending with a letter or digit.`,
        );
      const internal = plane.internalContainerPatterns.find((pattern) => globMatches(pattern, resource.container));
      if (internal !== undefined)
        return fail(
          'resource.container',
          'azure-blob.internal-container',
          `"${resource.container}" matches internalContainerPatterns "${internal}": Union.ai's own containers are not the ones to grant ("Enabling Azure Blob Storage"). Name your own container.`,
        );
      if (plane.userFlyteIdentityPrincipalId === undefined)
        return missing(
          plane,
          'userFlyteIdentityPrincipalId',
          'task code reaches Blob Storage as the userflyterole managed identity',
        );
      const role = resource.access === 'read' ? 'Storage Blob Data Reader' : 'Storage Blob Data Contributor';
      const scope = `/subscriptions/${where.subscriptionId}/resourceGroups/${resource.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${resource.storageAccount}/blobServices/default/containers/${resource.container}`;
      return {
        ok: true,
        bindings: [azureBinding(plane, 'task', scope, role, plane.userFlyteIdentityPrincipalId)],
        notes: [],
        identity: { type: 'azure-blob', scope, access: resource.access },
      };
    }
    case 'acr': {
      const match =
        /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([-\w._()]{1,90})\/providers\/Microsoft\.ContainerRegistry\/registries\/([A-Za-z0-9]{5,50})$/i.exec(
          resource.registryId,
        );
      if (match === null || !GUID.test(match[1] ?? ''))
        return fail(
          'resource.registryId',
          'acr.invalid-registry',
          `"${resource.registryId}" is not a registry resource id: write /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>.`,
        );
      const subscription = (match[1] ?? '').toLowerCase();
      if (resource.tenantId !== undefined && plane.tenantId === undefined)
        return missing(plane, 'tenantId', 'a registry in another tenant cannot be granted here');
      if (resource.tenantId !== undefined && resource.tenantId.toLowerCase() !== plane.tenantId)
        return fail(
          'resource.tenantId',
          'acr.cross-tenant',
          `The registry is in tenant ${resource.tenantId}, not the plane's ${plane.tenantId}: access to ACR in a different Azure tenant goes through Union.ai support ("Enabling Azure Container Registry (ACR)"). Contact them.`,
        );
      const identity = { type: 'acr', registryId: resource.registryId.toLowerCase() };
      if (plane.subscriptionId === undefined)
        return missing(
          plane,
          'subscriptionId',
          "a registry in the plane's own subscription needs nothing, one elsewhere a role assignment",
        );
      if (subscription === plane.subscriptionId)
        return {
          ok: true,
          bindings: [],
          identity,
          notes: [
            {
              code: 'acr.same-subscription',
              message: `The registry is in the plane's own subscription ${plane.subscriptionId}: the cluster's pull access is Union.ai's to set up, nothing for grantplane to change ("Enabling Azure Container Registry (ACR)").`,
            },
          ],
        };
      if (plane.kubeletPrincipalId === undefined)
        return missing(
          plane,
          'kubeletPrincipalId',
          'the AKS kubelet identity pulls the images (Union.ai support provides its id)',
        );
      return {
        ok: true,
        bindings: [azureBinding(plane, 'infrastructure', resource.registryId, 'AcrPull', plane.kubeletPrincipalId)],
        notes: [],
        identity,
      };
    }
    case 'azure-key-vault': {
      const where = azureLocation(plane, resource);
      if ('errors' in where) return { ok: false, errors: where.errors };
      if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/.test(resource.vault))
        return fail(
          'resource.vault',
          'azure-key-vault.invalid-secret',
          `"${resource.vault}" is not a key vault name: 3–24 letters, digits and single "-", starting with a letter.`,
        );
      if (!/^[0-9A-Za-z-]{1,127}$/.test(resource.secret))
        return fail(
          'resource.secret',
          'azure-key-vault.invalid-secret',
          `"${resource.secret}" is not a secret name: 1–127 letters, digits and "-".`,
        );
      if (plane.userFlyteIdentityPrincipalId === undefined)
        return missing(
          plane,
          'userFlyteIdentityPrincipalId',
          'task code reads Key Vault secrets as the userflyterole managed identity',
        );
      const scope = `/subscriptions/${where.subscriptionId}/resourceGroups/${resource.resourceGroup}/providers/Microsoft.KeyVault/vaults/${resource.vault}/secrets/${resource.secret}`;
      return {
        ok: true,
        bindings: [azureBinding(plane, 'task', scope, 'Key Vault Secrets User', plane.userFlyteIdentityPrincipalId)],
        notes: [],
        identity: { type: 'azure-key-vault', scope: scope.toLowerCase() },
        // "Accessing the secret within Union.ai": Secret.group is the secret's URI.
        secretGroup: `https://${resource.vault}.vault.azure.net/secrets/${resource.secret}`,
      };
    }
    default:
      return wrongCloud(plane, resource);
  }
}

/** The subscription a blob or vault resource lives in (the plane's when not named), its group checked. */
function azureLocation(
  plane: AzureDataPlaneConfig,
  resource: { subscriptionId?: string | undefined; resourceGroup: string },
): { subscriptionId: string } | { errors: RuleViolation[] } {
  if (resource.subscriptionId !== undefined && !GUID.test(resource.subscriptionId))
    return { errors: [violation('resource.subscriptionId', 'request.invalid', 'must be a subscription id (a GUID)')] };
  if (!/^[-\w._()]{1,89}[-\w_()]$/.test(resource.resourceGroup))
    return { errors: [violation('resource.resourceGroup', 'request.invalid', 'must be a resource group name')] };
  const subscriptionId = resource.subscriptionId?.toLowerCase() ?? plane.subscriptionId;
  if (subscriptionId === undefined) {
    const check = missing(plane, 'subscriptionId', 'the resource names no subscription of its own');
    return { errors: check.ok ? [] : check.errors };
  }
  return { subscriptionId };
}

function wrongCloud(plane: OtherDataPlaneConfig, resource: GrantResource): CloudCheck {
  const takes = CLOUD_RESOURCE_TYPES[plane.cloud].join(', ');
  return fail(
    'resource.type',
    'cloud.resource-type',
    `"${resource.type}" is not a resource of ${plane.cloud === 'gcp' ? 'GCP' : 'Azure'} plane "${plane.name}": it takes ${takes}.`,
  );
}

function gcpBinding(
  plane: GcpDataPlaneConfig,
  access: CloudBinding['access'],
  resource: string,
  role: string,
  member: string,
): CloudBinding {
  return {
    dataPlane: plane.name,
    cloud: 'gcp',
    access,
    resource,
    role,
    member,
    command: gcloudCommand(resource, role, member),
  };
}

function azureBinding(
  plane: AzureDataPlaneConfig,
  access: CloudBinding['access'],
  scope: string,
  role: keyof typeof AZURE_ROLES,
  principalId: string,
): CloudBinding {
  const roleDefinitionId = AZURE_ROLES[role];
  const assignmentName = deterministicGuid(`${scope.toLowerCase()}|${roleDefinitionId}|${principalId}`);
  return {
    dataPlane: plane.name,
    cloud: 'azure',
    access,
    resource: scope,
    role,
    roleDefinitionId,
    member: principalId,
    assignmentName,
    command: `az role assignment create --name ${assignmentName} --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role "${role}" --scope "${scope}"`,
  };
}

/** The gcloud command that adds one binding to the resource's IAM policy. */
function gcloudCommand(resource: string, role: string, member: string): string {
  const bucket = /^projects\/_\/buckets\/(.+)$/.exec(resource);
  if (bucket !== null)
    return `gcloud storage buckets add-iam-policy-binding gs://${bucket[1]} --member=${member} --role=${role}`;
  const repository = /^projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/]+)$/.exec(resource);
  if (repository !== null)
    return `gcloud artifacts repositories add-iam-policy-binding ${repository[3]} --project=${repository[1]} --location=${repository[2]} --member=${member} --role=${role}`;
  const secret = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(resource);
  return `gcloud secrets add-iam-policy-binding ${secret?.[2] ?? resource} --project=${secret?.[1] ?? '<project>'} --member=${member} --role=${role}`;
}

/** R2 for a global grant on a GCP or Azure plane: the bindings it needs, or why it is refused. */
export function checkCloudGrant(plane: OtherDataPlaneConfig, resource: GrantResource): CloudCheck {
  return plane.cloud === 'gcp' ? checkGcp(plane, resource) : checkAzure(plane, resource);
}

/** Bindings of several grants, each (plane, resource, role, member) once, in a stable order. */
export function mergeBindings(bindings: readonly CloudBinding[]): CloudBinding[] {
  const byKey = new Map<string, CloudBinding>();
  for (const binding of bindings)
    byKey.set(`${binding.dataPlane}\u0001${binding.resource}\u0001${binding.role}\u0001${binding.member}`, binding);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, binding]) => binding);
}
