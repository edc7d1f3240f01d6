// IamGateway on @aws-sdk/client-iam (DESIGN §6). Every method is exactly one IAM call (list
// methods: one per page) so callers can count what they do; documents come back URL-decoded,
// parsed and validated; NoSuchEntity on a read is null; every other failure is an
// IamGatewayError carrying IAM's code and the SDK error as cause.
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DetachRolePolicyCommand,
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMServiceException,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListPolicyTagsCommand,
  ListPolicyVersionsCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  TagPolicyCommand,
  TagRoleCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { PolicyDocument, Tags } from '../../domain/model.js';
import {
  type IamAttachedPolicy,
  type IamErrorCode,
  type IamGateway,
  IamGatewayError,
  type IamPolicy,
  type IamPolicyDetail,
  type IamPolicyVersion,
  type IamRole,
  type IamRoleDetail,
} from '../../domain/ports.js';
import { decodePolicyDocument, PolicyDocumentParseError } from './documents.js';

// ─── What IAM answers (only the members grantplane reads) ─────────────────────

const tagListSchema = z.array(z.object({ Key: z.string(), Value: z.string() }));
const dateSchema = z.date().transform((d) => d.toISOString());

const roleSchema = z.object({
  RoleName: z.string(),
  Arn: z.string(),
  Path: z.string(),
  AssumeRolePolicyDocument: z.string(),
  PermissionsBoundary: z.object({ PermissionsBoundaryArn: z.string().optional() }).optional(),
  Tags: tagListSchema.optional(),
});

const policySchema = z.object({
  PolicyName: z.string(),
  Arn: z.string(),
  Path: z.string(),
  DefaultVersionId: z.string(),
  AttachmentCount: z.number().int(),
  Tags: tagListSchema.optional(),
});

const versionSchema = z.object({
  VersionId: z.string(),
  IsDefaultVersion: z.boolean(),
  CreateDate: dateSchema,
  Document: z.string().optional(),
});

const attachedSchema = z.object({ PolicyName: z.string(), PolicyArn: z.string() });

const roleDetailSchema = roleSchema.extend({ AttachedManagedPolicies: z.array(attachedSchema).optional() });
const policyDetailSchema = policySchema.extend({ PolicyVersionList: z.array(versionSchema).optional() });

const toTags = (tags: z.infer<typeof tagListSchema>): Tags => Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
const fromTags = (tags: Tags): { Key: string; Value: string }[] =>
  Object.keys(tags)
    .sort()
    .map((key) => ({ Key: key, Value: tags[key] ?? '' }));

const toRole = (raw: unknown, view: 'get' | 'list'): IamRole => {
  const role = roleSchema.parse(raw);
  const result: IamRole = {
    name: role.RoleName,
    arn: role.Arn,
    path: role.Path,
    trustPolicy: decodePolicyDocument(role.AssumeRolePolicyDocument, `trust policy of role ${role.RoleName}`),
  };
  // ListRoles returns neither boundaries nor tags (IAM API reference): leave them undefined there.
  if (view === 'get') {
    result.permissionsBoundaryArn = role.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
    result.tags = toTags(role.Tags ?? []);
  }
  return result;
};

const toPolicy = (raw: unknown, tags: Tags | undefined): IamPolicy => {
  const policy = policySchema.parse(raw);
  const result: IamPolicy = {
    name: policy.PolicyName,
    arn: policy.Arn,
    path: policy.Path,
    defaultVersionId: policy.DefaultVersionId,
    attachmentCount: policy.AttachmentCount,
  };
  if (tags !== undefined) result.tags = tags;
  return result;
};

const toVersion = (raw: unknown, what: string): IamPolicyVersion => fromVersion(versionSchema.parse(raw), what);

