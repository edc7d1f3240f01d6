// One handler per IAM action: form parameters in, the `<XResult>` body out (null: no Result
// element, as IAM answers its write-only actions). Member names and which members each action
// returns follow the API reference ("does not return … Tags" notes on ListRoles/ListPolicies).
import { IamEmulatorError, validationError } from './errors.js';
import {
  escapeXml,
  type FormParams,
  list,
  node,
  optional,
  optionalBool,
  optionalInt,
  pageXml,
  paginate,
  required,
  stringList,
  tagList,
  tagsXml,
  text,
} from './protocol.js';
import type { IamAccount, PolicyEntity, PolicyVersionEntity, RoleEntity } from './state.js';

export type ActionHandler = (account: IamAccount, params: FormParams) => string | null;

/** IAM returns policy documents percent-encoded (RFC 3986), which the SDKs do not decode. */
const encodeDocument = (document: string): string => encodeURIComponent(document);

interface RoleView {
  boundaryAndTags: boolean;
  lastUsed: boolean;
}

const roleXml = (role: RoleEntity, view: RoleView): string =>
  text('Path', role.path) +
  text('RoleName', role.name) +
  text('RoleId', role.id) +
  text('Arn', role.arn) +
  text('CreateDate', role.createDate) +
  text('AssumeRolePolicyDocument', encodeDocument(role.trustPolicy)) +
  text('Description', role.description) +
  text('MaxSessionDuration', role.maxSessionDuration) +
  (view.boundaryAndTags && role.permissionsBoundaryArn !== null
    ? node(
        'PermissionsBoundary',
        text('PermissionsBoundaryType', 'Policy') + text('PermissionsBoundaryArn', role.permissionsBoundaryArn),
      )
    : '') +
  (view.boundaryAndTags && role.tags.length > 0 ? tagsXml('Tags', role.tags) : '') +
  (view.lastUsed ? '<RoleLastUsed/>' : '');

const policyXml = (account: IamAccount, policy: PolicyEntity, full: boolean): string =>
  text('PolicyName', policy.name) +
  text('PolicyId', policy.id) +
  text('Arn', policy.arn) +
  text('Path', policy.path) +
  text('DefaultVersionId', policy.defaultVersionId) +
  text('AttachmentCount', account.attachmentCount(policy.arn)) +
  text('PermissionsBoundaryUsageCount', account.boundaryUsageCount(policy.arn)) +
  text('IsAttachable', true) +
  (full ? text('Description', policy.description) : '') +
  text('CreateDate', policy.createDate) +
  text('UpdateDate', policy.updateDate) +
  (full && policy.tags.length > 0 ? tagsXml('Tags', policy.tags) : '');

const versionXml = (policy: PolicyEntity, version: PolicyVersionEntity, withDocument: boolean): string =>
  (withDocument ? text('Document', encodeDocument(version.document)) : '') +
  text('VersionId', version.versionId) +
  text('IsDefaultVersion', policy.defaultVersionId === version.versionId) +
  text('CreateDate', version.createDate);

const attachedXml = (policies: PolicyEntity[]): string[] =>
  policies.map((p) => text('PolicyName', p.name) + text('PolicyArn', p.arn));

const GAAD_FILTERS = new Set(['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy']);

