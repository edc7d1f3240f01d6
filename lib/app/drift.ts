// checkDrift (docs/drift-and-expiry.md, A1): one whole-plane read with the fewest calls IAM allows, compared with
// the plane's desired targets by the same pure functions the applier uses.
import type { AwsDataPlaneConfig } from '../domain/config.js';
import type { CompiledTarget } from '../domain/model.js';
import type { Clock, IamGateway } from '../domain/ports.js';
import { comparePlane, type DriftReport, type DriftTarget } from '../domain/reconcile/index.js';
import { desiredPoliciesOf, planeGuard, type PolicyDocumentCache, readPlaneState } from './reconcile.js';

// The whole-plane read lives with the apply, which starts from it too; re-exported for the drift run.
export { readPlaneState } from './reconcile.js';

export interface CheckDriftOptions {
  clock: Clock;
  /** Documents by (arn, versionId), kept by the caller between runs: versions seen before are not re-read. */
  cache?: PolicyDocumentCache;
}

/** Drift of one plane: each desired target in-sync / drifted / missing, plus orphaned grantplane resources. */
export async function checkPlaneDrift(
  iam: IamGateway,
  plane: AwsDataPlaneConfig,
  desiredTargets: readonly CompiledTarget[],
  cache?: PolicyDocumentCache,
  verifyTags = false,
): Promise<DriftTarget[]> {
  const targets = desiredTargets.filter((target) => target.dataPlane === plane.name);
  const desiredPolicies = verifyTags ? undefined : desiredPoliciesOf(targets);
  const state = await readPlaneState(iam, plane, { cache, desiredPolicies });
  return comparePlane(targets, state, planeGuard(plane), {
    name: plane.name,
    orgPrefix: plane.orgPrefix,
    domains: plane.domains,
  });
}

/** The drift report of one plane (docs/drift-and-expiry.md): `{ checkedAt, targets }`, the clock injected. */
export async function checkDrift(
  iam: IamGateway,
  plane: AwsDataPlaneConfig,
  desiredTargets: readonly CompiledTarget[],
  options: CheckDriftOptions,
): Promise<DriftReport> {
  const checkedAt = options.clock.now().toISOString();
  return { checkedAt, targets: await checkPlaneDrift(iam, plane, desiredTargets, options.cache) };
}
