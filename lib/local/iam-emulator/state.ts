// What one emulated AWS account holds and IAM's documented rules for changing it
// (IAM User Guide: "IAM object quotas", "IAM identifiers", API reference error lists).
import { createHash } from 'node:crypto';
import { validatePolicyDocument } from './documents.js';
import {
  alreadyExists,
  deleteConflict,
  IamEmulatorError,
  invalidInput,
  limitExceeded,
  noSuchEntity,
  validationError,
} from './errors.js';
import type { Tag } from './protocol.js';

/** IAM quotas the emulator enforces; defaults are IAM's documented defaults. */
export interface IamQuotas {
  /** Managed policies attached to one role (IAM default 10, raisable to 20). */
  attachedPoliciesPerRole: number;
  /** Versions kept per managed policy. */
  versionsPerPolicy: number;
  /** Managed policy size, characters not counting white space. */
  policySize: number;
  /** Role trust policy size (ACLSizePerRole). */
  trustPolicySize: number;
  /** Tags per role, policy or provider. */
  tagsPerResource: number;
}

export const DEFAULT_QUOTAS: IamQuotas = {
  attachedPoliciesPerRole: 10,
  versionsPerPolicy: 5,
  policySize: 6144,
  trustPolicySize: 2048,
  tagsPerResource: 50,
};

export interface RoleEntity {
  name: string;
  id: string;
  path: string;
  arn: string;
  createDate: Date;
  trustPolicy: string;
  description: string | undefined;
  maxSessionDuration: number;
  permissionsBoundaryArn: string | null;
  tags: Tag[];
  /** Attached managed policy ARNs, in attach order. */
  attached: string[];
}

export interface PolicyVersionEntity {
  versionId: string;
  document: string;
  createDate: Date;
}

export interface PolicyEntity {
  name: string;
  id: string;
  path: string;
  arn: string;
  createDate: Date;
  updateDate: Date;
  description: string | undefined;
  defaultVersionId: string;
  /** Oldest first. */
  versions: PolicyVersionEntity[];
  nextVersion: number;
  tags: Tag[];
}

export interface OidcProviderEntity {
  arn: string;
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Tag[];
  createDate: Date;
}