export const HANDLERS: Record<string, ActionHandler> = {
  // ─── Roles ─────────────────────────────────────────────────────────────────
  CreateRole: (account, p) => {
    const role = account.createRole({
      name: required(p, 'RoleName'),
      path: optional(p, 'Path'),
      trustPolicy: required(p, 'AssumeRolePolicyDocument'),
      description: optional(p, 'Description'),
      maxSessionDuration: optionalInt(p, 'MaxSessionDuration', 3600, 43200),
      permissionsBoundaryArn: optional(p, 'PermissionsBoundary'),
      tags: tagList(p, 'Tags'),
    });
    return node('Role', roleXml(role, { boundaryAndTags: true, lastUsed: false }));
  },
  GetRole: (account, p) =>
    node('Role', roleXml(account.getRole(required(p, 'RoleName')), { boundaryAndTags: true, lastUsed: true })),
  ListRoles: (account, p) => {
    const { page, isTruncated, marker } = paginate(account.listRoles(optional(p, 'PathPrefix')), p);
    return (
      list(
        'Roles',
        page.map((r) => roleXml(r, { boundaryAndTags: false, lastUsed: false })),
      ) + pageXml(isTruncated, marker)
    );
  },
  UpdateAssumeRolePolicy: (account, p) => {
    account.updateAssumeRolePolicy(required(p, 'RoleName'), required(p, 'PolicyDocument'));
    return null;
  },
  PutRolePermissionsBoundary: (account, p) => {
    account.putRolePermissionsBoundary(required(p, 'RoleName'), required(p, 'PermissionsBoundary'));
    return null;
  },
  DeleteRolePermissionsBoundary: (account, p) => {
    account.deleteRolePermissionsBoundary(required(p, 'RoleName'));
    return null;
  },
  TagRole: (account, p) => {
    account.tagRole(required(p, 'RoleName'), requiredTags(p));
    return null;
  },
  UntagRole: (account, p) => {
    account.untagRole(required(p, 'RoleName'), requiredKeys(p));
    return null;
  },
  ListRoleTags: (account, p) => {
    const role = account.getRole(required(p, 'RoleName'));
    const { page, isTruncated, marker } = paginate(role.tags, p);
    return tagsXml('Tags', page) + pageXml(isTruncated, marker);
  },
  DeleteRole: (account, p) => {
    account.deleteRole(required(p, 'RoleName'));
    return null;
  },

  // ─── Attachments ───────────────────────────────────────────────────────────
  AttachRolePolicy: (account, p) => {
    account.attachRolePolicy(required(p, 'RoleName'), required(p, 'PolicyArn'));
    return null;
  },
  DetachRolePolicy: (account, p) => {
    account.detachRolePolicy(required(p, 'RoleName'), required(p, 'PolicyArn'));
    return null;
  },
  ListAttachedRolePolicies: (account, p) => {
    const attached = account.attachedPolicies(required(p, 'RoleName'), optional(p, 'PathPrefix'));
    const { page, isTruncated, marker } = paginate(attached, p);
    return list('AttachedPolicies', attachedXml(page)) + pageXml(isTruncated, marker);
  },

  // ─── Policies ──────────────────────────────────────────────────────────────
  CreatePolicy: (account, p) => {
    const policy = account.createPolicy({
      name: required(p, 'PolicyName'),
      path: optional(p, 'Path'),
      document: required(p, 'PolicyDocument'),
      description: optional(p, 'Description'),
      tags: tagList(p, 'Tags'),
    });
    return node('Policy', policyXml(account, policy, true));
  },
  GetPolicy: (account, p) => node('Policy', policyXml(account, account.getPolicy(required(p, 'PolicyArn')), true)),
  ListPolicies: (account, p) => {
    const scope = optional(p, 'Scope') ?? 'All';
    if (!['All', 'AWS', 'Local'].includes(scope)) {
      throw validationError('scope', scope, 'Member must satisfy enum value set: [All, AWS, Local]');
    }
    // The emulator holds no AWS-managed policies: Scope=AWS lists nothing.
    const policies =
      scope === 'AWS' ? [] : account.listPolicies(optional(p, 'PathPrefix'), optionalBool(p, 'OnlyAttached'));
    const { page, isTruncated, marker } = paginate(policies, p);
    return (
      list(
        'Policies',
        page.map((x) => policyXml(account, x, false)),
      ) + pageXml(isTruncated, marker)
    );
  },
  GetPolicyVersion: (account, p) => {
    const arn = required(p, 'PolicyArn');
    const version = account.getPolicyVersion(arn, required(p, 'VersionId'));
    return node('PolicyVersion', versionXml(account.getPolicy(arn), version, true));
  },
  ListPolicyVersions: (account, p) => {
    const policy = account.getPolicy(required(p, 'PolicyArn'));
    const newestFirst = [...policy.versions].reverse();
    const { page, isTruncated, marker } = paginate(newestFirst, p);
    return (
      list(
        'Versions',
        page.map((v) => versionXml(policy, v, false)),
      ) + pageXml(isTruncated, marker)
    );
  },
  CreatePolicyVersion: (account, p) => {
    const arn = required(p, 'PolicyArn');
    const version = account.createPolicyVersion(
      arn,
      required(p, 'PolicyDocument'),
      optionalBool(p, 'SetAsDefault') ?? false,
    );
    return node('PolicyVersion', versionXml(account.getPolicy(arn), version, false));
  },
  DeletePolicyVersion: (account, p) => {
    account.deletePolicyVersion(required(p, 'PolicyArn'), required(p, 'VersionId'));
    return null;
  },
  SetDefaultPolicyVersion: (account, p) => {
    const arn = required(p, 'PolicyArn');
    const versionId = required(p, 'VersionId');
    account.getPolicyVersion(arn, versionId);
    account.getPolicy(arn).defaultVersionId = versionId;
    return null;
  },
  DeletePolicy: (account, p) => {
    account.deletePolicy(required(p, 'PolicyArn'));
    return null;
  },
  TagPolicy: (account, p) => {
    account.tagPolicy(required(p, 'PolicyArn'), requiredTags(p));
    return null;
  },
  UntagPolicy: (account, p) => {
    account.untagPolicy(required(p, 'PolicyArn'), requiredKeys(p));
    return null;
  },
  ListPolicyTags: (account, p) => {
    const policy = account.getPolicy(required(p, 'PolicyArn'));
    const { page, isTruncated, marker } = paginate(policy.tags, p);
    return tagsXml('Tags', page) + pageXml(isTruncated, marker);
  },

  // ─── Whole account ─────────────────────────────────────────────────────────
  GetAccountAuthorizationDetails: (account, p) => {
    const filters = stringList(p, 'Filter');
    for (const f of filters) {
      if (!GAAD_FILTERS.has(f)) {
        throw validationError(
          'filter',
          f,
          'Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]',
        );
      }
    }
    const wants = (f: string): boolean => filters.length === 0 || filters.includes(f);
    type Item = { kind: 'role'; role: RoleEntity } | { kind: 'policy'; policy: PolicyEntity };
    const items: Item[] = [
      ...(wants('Role') ? account.listRoles().map((role): Item => ({ kind: 'role', role })) : []),
      ...(wants('LocalManagedPolicy')
        ? account.listPolicies().map((policy): Item => ({ kind: 'policy', policy }))
        : []),
    ];
    const { page, isTruncated, marker } = paginate(items, p);
    const roles: string[] = [];
    const policies: string[] = [];
    for (const item of page) {
      if (item.kind === 'role') {
        const r = item.role;
        roles.push(
          text('Path', r.path) +
            text('RoleName', r.name) +
            text('RoleId', r.id) +
            text('Arn', r.arn) +
            text('CreateDate', r.createDate) +
            text('AssumeRolePolicyDocument', encodeDocument(r.trustPolicy)) +
            list('InstanceProfileList', []) +
            list('RolePolicyList', []) +
            list('AttachedManagedPolicies', attachedXml(account.attachedPolicies(r.name))) +
            (r.permissionsBoundaryArn !== null
              ? node(
                  'PermissionsBoundary',
                  text('PermissionsBoundaryType', 'Policy') + text('PermissionsBoundaryArn', r.permissionsBoundaryArn),
                )
              : '') +
            tagsXml('Tags', r.tags) +
            '<RoleLastUsed/>',
        );
      } else {
        const x = item.policy;
        policies.push(
          policyXml(account, x, false) +
            list(
              'PolicyVersionList',
              [...x.versions].reverse().map((v) => versionXml(x, v, true)),
            ),
        );
      }
    }
    return (
      list('UserDetailList', []) +
      list('GroupDetailList', []) +
      list('RoleDetailList', roles) +
      list('Policies', policies) +
      pageXml(isTruncated, marker)
    );
  },

  // ─── OIDC providers ────────────────────────────────────────────────────────
  CreateOpenIDConnectProvider: (account, p) => {
    const provider = account.createOpenIdConnectProvider({
      url: required(p, 'Url'),
      clientIds: stringList(p, 'ClientIDList'),
      thumbprints: stringList(p, 'ThumbprintList'),
      tags: tagList(p, 'Tags'),
    });
    return (
      text('OpenIDConnectProviderArn', provider.arn) + (provider.tags.length > 0 ? tagsXml('Tags', provider.tags) : '')
    );
  },
  ListOpenIDConnectProviders: (account) =>
    list(
      'OpenIDConnectProviderList',
      account.listOpenIdConnectProviders().map((x) => text('Arn', x.arn)),
    ),
  GetOpenIDConnectProvider: (account, p) => {
    const x = account.getOpenIdConnectProvider(required(p, 'OpenIDConnectProviderArn'));
    return (
      text('Url', x.url) +
      list('ClientIDList', x.clientIds.map(escapeXml)) +
      list('ThumbprintList', x.thumbprints.map(escapeXml)) +
      text('CreateDate', x.createDate) +
      (x.tags.length > 0 ? tagsXml('Tags', x.tags) : '')
    );
  },
};

const requiredTags = (p: FormParams): ReturnType<typeof tagList> => {
  if (p.Tags === undefined && !Object.keys(p).some((k) => k.startsWith('Tags.member.'))) {
    throw validationError('tags', null, 'Member must not be null');
  }
  return tagList(p, 'Tags');
};

const requiredKeys = (p: FormParams): string[] => {
  if (p.TagKeys === undefined && !Object.keys(p).some((k) => k.startsWith('TagKeys.member.'))) {
    throw validationError('tagKeys', null, 'Member must not be null');
  }
  return stringList(p, 'TagKeys');
};

/** Actions that only read: benches and tests count writes as everything else. */
export const isReadAction = (action: string): boolean => action.startsWith('Get') || action.startsWith('List');

export const unknownAction = (action: string): IamEmulatorError =>
  new IamEmulatorError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
