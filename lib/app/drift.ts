// checkDrift (DESIGN §10, A1): one whole-plane read with the fewest calls IAM allows, compared with
// the plane's desired targets by the same pure functions the applier uses.
import type { AwsDataPlaneConfig } from '../domain/config.js';
import type { CompiledTarget } from '../domain/model.js';
import type { Clock, IamGateway } from '../domain/ports.js';
import { comparePlane, type DriftReport, type DriftTarget, type IamPlaneState } from '../domain/reconcile/index.js';
import { planeGuard, type PolicyDocumentCache } from './reconcile.js';

export interface CheckDriftOptions {
  clock: Clock;
  /** Documents by (arn, versionId), kept by the caller between runs: versions seen before are not re-read. */
  cache?: PolicyDocumentCache;
}

/**
 * Reads one plane: GetAccountAuthorizationDetails (all pages; roles with tags, trust, boundary and
 * attachments; policies with their versions' documents) kept to the managed path and
 * <UserFlyteRole>, and GetPolicy for the tags of each managed-path policy (GetAccountAuthorizationDetails
 * does not return policy tags). GetPolicyVersion only for a default version neither in the answer
 * nor in the cache.
 */
export async function readPlaneState(
  iam: IamGateway,
  plane: AwsDataPlaneConfig,
  cache?: PolicyDocumentCache,
): Promise<IamPlaneState> {
  const details = await iam.getAccountAuthorizationDetails({
    pathPrefix: plane.managedPath,
    roleNames: [plane.userFlyteRoleName],
  });
  const state: IamPlaneState = { roles: new Map(), policies: new Map() };
  for (const role of details.roles) state.roles.set(role.name, { role, attached: role.attachedPolicies });
  for (const detail of details.policies) {
    let document: unknown = cache?.get(detail.arn, detail.defaultVersionId);
    if (document === undefined) {
      document = detail.versions.find((version) => version.versionId === detail.defaultVersionId)?.document;
      if (document === undefined)
        document = (await iam.getPolicyVersion(detail.arn, detail.defaultVersionId))?.document ?? null;
      cache?.set(detail.arn, detail.defaultVersionId, document);
    }
    const tags = detail.tags ?? (await iam.getPolicy(detail.arn))?.tags ?? {};
    state.policies.set(detail.arn, { policy: { ...detail, tags }, defaultDocument: document });
  }
  return state;
}

/** Drift of one plane: each desired target in-sync / drifted / missing, plus orphaned grantplane resources. */
export async function checkPlaneDrift(
  iam: IamGateway,
  plane: AwsDataPlaneConfig,
  desiredTargets: readonly CompiledTarget[],
  cache?: PolicyDocumentCache,
): Promise<DriftTarget[]> {
  const state = await readPlaneState(iam, plane, cache);
  const targets = desiredTargets.filter((target) => target.dataPlane === plane.name);
  return comparePlane(targets, state, planeGuard(plane), {
    name: plane.name,
    orgPrefix: plane.orgPrefix,
    domains: plane.domains,
  });
}

/** The drift report of one plane (§10): `{ checkedAt, targets }`, the clock injected. */
export async function checkDrift(
  iam: IamGateway,
  plane: AwsDataPlaneConfig,
  desiredTargets: readonly CompiledTarget[],
  options: CheckDriftOptions,
): Promise<DriftReport> {
  const checkedAt = options.clock.now().toISOString();
  return { checkedAt, targets: await checkPlaneDrift(iam, plane, desiredTargets, options.cache) };
}

/** True when any target of the report differs from its declaration. */
export const hasDrift = (report: DriftReport): boolean => report.targets.some((target) => target.status !== 'in-sync');
