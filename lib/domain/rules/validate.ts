import type { AwsDataPlaneConfig, DataPlaneConfig, GrantplaneConfig, OtherDataPlaneConfig } from '../config.js';
import type { GrantRequest } from '../grant.js';
import type { RuleViolation, Scope } from '../model.js';
import { s3Statements, secretStatements, type NormStatement } from '../compile/statements.js';
import { checkCloudGrant, type CloudBinding } from '../cloud/bindings.js';
import { checkCloud } from './cloud.js';
import { violation } from './codes.js';
import { checkEcr, ecrPullPrincipal } from './ecr.js';
import { checkExpiry } from './expiry.js';
import { resolvePlane } from './plane.js';
import { parseGrantRequest } from './request.js';
import { checkS3 } from './s3.js';
import { checkScopeNames } from './scope.js';
import { checkSecret } from './secrets.js';
import { checkCustomStatements } from './statements.js';

// One grant request through every per-grant rule (R1–R8), in the order a reader fixes them:
// structure, plane, cloud, names, resource, time. Cross-grant rules (R9 duplicates, C3 quotas)
// are the engine's, because they need the whole set.

export interface GrantNoteDraft {
  code:
    | 'ecr.same-account'
    | 'ecr.cross-account'
    | 'artifact-registry.same-project'
    | 'gcp-secret.same-project'
    | 'acr.same-subscription';
  message: string;
}

/** A global grant on a GCP or Azure plane that passed its rules: the bindings it needs. */
export interface ValidCloudGrant {
  request: GrantRequest;
  plane: OtherDataPlaneConfig;
  /** R9 identity, like ValidGrant's. */
  key: string;
  bindings: CloudBinding[];
  notes: GrantNoteDraft[];
  secretGroup?: string;
}

/** A request that passed every per-grant rule, ready to compile. */
export interface ValidGrant {
  request: GrantRequest;
  plane: AwsDataPlaneConfig;
  scope: Scope;
  /**
   * R9 identity and C3 canonical order in one string: (plane, scope, resource incl. access).
   * Global scopes sort before project-domain ones of the same plane.
   */
  key: string;
  /** Identity-policy statements for the target (empty for ECR). */
  statements: NormStatement[];
  secretGroup?: string;
  secretKey?: string;
  notes: GrantNoteDraft[];
  /** Cross-account ECR (R6): the repository and the principal its policy must name. */
  ecrPull?: { repositoryArn: string; principal: string };
}

/** What the engine plans with: an AWS grant, or a GCP/Azure one with its bindings. */
export type PlanValidation =
  | { ok: true; grant: ValidGrant; cloud?: undefined }
  | { ok: true; cloud: ValidCloudGrant; grant?: undefined }
  | { ok: false; errors: RuleViolation[] };

/**
 * Validates one raw grant request against R1–R8 for storing: an AWS grant, or a GCP/Azure global
 * grant with the bindings it needs (grantplane applies them all, docs/gcp-azure.md).
 */
export function validateGrantRequest(config: GrantplaneConfig, raw: unknown, now: Date): PlanValidation {
  return validateForPlan(config, raw, now);
}

const SEP = '\u0001';

function scopeKey(scope: Scope): string {
  return scope.type === 'global' ? '' : `${scope.project}${SEP}${scope.domain}`;
}

/** Scope from the request, with the scope schema's types. */
function toScope(request: GrantRequest): Scope {
  return request.scope.type === 'global'
    ? { type: 'global' }
    : { type: 'project-domain', project: request.scope.project, domain: request.scope.domain };
}

function isAws(plane: DataPlaneConfig): plane is AwsDataPlaneConfig {
  return plane.cloud === 'aws';
}

