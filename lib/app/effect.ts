// Whether a grant is in effect yet, and what is still to be done by whom. `active` means IAM holds
// the grant's statements; pods use them only once the rest of the path is there: a project-domain
// grant once its pair's uctl update (pointing the namespace at the role) has run — acknowledged,
// or seen in imported attributes — and a cross-account ECR grant once the repository's owner has
// applied its repository policy (acknowledged). A global grant is in effect when active.
import { roleArn } from '../domain/compile/arns.js';
import { pairRoleName } from '../domain/compile/names.js';
import { roleAttribute } from '../domain/config.js';
import type { GrantRecord } from '../domain/records.js';
import type { AppDeps } from './deps.js';
import { infrastructureUpdateFor } from './infrastructure.js';

/** One step that stands between a grant and its effect. */
export interface PendingStep {
  kind: 'approval' | 'apply' | 'uctl-update' | 'ecr-repository-policy';
  /** The update to run and acknowledge (uctl or infrastructure), when one is recorded. */
  id?: string;
  /** Who does it. */
  by: string;
  /** What to do. */
  action: string;
}

export interface GrantEffect {
  inEffect: boolean;
  /** Since when pods get the access (in effect only). */
  since?: string;
  pending: PendingStep[];
}

/** A grant as `GET /v1/grants/{id}` answers it. */
export type GrantView = GrantRecord & { effect?: GrantEffect };

const activeSince = (grant: GrantRecord): string =>
  [...grant.history].reverse().find((change) => change.status === 'active')?.at ?? grant.updatedAt;

const later = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);

/** The grant's effect; undefined for a grant that has ended or is ending (no effect to wait for). */
export async function effectOf(deps: AppDeps, grant: GrantRecord): Promise<GrantEffect | undefined> {
  switch (grant.status) {
    case 'pending-approval':
      return {
        inEffect: false,
        pending: [
          { kind: 'approval', by: 'an approver (not the requester)', action: `POST /v1/grants/${grant.id}/approve` },
        ],
      };
    case 'approved':
      return {
        inEffect: false,
        pending: [
          { kind: 'apply', by: 'grantplane (the applier)', action: 'put the grant into IAM; nothing to do by hand' },
        ],
      };
    case 'failed':
      return {
        inEffect: false,
        pending: [
          {
            kind: 'apply',
            by: 'grantplane (the applier) once the cause is fixed',
            action: `see failureReason: ${grant.failureReason ?? 'the audit says why'}`,
          },
        ],
      };
    case 'active':
      return activeEffect(deps, grant);
    default:
      return undefined;
  }
}

async function activeEffect(deps: AppDeps, grant: GrantRecord): Promise<GrantEffect> {
  const since = activeSince(grant);
  const plane = deps.config.dataPlanes.find((candidate) => candidate.name === grant.dataPlane);
  if (plane === undefined || plane.cloud !== 'aws') return { inEffect: true, since, pending: [] };
  if (grant.resource.type === 'ecr') {
    const account = grant.resource.repositoryArn.split(':')[4] ?? '';
    if (account === plane.accountId) return { inEffect: true, since, pending: [] }; // R6: enabled by default
    const update = await infrastructureUpdateFor(deps, plane.name, grant.resource.repositoryArn);
    if (update !== null && update.status === 'acknowledged' && update.policy !== null)
      return { inEffect: true, since: later(since, update.acknowledgedAt ?? since), pending: [] };
    return {
      inEffect: false,
      pending: [
        {
          kind: 'ecr-repository-policy',
          ...(update === null ? {} : { id: update.id }),
          by: `the owner of account ${account}`,
          action: `add the repository policy statement to ${grant.resource.repositoryArn}${update === null ? '' : ` (GET /v1/infrastructure-updates?status=pending), then POST /v1/infrastructure-updates/${update.id}/ack`}`,
        },
      ],
    };
  }
  if (grant.scope.type === 'global') return { inEffect: true, since, pending: [] };
  const { project, domain } = grant.scope;
  const arn = roleArn(plane, plane.managedPath, pairRoleName(plane, project, domain));
  const latest = await deps.attributes.latestAttributeUpdate(plane.name, project, domain);
  if (latest !== null && latest.roleArn === arn && latest.status === 'acknowledged')
    return { inEffect: true, since: later(since, latest.acknowledgedAt ?? since), pending: [] };
  const imported = await deps.attributes.getAttributes(plane.name, project, domain);
  if (imported !== null && imported.attributes[roleAttribute(plane)] === arn)
    return { inEffect: true, since: later(since, imported.importedAt), pending: [] };
  const update = latest !== null && latest.roleArn === arn ? latest : null;
  return {
    inEffect: false,
    pending: [
      {
        kind: 'uctl-update',
        ...(update === null ? {} : { id: update.id }),
        by: 'an operator with uctl access to the cluster',
        action:
          update === null
            ? `point namespace ${project}-${domain} at ${arn} with uctl (the pair's update is recorded when the applier runs)`
            : `run the pair's uctl update (GET /v1/attribute-updates?status=pending: its yaml and command), then POST /v1/attribute-updates/${update.id}/ack`,
      },
    ],
  };
}