const fromVersion = (version: z.output<typeof versionSchema>, what: string): IamPolicyVersion => {
  const result: IamPolicyVersion = {
    versionId: version.VersionId,
    isDefault: version.IsDefaultVersion,
    createDate: version.CreateDate,
  };
  if (version.Document !== undefined) {
    result.document = decodePolicyDocument(version.Document, `${what} version ${version.VersionId}`);
  }
  return result;
};

const toAttached = (raw: unknown): IamAttachedPolicy => {
  const attached = attachedSchema.parse(raw);
  return { name: attached.PolicyName, arn: attached.PolicyArn };
};

// ─── Errors ──────────────────────────────────────────────────────────────────

const KNOWN_CODES: ReadonlySet<string> = new Set<IamErrorCode>([
  'NoSuchEntity',
  'EntityAlreadyExists',
  'DeleteConflict',
  'LimitExceeded',
  'MalformedPolicyDocument',
  'InvalidInput',
  'Throttling',
  'ServiceFailure',
]);

const isKnownCode = (code: string): code is IamErrorCode => KNOWN_CODES.has(code);

/** IAM's code from an SDK error: modelled errors are named `<Code>Exception`, others `<Code>`. */
const iamCode = (error: IAMServiceException): string => error.name.replace(/Exception$/, '');

const toGatewayError = (operation: string, error: unknown): IamGatewayError => {
  if (error instanceof IamGatewayError) return error;
  if (error instanceof IAMServiceException) {
    const code = iamCode(error);
    return new IamGatewayError(
      operation,
      isKnownCode(code) ? code : 'Other',
      `${operation}: ${code}: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof PolicyDocumentParseError || error instanceof z.ZodError) {
    return new IamGatewayError(operation, 'UnparseableDocument', `${operation}: ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new IamGatewayError(operation, 'Other', `${operation}: ${message}`, { cause: error });
};

const isNoSuchEntity = (error: unknown): boolean =>
  error instanceof IAMServiceException && iamCode(error) === 'NoSuchEntity';

/** Runs one call and its parsing; failures become IamGatewayError. */
const run = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error: unknown) {
    throw toGatewayError(operation, error);
  }
};

/** Like run, but NoSuchEntity is an answer: null. */
const read = async <T>(operation: string, call: () => Promise<T>): Promise<T | null> => {
  try {
    return await call();
  } catch (error: unknown) {
    if (isNoSuchEntity(error)) return null;
    throw toGatewayError(operation, error);
  }
};

/** Follows Marker/IsTruncated pages; `fetch` makes exactly one call per page. */
const allPages = async <T>(
  fetch: (marker: string | undefined) => Promise<{ items: T[]; isTruncated: boolean; marker: string | undefined }>,
): Promise<T[]> => {
  const items: T[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await fetch(marker);
    items.push(...page.items);
    if (!page.isTruncated || page.marker === undefined) return items;
    marker = page.marker;
  }
};

const json = (document: PolicyDocument): string => JSON.stringify(document);

const underPath = (path: string, prefix: string | undefined): boolean =>
  prefix === undefined || path.startsWith(prefix);

export interface IamGatewayOptions {
  /** Page size for list calls (IAM's default is 100, its maximum 1000). */
  pageSize?: number;
}