/** Validates one raw grant request against R1–R8 (not R9/C3, which need the whole set). */
export function validateForPlan(config: GrantplaneConfig, raw: unknown, now: Date): PlanValidation {
  const parsed = parseGrantRequest(raw);
  if ('errors' in parsed) return { ok: false, errors: parsed.errors };
  const request = parsed.request;
  const resolved = resolvePlane(config, request.dataPlane);
  if ('errors' in resolved) return { ok: false, errors: resolved.errors };
  const plane = resolved.plane;
  const scope = toScope(request);
  const cloudErrors = checkCloud(plane, scope);
  if (cloudErrors.length > 0) return { ok: false, errors: cloudErrors };
  if (!isAws(plane)) {
    const checked = checkCloudGrant(plane, request.resource);
    const errors = [...(checked.ok ? [] : checked.errors), ...checkExpiry(request.expiresAt, now, plane.maxGrantDays)];
    if (!checked.ok || errors.length > 0) return { ok: false, errors };
    return {
      ok: true,
      cloud: {
        request,
        plane,
        key: `${plane.name}${SEP}0${SEP}${JSON.stringify(checked.identity)}`,
        bindings: checked.bindings,
        notes: checked.notes,
        ...(checked.secretGroup === undefined ? {} : { secretGroup: checked.secretGroup }),
      },
    };
  }

  const errors: RuleViolation[] = [...checkScopeNames(plane, scope)];
  const grant: ValidGrant = { request, plane, scope, key: '', statements: [], notes: [] };
  const resource = request.resource;
  // Built with a fixed key order, so JSON.stringify is canonical.
  let identity: unknown;
  switch (resource.type) {
    case 's3': {
      const prefix = resource.prefix === '' ? undefined : resource.prefix;
      errors.push(...checkS3(plane, { bucket: resource.bucket, prefix }));
      identity = { type: 's3', bucket: resource.bucket, prefix: prefix ?? '', access: resource.access };
      if (errors.length === 0) grant.statements = s3Statements(plane, resource.bucket, prefix, resource.access);
      break;
    }
    case 'secretsmanager': {
      const checked = checkSecret(plane, resource);
      if ('errors' in checked) {
        errors.push(...checked.errors);
        break;
      }
      identity = { type: 'secretsmanager', resource: checked.secret.resource };
      grant.statements = secretStatements(checked.secret.resource);
      if (checked.secret.secretGroup !== undefined) grant.secretGroup = checked.secret.secretGroup;
      if (checked.secret.secretKey !== undefined) grant.secretKey = checked.secret.secretKey;
      break;
    }
    case 'ecr': {
      const checked = checkEcr(plane, resource.repositoryArn, scope);
      if ('errors' in checked) {
        errors.push(...checked.errors);
        break;
      }
      identity = { type: 'ecr', repositoryArn: resource.repositoryArn };
      if (checked.ecr.sameAccount) {
        grant.notes.push({
          code: 'ecr.same-account',
          message: `The repository is in the plane's own account ${plane.accountId}: pulls are enabled by default, nothing to change.`,
        });
      } else {
        grant.ecrPull = { repositoryArn: resource.repositoryArn, principal: ecrPullPrincipal(plane) };
        grant.notes.push({
          code: 'ecr.cross-account',
          message: `Apply the repository policy listed under infrastructure for ${resource.repositoryArn} in account ${checked.ecr.account}; grantplane does not change other accounts.`,
        });
      }
      break;
    }
    case 'gcs':
    case 'artifact-registry':
    case 'gcp-secret':
    case 'azure-blob':
    case 'acr':
    case 'azure-key-vault':
      errors.push(
        violation(
          'resource.type',
          'cloud.resource-type',
          `"${resource.type}" is a ${resource.type.startsWith('a') && resource.type !== 'artifact-registry' ? 'Azure' : 'GCP'} resource; AWS plane "${plane.name}" takes s3, secretsmanager, ecr or iam-statements.`,
        ),
      );
      break;
    case 'iam-statements': {
      const checked = checkCustomStatements(resource.statements, plane);
      if ('errors' in checked) {
        errors.push(...checked.errors);
        break;
      }
      grant.statements = checked.statements;
      // Identity by meaning: the same statements spelled differently are one grant (R9).
      identity = { type: 'iam-statements', statements: checked.statements };
      break;
    }
  }
  errors.push(...checkExpiry(request.expiresAt, now, plane.maxGrantDays));
  if (errors.length > 0) return { ok: false, errors };
  grant.key = `${plane.name}${SEP}${scope.type === 'global' ? '0' : '1'}${scopeKey(scope)}${SEP}${JSON.stringify(identity)}`;
  return { ok: true, grant };
}