const NAME_PATTERN = /^[\w+=,.@-]+$/;
const PATH_PATTERN = /^(\/|\/[\u0021-\u007e]+\/)$/;
const PATH_PREFIX_PATTERN = /^\/[\u0021-\u007f]*$/;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const checkName = (member: string, name: string, max: number): void => {
  if (name.length < 1 || name.length > max) {
    throw validationError(member, name, `Member must have length less than or equal to ${max}`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw validationError(member, name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  }
};

/** Validates an entity path (`/` or `/a/b/`, at most 512 characters). */
export const checkPath = (path: string): void => {
  if (path.length > 512 || !PATH_PATTERN.test(path)) {
    throw validationError(
      'path',
      path,
      'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  }
};

/** Validates a list operation's PathPrefix. */
export const checkPathPrefix = (prefix: string): void => {
  if (prefix.length > 512 || !PATH_PREFIX_PATTERN.test(prefix)) {
    throw validationError(
      'pathPrefix',
      prefix,
      'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*',
    );
  }
};

const checkDescription = (description: string | undefined): void => {
  if (description !== undefined && description.length > 1000) {
    throw validationError('description', description, 'Member must have length less than or equal to 1000');
  }
};

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** One emulated AWS account: roles, customer-managed policies and OIDC providers. */
export class IamAccount {
  readonly accountId: string;
  private readonly quotas: IamQuotas;
  private readonly now: () => Date;
  private readonly roles = new Map<string, RoleEntity>();
  private readonly policies = new Map<string, PolicyEntity>();
  private readonly providers = new Map<string, OidcProviderEntity>();
  private idCounter = 0;

  constructor(accountId: string, quotas: IamQuotas, now: () => Date) {
    this.accountId = accountId;
    this.quotas = quotas;
    this.now = now;
  }

  /** A stable, unique IAM-style id (`AROA…`, `ANPA…`): deterministic, so runs are reproducible. */
  private nextId(prefix: string): string {
    this.idCounter += 1;
    const digest = createHash('sha256').update(`${this.accountId}:${prefix}:${this.idCounter}`).digest();
    let id = '';
    for (let i = 0; i < 17; i += 1) id += ID_ALPHABET[(digest[i] ?? 0) % 32] ?? 'A';
    return prefix + id;
  }

  roleArn(path: string, name: string): string {
    return `arn:aws:iam::${this.accountId}:role${path}${name}`;
  }

  policyArn(path: string, name: string): string {
    return `arn:aws:iam::${this.accountId}:policy${path}${name}`;
  }

  // ─── Tags ──────────────────────────────────────────────────────────────────

  private mergeTags(current: Tag[], added: Tag[]): Tag[] {
    const seen = new Set<string>();
    for (const tag of added) {
      if (tag.Key.length < 1 || tag.Key.length > 128 || !TAG_PATTERN.test(tag.Key)) {
        throw validationError(
          'tags.member.key',
          tag.Key,
          'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
        );
      }
      if (tag.Value.length > 256 || !TAG_PATTERN.test(tag.Value)) {
        throw validationError(
          'tags.member.value',
          tag.Value,
          'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
        );
      }
      if (tag.Key.toLowerCase().startsWith('aws:')) throw invalidInput('Tag keys starting with aws: are reserved.');
      const lower = tag.Key.toLowerCase();
      if (seen.has(lower))
        throw invalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      seen.add(lower);
    }
    const next = current.filter((t) => !seen.has(t.Key.toLowerCase()));
    next.push(...added.map((t) => ({ Key: t.Key, Value: t.Value })));
    if (next.length > this.quotas.tagsPerResource) {
      throw limitExceeded(`The number of tags has reached the maximum limit of ${this.quotas.tagsPerResource}.`);
    }
    return next;
  }

  private removeTags(current: Tag[], keys: string[]): Tag[] {
    const lower = new Set(keys.map((k) => k.toLowerCase()));
    return current.filter((t) => !lower.has(t.Key.toLowerCase()));
  }

  // ─── Roles ─────────────────────────────────────────────────────────────────

  getRole(name: string): RoleEntity {
    checkName('roleName', name, 64);
    const role = this.roles.get(name.toLowerCase());
    if (role === undefined) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return role;
  }

  hasRole(name: string): boolean {
    return this.roles.has(name.toLowerCase());
  }

  listRoles(pathPrefix = '/'): RoleEntity[] {
    checkPathPrefix(pathPrefix);
    return [...this.roles.values()].filter((r) => r.path.startsWith(pathPrefix)).sort(byName);
  }

  createRole(input: {
    name: string;
    path?: string | undefined;
    trustPolicy: string;
    description?: string | undefined;
    maxSessionDuration?: number | undefined;
    permissionsBoundaryArn?: string | undefined;
    tags?: Tag[] | undefined;
  }): RoleEntity {
    checkName('roleName', input.name, 64);
    const path = input.path ?? '/';
    checkPath(path);
    checkDescription(input.description);
    validatePolicyDocument(input.trustPolicy, 'trust', this.quotas.trustPolicySize);
    if (this.roles.has(input.name.toLowerCase())) throw alreadyExists(`Role with name ${input.name} already exists.`);
    if (input.permissionsBoundaryArn !== undefined) this.checkBoundary(input.permissionsBoundaryArn);
    const tags = this.mergeTags([], input.tags ?? []);
    const role: RoleEntity = {
      name: input.name,
      id: this.nextId('AROA'),
      path,
      arn: this.roleArn(path, input.name),
      createDate: this.now(),
      trustPolicy: input.trustPolicy,
      description: input.description,
      maxSessionDuration: input.maxSessionDuration ?? 3600,
      permissionsBoundaryArn: input.permissionsBoundaryArn ?? null,
      tags,
      attached: [],
    };
    this.roles.set(input.name.toLowerCase(), role);
    return role;
  }

  updateAssumeRolePolicy(name: string, document: string): void {
    const role = this.getRole(name);
    validatePolicyDocument(document, 'trust', this.quotas.trustPolicySize);
    role.trustPolicy = document;
  }

  /**
   * A boundary must be an existing managed policy. The emulator holds no AWS-managed policies, so
   * any `arn:aws:iam::aws:policy/…` is taken as existing (a plane may use one as its boundary).
   */
  private checkBoundary(arn: string): void {
    if (arn.startsWith('arn:aws:iam::aws:policy/')) return;
    if (!this.policies.has(arn)) throw noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
  }

  putRolePermissionsBoundary(name: string, boundaryArn: string): void {
    const role = this.getRole(name);
    this.checkBoundary(boundaryArn);
    role.permissionsBoundaryArn = boundaryArn;
  }

  deleteRolePermissionsBoundary(name: string): void {
    const role = this.getRole(name);
    if (role.permissionsBoundaryArn === null) {
      throw noSuchEntity(`The role with name ${name} does not have a permissions boundary.`);
    }
    role.permissionsBoundaryArn = null;
  }

  tagRole(name: string, tags: Tag[]): void {
    const role = this.getRole(name);
    role.tags = this.mergeTags(role.tags, tags);
  }

  untagRole(name: string, keys: string[]): void {
    const role = this.getRole(name);
    role.tags = this.removeTags(role.tags, keys);
  }

  deleteRole(name: string): void {
    const role = this.getRole(name);
    if (role.attached.length > 0) throw deleteConflict('Cannot delete entity, must detach all policies first.');
    this.roles.delete(name.toLowerCase());
  }

  // ─── Attachments ───────────────────────────────────────────────────────────

  attachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    if (!this.policies.has(policyArn)) {
      throw noSuchEntity(`Policy ${policyArn} does not exist or is not attachable.`);
    }
    if (role.attached.includes(policyArn)) return; // IAM: attaching twice is a no-op
    if (role.attached.length >= this.quotas.attachedPoliciesPerRole) {
      throw limitExceeded(`Cannot exceed quota for PoliciesPerRole: ${this.quotas.attachedPoliciesPerRole}`);
    }
    role.attached.push(policyArn);
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    if (!role.attached.includes(policyArn)) throw noSuchEntity(`Policy ${policyArn} was not found.`);
    role.attached = role.attached.filter((a) => a !== policyArn);
  }

  attachedPolicies(roleName: string, pathPrefix = '/'): PolicyEntity[] {
    const role = this.getRole(roleName);
    checkPathPrefix(pathPrefix);
    return role.attached
      .map((arn) => this.policies.get(arn))
      .filter((p): p is PolicyEntity => p !== undefined && p.path.startsWith(pathPrefix));
  }

  attachmentCount(policyArn: string): number {
    let count = 0;
    for (const role of this.roles.values()) if (role.attached.includes(policyArn)) count += 1;
    return count;
  }

  boundaryUsageCount(policyArn: string): number {
    let count = 0;
    for (const role of this.roles.values()) if (role.permissionsBoundaryArn === policyArn) count += 1;
    return count;
  }

  // ─── Policies ──────────────────────────────────────────────────────────────

  getPolicy(arn: string): PolicyEntity {
    const policy = this.policies.get(arn);
    if (policy === undefined) throw noSuchEntity(`Policy ${arn} was not found.`);
    return policy;
  }

  hasPolicy(arn: string): boolean {
    return this.policies.has(arn);
  }

  listPolicies(pathPrefix = '/', onlyAttached = false): PolicyEntity[] {
    checkPathPrefix(pathPrefix);
    return [...this.policies.values()]
      .filter((p) => p.path.startsWith(pathPrefix))
      .filter((p) => !onlyAttached || this.attachmentCount(p.arn) > 0)
      .sort(byName);
  }

  createPolicy(input: {
    name: string;
    path?: string | undefined;
    document: string;
    description?: string | undefined;
    tags?: Tag[] | undefined;
  }): PolicyEntity {
    checkName('policyName', input.name, 128);
    const path = input.path ?? '/';
    checkPath(path);
    checkDescription(input.description);
    validatePolicyDocument(input.document, 'identity', this.quotas.policySize);
    const lower = input.name.toLowerCase();
    for (const existing of this.policies.values()) {
      if (existing.name.toLowerCase() === lower) {
        throw alreadyExists(`A policy called ${input.name} already exists. Duplicate names are not allowed.`);
      }
    }
    const tags = this.mergeTags([], input.tags ?? []);
    const now = this.now();
    const policy: PolicyEntity = {
      name: input.name,
      id: this.nextId('ANPA'),
      path,
      arn: this.policyArn(path, input.name),
      createDate: now,
      updateDate: now,
      description: input.description,
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', document: input.document, createDate: now }],
      nextVersion: 2,
      tags,
    };
    this.policies.set(policy.arn, policy);
    return policy;
  }

  getPolicyVersion(arn: string, versionId: string): PolicyVersionEntity {
    const policy = this.getPolicy(arn);
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (version === undefined)
      throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
    return version;
  }

  createPolicyVersion(arn: string, document: string, setAsDefault: boolean): PolicyVersionEntity {
    const policy = this.getPolicy(arn);
    validatePolicyDocument(document, 'identity', this.quotas.policySize);
    if (policy.versions.length >= this.quotas.versionsPerPolicy) {
      throw limitExceeded(
        `A managed policy can have up to ${this.quotas.versionsPerPolicy} versions. Before you create a new version, you must delete an existing version.`,
      );
    }
    const now = this.now();
    const version: PolicyVersionEntity = { versionId: `v${policy.nextVersion}`, document, createDate: now };
    policy.nextVersion += 1;
    policy.versions.push(version);
    policy.updateDate = now;
    if (setAsDefault) policy.defaultVersionId = version.versionId;
    return version;
  }

  deletePolicyVersion(arn: string, versionId: string): void {
    const policy = this.getPolicy(arn);
    this.getPolicyVersion(arn, versionId);
    if (policy.defaultVersionId === versionId) throw deleteConflict('Cannot delete the default version of the policy.');
    policy.versions = policy.versions.filter((v) => v.versionId !== versionId);
  }

  deletePolicy(arn: string): void {
    const policy = this.getPolicy(arn);
    if (this.attachmentCount(arn) > 0) throw deleteConflict('Cannot delete a policy attached to entities.');
    if (this.boundaryUsageCount(arn) > 0) {
      throw deleteConflict('Cannot delete a policy used as a permissions boundary by entities.');
    }
    if (policy.versions.length > 1) {
      throw deleteConflict(
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
    }
    this.policies.delete(arn);
  }

  tagPolicy(arn: string, tags: Tag[]): void {
    const policy = this.getPolicy(arn);
    policy.tags = this.mergeTags(policy.tags, tags);
  }

  untagPolicy(arn: string, keys: string[]): void {
    const policy = this.getPolicy(arn);
    policy.tags = this.removeTags(policy.tags, keys);
  }

  // ─── OIDC providers ────────────────────────────────────────────────────────

  createOpenIdConnectProvider(input: {
    url: string;
    clientIds: string[];
    thumbprints: string[];
    tags: Tag[];
  }): OidcProviderEntity {
    if (!input.url.startsWith('https://') || input.url.length > 255) {
      throw new IamEmulatorError('InvalidInput', 'Url must begin with https:// and be at most 255 characters.');
    }
    const hostPath = input.url.slice('https://'.length).replace(/\/$/, '');
    const arn = `arn:aws:iam::${this.accountId}:oidc-provider/${hostPath}`;
    if (this.providers.has(arn)) throw alreadyExists(`Provider with url ${input.url} already exists.`);
    const provider: OidcProviderEntity = {
      arn,
      url: hostPath,
      clientIds: input.clientIds,
      thumbprints: input.thumbprints,
      tags: this.mergeTags([], input.tags),
      createDate: this.now(),
    };
    this.providers.set(arn, provider);
    return provider;
  }

  getOpenIdConnectProvider(arn: string): OidcProviderEntity {
    const provider = this.providers.get(arn);
    if (provider === undefined) throw noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
    return provider;
  }

  hasOpenIdConnectProvider(arn: string): boolean {
    return this.providers.has(arn);
  }

  listOpenIdConnectProviders(): OidcProviderEntity[] {
    return [...this.providers.values()].sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }
}
