import * as z from './zod.js';

// Grant request (docs/rules.md). Structure only: the documented rules (R1–R9) live in rules/ and
// report their own codes; zod issues are mapped to `request.invalid`-style codes by the validator.

export const scopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('global') }),
  z.strictObject({ type: z.literal('project-domain'), project: z.string(), domain: z.string() }),
]);

export const s3ResourceSchema = z.strictObject({
  type: z.literal('s3'),
  bucket: z.string(),
  prefix: z.optional(z.string()),
  access: z.enum(['read', 'read-write']),
});

export const secretsManagerResourceSchema = z.strictObject({
  type: z.literal('secretsmanager'),
  secretArn: z.optional(z.string()),
  secretName: z.optional(z.string()),
});

export const ecrResourceSchema = z.strictObject({ type: z.literal('ecr'), repositoryArn: z.string() });

export const iamStatementsResourceSchema = z.strictObject({
  type: z.literal('iam-statements'),
  statements: z.array(z.record(z.string(), z.unknown())).check(z.minLength(1)),
});

// GCP and Azure planes, global access only ("Enabling GCP resources", "Enabling Azure resources"):
// each compiles to bindings of the plane's identity on the resource (lib/domain/cloud/).
export const gcsResourceSchema = z.strictObject({
  type: z.literal('gcs'),
  bucket: z.string(),
  access: z.enum(['read', 'read-write']),
});

/** `projects/<project>/locations/<location>/repositories/<repository>`. */
export const artifactRegistryResourceSchema = z.strictObject({
  type: z.literal('artifact-registry'),
  repository: z.string(),
});

/** `projects/<project id or number>/secrets/<name>`, or the name alone for the plane's own project. */
export const gcpSecretResourceSchema = z.strictObject({ type: z.literal('gcp-secret'), secret: z.string() });

export const azureBlobResourceSchema = z.strictObject({
  type: z.literal('azure-blob'),
  /** The storage account's subscription: the plane's when absent. */
  subscriptionId: z.optional(z.string()),
  resourceGroup: z.string(),
  storageAccount: z.string(),
  container: z.string(),
  access: z.enum(['read', 'read-write']),
});

/** An ACR by its resource id; `tenantId` when it is not the plane's tenant (refused: Union.ai support). */
export const acrResourceSchema = z.strictObject({
  type: z.literal('acr'),
  registryId: z.string(),
  tenantId: z.optional(z.string()),
});

export const azureKeyVaultResourceSchema = z.strictObject({
  type: z.literal('azure-key-vault'),
  subscriptionId: z.optional(z.string()),
  resourceGroup: z.string(),
  vault: z.string(),
  secret: z.string(),
});

/** The resource types of GCP and Azure planes. */
export const CLOUD_RESOURCE_TYPES = {
  gcp: ['gcs', 'artifact-registry', 'gcp-secret'],
  azure: ['azure-blob', 'acr', 'azure-key-vault'],
} as const;

export const resourceSchema = z.discriminatedUnion('type', [
  s3ResourceSchema,
  secretsManagerResourceSchema,
  ecrResourceSchema,
  iamStatementsResourceSchema,
  gcsResourceSchema,
  artifactRegistryResourceSchema,
  gcpSecretResourceSchema,
  azureBlobResourceSchema,
  acrResourceSchema,
  azureKeyVaultResourceSchema,
]);

// Lengths: a ticket keys the grant's ticket link, so names stay far below DynamoDB's key limits.
export const ticketSchema = z.strictObject({
  system: z.string().check(z.minLength(1), z.maxLength(64)),
  key: z.string().check(z.minLength(1), z.maxLength(256)),
  url: z.optional(z.string().check(z.maxLength(2048))),
});

export const grantRequestSchema = z.strictObject({
  dataPlane: z.optional(z.string()),
  scope: scopeSchema,
  resource: resourceSchema,
  justification: z.optional(z.string()),
  expiresAt: z.optional(z.string()),
  ticket: z.optional(ticketSchema),
});

export type GrantRequest = z.infer<typeof grantRequestSchema>;
export type GrantResource = z.infer<typeof resourceSchema>;