/** IamGateway over one IAMClient (see makeIamClient). */
export const makeIamGateway = (client: IAMClient, options: IamGatewayOptions = {}): IamGateway => {
  const MaxItems = options.pageSize ?? 1000;

  return {
    getRole: (name) =>
      read('GetRole', async () => {
        const out = await client.send(new GetRoleCommand({ RoleName: name }));
        return toRole(out.Role, 'get');
      }),

    listRoles: (pathPrefix) =>
      run('ListRoles', () =>
        allPages(async (Marker) => {
          const out = await client.send(new ListRolesCommand({ PathPrefix: pathPrefix, Marker, MaxItems }));
          return {
            items: (out.Roles ?? []).map((r) => toRole(r, 'list')),
            isTruncated: out.IsTruncated === true,
            marker: out.Marker,
          };
        }),
      ),

    createRole: (input) =>
      run('CreateRole', async () => {
        const out = await client.send(
          new CreateRoleCommand({
            RoleName: input.name,
            Path: input.path,
            AssumeRolePolicyDocument: json(input.trustPolicy),
            PermissionsBoundary: input.permissionsBoundaryArn ?? undefined,
            Description: input.description,
            Tags: fromTags(input.tags),
          }),
        );
        const role = toRole(out.Role, 'get');
        // CreateRole answers with the boundary and tags it stored; IAM-compatible endpoints may not.
        if (role.permissionsBoundaryArn === null) role.permissionsBoundaryArn = input.permissionsBoundaryArn;
        if (role.tags === undefined || Object.keys(role.tags).length === 0) role.tags = { ...input.tags };
        return role;
      }),

    updateAssumeRolePolicy: (roleName, trustPolicy) =>
      run('UpdateAssumeRolePolicy', async () => {
        await client.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: json(trustPolicy) }));
      }),

    putRolePermissionsBoundary: (roleName, boundaryArn) =>
      run('PutRolePermissionsBoundary', async () => {
        await client.send(
          new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundaryArn }),
        );
      }),

    deleteRolePermissionsBoundary: (roleName) =>
      run('DeleteRolePermissionsBoundary', async () => {
        await client.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: roleName }));
      }),

    tagRole: (roleName, tags) =>
      run('TagRole', async () => {
        await client.send(new TagRoleCommand({ RoleName: roleName, Tags: fromTags(tags) }));
      }),

    untagRole: (roleName, keys) =>
      run('UntagRole', async () => {
        await client.send(new UntagRoleCommand({ RoleName: roleName, TagKeys: keys }));
      }),

    deleteRole: (roleName) =>
      run('DeleteRole', async () => {
        await client.send(new DeleteRoleCommand({ RoleName: roleName }));
      }),

    listAttachedRolePolicies: (roleName) =>
      run('ListAttachedRolePolicies', () =>
        allPages(async (Marker) => {
          const out = await client.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker, MaxItems }));
          return {
            items: (out.AttachedPolicies ?? []).map(toAttached),
            isTruncated: out.IsTruncated === true,
            marker: out.Marker,
          };
        }),
      ),

    attachRolePolicy: (roleName, policyArn) =>
      run('AttachRolePolicy', async () => {
        await client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
      }),

    detachRolePolicy: (roleName, policyArn) =>
      run('DetachRolePolicy', async () => {
        await client.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
      }),

    // GetPolicy returns the policy's tags (omitted when it has none). Only an untagged answer
    // costs a second call (ListPolicyTags), for IAM-compatible endpoints that never return them;
    // grantplane's own policies always carry tags (C4), so reading them stays one call.
    getPolicy: (arn) =>
      read('GetPolicy', async () => {
        const out = await client.send(new GetPolicyCommand({ PolicyArn: arn }));
        const parsed = policySchema.parse(out.Policy);
        if (parsed.Tags !== undefined && parsed.Tags.length > 0) return toPolicy(out.Policy, toTags(parsed.Tags));
        const tags = await client.send(new ListPolicyTagsCommand({ PolicyArn: arn, MaxItems: 1000 }));
        return toPolicy(out.Policy, toTags(tagListSchema.parse(tags.Tags ?? [])));
      }),

    listPolicies: (pathPrefix) =>
      run('ListPolicies', () =>
        allPages(async (Marker) => {
          const out = await client.send(
            new ListPoliciesCommand({ Scope: 'Local', PathPrefix: pathPrefix, Marker, MaxItems }),
          );
          return {
            items: (out.Policies ?? []).map((p) => toPolicy(p, undefined)),
            isTruncated: out.IsTruncated === true,
            marker: out.Marker,
          };
        }),
      ),

    createPolicy: (input) =>
      run('CreatePolicy', async () => {
        const out = await client.send(
          new CreatePolicyCommand({
            PolicyName: input.name,
            Path: input.path,
            PolicyDocument: json(input.document),
            Description: input.description,
            Tags: fromTags(input.tags),
          }),
        );
        const parsed = policySchema.parse(out.Policy);
        return toPolicy(
          out.Policy,
          parsed.Tags !== undefined && parsed.Tags.length > 0 ? toTags(parsed.Tags) : { ...input.tags },
        );
      }),

    getPolicyVersion: (arn, versionId) =>
      read('GetPolicyVersion', async () => {
        const out = await client.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
        return toVersion(out.PolicyVersion, `policy ${arn}`);
      }),

    listPolicyVersions: (arn) =>
      run('ListPolicyVersions', () =>
        allPages(async (Marker) => {
          const out = await client.send(new ListPolicyVersionsCommand({ PolicyArn: arn, Marker, MaxItems }));
          return {
            items: (out.Versions ?? []).map((v) => toVersion(v, `policy ${arn}`)),
            isTruncated: out.IsTruncated === true,
            marker: out.Marker,
          };
        }),
      ),

    createPolicyVersion: (arn, document, setAsDefault) =>
      run('CreatePolicyVersion', async () => {
        const out = await client.send(
          new CreatePolicyVersionCommand({
            PolicyArn: arn,
            PolicyDocument: json(document),
            SetAsDefault: setAsDefault,
          }),
        );
        const version = toVersion(out.PolicyVersion, `policy ${arn}`);
        // IAM does not echo the document; it is the one just written.
        return { ...version, document: version.document ?? document };
      }),

    deletePolicyVersion: (arn, versionId) =>
      run('DeletePolicyVersion', async () => {
        await client.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
      }),

    deletePolicy: (arn) =>
      run('DeletePolicy', async () => {
        await client.send(new DeletePolicyCommand({ PolicyArn: arn }));
      }),

    tagPolicy: (arn, tags) =>
      run('TagPolicy', async () => {
        await client.send(new TagPolicyCommand({ PolicyArn: arn, Tags: fromTags(tags) }));
      }),

    untagPolicy: (arn, keys) =>
      run('UntagPolicy', async () => {
        await client.send(new UntagPolicyCommand({ PolicyArn: arn, TagKeys: keys }));
      }),

    getAccountAuthorizationDetails: (filter) =>
      run('GetAccountAuthorizationDetails', async () => {
        const roles: IamRoleDetail[] = [];
        const policies: IamPolicyDetail[] = [];
        const wantedRole = (path: string, name: string): boolean =>
          filter === undefined || path.startsWith(filter.pathPrefix) || (filter.roleNames ?? []).includes(name);
        await allPages(async (Marker) => {
          const out = await client.send(
            new GetAccountAuthorizationDetailsCommand({ Filter: ['Role', 'LocalManagedPolicy'], Marker, MaxItems }),
          );
          for (const raw of out.RoleDetailList ?? []) {
            const detail = roleDetailSchema.parse(raw);
            if (!wantedRole(detail.Path, detail.RoleName)) continue;
            roles.push({
              ...toRole(raw, 'list'),
              permissionsBoundaryArn: detail.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
              tags: toTags(detail.Tags ?? []),
              attachedPolicies: (detail.AttachedManagedPolicies ?? []).map(toAttached),
            });
          }
          for (const raw of out.Policies ?? []) {
            const detail = policyDetailSchema.parse(raw);
            if (!underPath(detail.Path, filter?.pathPrefix)) continue;
            policies.push({
              ...toPolicy(raw, undefined),
              versions: (detail.PolicyVersionList ?? []).map((v) => fromVersion(v, `policy ${detail.Arn}`)),
            });
          }
          return { items: [], isTruncated: out.IsTruncated === true, marker: out.Marker };
        });
        return { roles, policies };
      }),
  };
};
