// IamGateway on @aws-sdk/client-iam (docs/applier.md). Every method is exactly one IAM call (list
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
import * as z from '../../domain/zod.js';
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
// AWS's API model marks every member of these shapes optional, and IAM-compatible endpoints
// (moto, LocalStack) do leave some out. So nothing here fails a read on an optional member: a name
// or path is derived from the ARN, a missing trust policy or default version id is fetched with
// one more read, a missing count is taken conservatively. Only what cannot be derived (an entity
// without an ARN, a version without an id) fails, with a message naming the member.

const tagListSchema = z.array(z.object({ Key: z.string(), Value: z.optional(z.string()) }));
const dateSchema = z.pipe(
  z.date(),
  z.transform((d) => d.toISOString()),
);

const roleSchema = z.object({
  RoleName: z.optional(z.string()),
  Arn: z.optional(z.string()),
  Path: z.optional(z.string()),
  AssumeRolePolicyDocument: z.optional(z.string()),
  PermissionsBoundary: z.optional(z.object({ PermissionsBoundaryArn: z.optional(z.string()) })),
  Tags: z.optional(tagListSchema),
});

const policySchema = z.object({
  PolicyName: z.optional(z.string()),
  Arn: z.optional(z.string()),
  Path: z.optional(z.string()),
  DefaultVersionId: z.optional(z.string()),
  AttachmentCount: z.optional(z.int()),
  Tags: z.optional(tagListSchema),
});

const versionSchema = z.object({
  VersionId: z.optional(z.string()),
  IsDefaultVersion: z.optional(z.boolean()),
  CreateDate: z.optional(dateSchema),
  Document: z.optional(z.string()),
});

const attachedSchema = z.object({ PolicyName: z.optional(z.string()), PolicyArn: z.optional(z.string()) });

const roleDetailSchema = z.extend(roleSchema, { AttachedManagedPolicies: z.optional(z.array(attachedSchema)) });
const policyDetailSchema = z.extend(policySchema, { PolicyVersionList: z.optional(z.array(versionSchema)) });

/** IAM answered without something grantplane cannot do without (and cannot derive). */
export class IncompleteIamAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompleteIamAnswerError';
  }
}

/** Name and path from an IAM ARN: `arn:aws:iam::1:role/grantplane/x` → { name: x, path: /grantplane/ }. */
export const nameAndPathOfArn = (arn: string): { name: string; path: string } | null => {
  const resource = arn.split(':').slice(5).join(':');
  const slash = resource.indexOf('/');
  if (slash < 0) return null;
  const rest = resource.slice(slash); // "/grantplane/x"
  const last = rest.lastIndexOf('/');
  const name = rest.slice(last + 1);
  return name === '' ? null : { name, path: rest.slice(0, last + 1) };
};

const identity = (
  kind: string,
  raw: { Arn?: string | undefined; Path?: string | undefined },
  name: string | undefined,
): { name: string; arn: string; path: string } => {
  if (raw.Arn === undefined || raw.Arn === '') {
    throw new IncompleteIamAnswerError(
      `IAM answered a ${kind}${name === undefined ? '' : ` (${name})`} without its Arn; grantplane needs the ARN to tell whose it is`,
    );
  }
  const derived = nameAndPathOfArn(raw.Arn);
  const resolved = name ?? derived?.name;
  if (resolved === undefined)
    throw new IncompleteIamAnswerError(`IAM answered ${raw.Arn} without a name, and its ARN names none`);
  return { name: resolved, arn: raw.Arn, path: raw.Path ?? derived?.path ?? '/' };
};

const toTags = (tags: z.infer<typeof tagListSchema>): Tags =>
  Object.fromEntries(tags.map((t) => [t.Key, t.Value ?? '']));
const fromTags = (tags: Tags): { Key: string; Value: string }[] =>
  Object.keys(tags)
    .sort()
    .map((key) => ({ Key: key, Value: tags[key] ?? '' }));

/** A role as IAM described it; `trustPolicy` is absent when the answer left the document out. */
type RoleRead = Omit<IamRole, 'trustPolicy'> & { trustPolicy: PolicyDocument | undefined };

const toRoleRead = (raw: unknown, view: 'get' | 'list'): RoleRead => {
  const role = roleSchema.parse(raw);
  const id = identity('role', role, role.RoleName);
  const result: RoleRead = {
    ...id,
    trustPolicy:
      role.AssumeRolePolicyDocument === undefined
        ? undefined
        : decodePolicyDocument(role.AssumeRolePolicyDocument, `trust policy of role ${id.name}`),
  };
  // ListRoles returns neither boundaries nor tags (IAM API reference): leave them undefined there.
  if (view === 'get') {
    result.permissionsBoundaryArn = role.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
    result.tags = toTags(role.Tags ?? []);
  }
  return result;
};

/** GetRole's answer must carry the trust policy: it is the read every other one falls back to. */
const toRole = (raw: unknown, view: 'get' | 'list'): IamRole => {
  const role = toRoleRead(raw, view);
  if (role.trustPolicy === undefined) {
    throw new IncompleteIamAnswerError(`IAM answered role ${role.name} without its AssumeRolePolicyDocument`);
  }
  return { ...role, trustPolicy: role.trustPolicy };
};

/** A policy; `defaultVersionId` undefined when the answer left it out (the caller looks it up). */
type PolicyRead = Omit<IamPolicy, 'defaultVersionId'> & { defaultVersionId: string | undefined };

