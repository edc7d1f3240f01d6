import * as z from 'zod';

// Grant request (docs/rules.md). Structure only: the documented rules (R1–R9) live in rules/ and
// report their own codes; zod issues are mapped to `request.invalid`-style codes by the validator.

export const scopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('global') }).strict(),
  z.object({ type: z.literal('project-domain'), project: z.string(), domain: z.string() }).strict(),
]);

export const s3ResourceSchema = z
  .object({
    type: z.literal('s3'),
    bucket: z.string(),
    prefix: z.string().optional(),
    access: z.enum(['read', 'read-write']),
  })
  .strict();

export const secretsManagerResourceSchema = z
  .object({
    type: z.literal('secretsmanager'),
    secretArn: z.string().optional(),
    secretName: z.string().optional(),
  })
  .strict();

export const ecrResourceSchema = z.object({ type: z.literal('ecr'), repositoryArn: z.string() }).strict();

export const iamStatementsResourceSchema = z
  .object({
    type: z.literal('iam-statements'),
    statements: z.array(z.record(z.string(), z.unknown())).min(1),
  })
  .strict();

// GCP and Azure planes, global access only ("Enabling GCP resources", "Enabling Azure resources"):
// each compiles to bindings of the plane's identity on the resource (lib/domain/cloud/).
export const gcsResourceSchema = z
  .object({ type: z.literal('gcs'), bucket: z.string(), access: z.enum(['read', 'read-write']) })
  .strict();

/** `projects/<project>/locations/<location>/repositories/<repository>`. */
export const artifactRegistryResourceSchema = z
  .object({ type: z.literal('artifact-registry'), repository: z.string() })
  .strict();

/** `projects/<project id or number>/secrets/<name>`, or the name alone for the plane's own project. */
export const gcpSecretResourceSchema = z.object({ type: z.literal('gcp-secret'), secret: z.string() }).strict();

export const azureBlobResourceSchema = z
  .object({
    type: z.literal('azure-blob'),
    /** The storage account's subscription: the plane's when absent. */
    subscriptionId: z.string().optional(),
    resourceGroup: z.string(),
    storageAccount: z.string(),
    container: z.string(),
    access: z.enum(['read', 'read-write']),
  })
  .strict();

/** An ACR by its resource id; `tenantId` when it is not the plane's tenant (refused: Union.ai support). */
export const acrResourceSchema = z
  .object({ type: z.literal('acr'), registryId: z.string(), tenantId: z.string().optional() })
  .strict();

export const azureKeyVaultResourceSchema = z
  .object({
    type: z.literal('azure-key-vault'),
    subscriptionId: z.string().optional(),
    resourceGroup: z.string(),
    vault: z.string(),
    secret: z.string(),
  })
  .strict();

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
export const ticketSchema = z
  .object({
    system: z.string().min(1).max(64),
    key: z.string().min(1).max(256),
    url: z.string().max(2048).optional(),
  })
  .strict();

export const grantRequestSchema = z
  .object({
    dataPlane: z.string().optional(),
    scope: scopeSchema,
    resource: resourceSchema,
    justification: z.string().optional(),
    expiresAt: z.string().optional(),
    ticket: ticketSchema.optional(),
  })
  .strict();

export type GrantRequest = z.infer<typeof grantRequestSchema>;
export type GrantResource = z.infer<typeof resourceSchema>;