const toPolicyRead = (raw: unknown, tags: Tags | undefined): PolicyRead => {
  const policy = policySchema.parse(raw);
  const result: PolicyRead = {
    ...identity('policy', policy, policy.PolicyName),
    defaultVersionId: policy.DefaultVersionId,
    // Unknown counts as attached: a policy is then never deleted as an orphan on a guess, and a
    // delete after our own detach still works (IAM answers DeleteConflict if it is attached elsewhere).
    attachmentCount: policy.AttachmentCount ?? 1,
  };
  if (tags !== undefined) result.tags = tags;
  return result;
};

const toVersion = (raw: unknown, what: string): IamPolicyVersion => fromVersion(versionSchema.parse(raw), what);

const fromVersion = (version: z.output<typeof versionSchema>, what: string): IamPolicyVersion => {
  if (version.VersionId === undefined)
    throw new IncompleteIamAnswerError(`IAM answered a version of ${what} without its VersionId`);
  const result: IamPolicyVersion = {
    versionId: version.VersionId,
    isDefault: version.IsDefaultVersion ?? false,
    createDate: version.CreateDate ?? '',
  };
  if (version.Document !== undefined) {
    result.document = decodePolicyDocument(version.Document, `${what} version ${version.VersionId}`);
  }
  return result;
};

const toAttached = (raw: unknown): IamAttachedPolicy => {
  const attached = attachedSchema.parse(raw);
  const { name, arn } = identity('attached policy', { Arn: attached.PolicyArn }, attached.PolicyName);
  return { name, arn };
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
  if (
    error instanceof PolicyDocumentParseError ||
    error instanceof z.ZodError ||
    error instanceof IncompleteIamAnswerError
  ) {
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

  /** A role whose answer left out its trust policy, completed with one GetRole. */
  const completeRole = async <R extends RoleRead>(role: R): Promise<R & { trustPolicy: PolicyDocument }> => {
    if (role.trustPolicy !== undefined) return { ...role, trustPolicy: role.trustPolicy };
    const out = await client.send(new GetRoleCommand({ RoleName: role.name }));
    return { ...role, trustPolicy: toRole(out.Role, 'get').trustPolicy };
  };

  /** A policy whose answer left out its default version id, completed from its versions. */
  const completePolicy = async <P extends PolicyRead>(
    policy: P,
    versions?: readonly IamPolicyVersion[],
  ): Promise<P & { defaultVersionId: string }> => {
    if (policy.defaultVersionId !== undefined) return { ...policy, defaultVersionId: policy.defaultVersionId };
    let found = versions?.find((version) => version.isDefault)?.versionId;
    if (found === undefined) {
      const out = await client.send(new ListPolicyVersionsCommand({ PolicyArn: policy.arn, MaxItems: 1000 }));
      found = (out.Versions ?? []).map((v) => toVersion(v, `policy ${policy.arn}`)).find((v) => v.isDefault)?.versionId;
    }
    if (found === undefined) {
      throw new IncompleteIamAnswerError(
        `IAM answered policy ${policy.arn} without a DefaultVersionId, and no version of it is the default`,
      );
    }
    return { ...policy, defaultVersionId: found };
  };

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
            items: await Promise.all((out.Roles ?? []).map((r) => completeRole(toRoleRead(r, 'list')))),
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
        const read = toRoleRead(out.Role, 'get');
        const role: IamRole = { ...read, trustPolicy: read.trustPolicy ?? input.trustPolicy };
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
        if (parsed.Tags !== undefined && parsed.Tags.length > 0)
          return completePolicy(toPolicyRead(out.Policy, toTags(parsed.Tags)));
        const tags = await client.send(new ListPolicyTagsCommand({ PolicyArn: arn, MaxItems: 1000 }));
        return completePolicy(toPolicyRead(out.Policy, toTags(tagListSchema.parse(tags.Tags ?? []))));
      }),

    listPolicies: (pathPrefix) =>
      run('ListPolicies', () =>
        allPages(async (Marker) => {
          const out = await client.send(
            new ListPoliciesCommand({ Scope: 'Local', PathPrefix: pathPrefix, Marker, MaxItems }),
          );
          return {
            items: await Promise.all((out.Policies ?? []).map((p) => completePolicy(toPolicyRead(p, undefined)))),
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
        const policy = toPolicyRead(
          out.Policy,
          parsed.Tags !== undefined && parsed.Tags.length > 0 ? toTags(parsed.Tags) : { ...input.tags },
        );
        // A new policy's only version is v1, its default (IAM API reference, CreatePolicy).
        return { ...policy, defaultVersionId: policy.defaultVersionId ?? 'v1' };
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
            const role = toRoleRead(raw, 'list');
            if (!wantedRole(role.path, role.name)) continue;
            roles.push(
              await completeRole({
                ...role,
                permissionsBoundaryArn: detail.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
                tags: toTags(detail.Tags ?? []),
                attachedPolicies: (detail.AttachedManagedPolicies ?? []).map(toAttached),
              }),
            );
          }
          for (const raw of out.Policies ?? []) {
            const detail = policyDetailSchema.parse(raw);
            const policy = toPolicyRead(raw, undefined);
            if (!underPath(policy.path, filter?.pathPrefix)) continue;
            const versions = (detail.PolicyVersionList ?? []).map((v) => fromVersion(v, `policy ${policy.arn}`));
            const complete = await completePolicy(policy, versions);
            // The default version is the policy's DefaultVersionId, whatever each entry says or omits.
            policies.push({
              ...complete,
              versions: versions.map((v) => ({ ...v, isDefault: v.versionId === complete.defaultVersionId })),
            });
          }
          return { items: [], isTruncated: out.IsTruncated === true, marker: out.Marker };
        });
        return { roles, policies };
      }),
  };
};
