// Section: IAM calls of a drift check (docs/drift-and-expiry.md, A1 "whole-plane read") of 2,000 grantplane roles
// against a per-resource refresh that reads each role, its attachments and its policies (GetRole +
// ListAttachedRolePolicies per role, GetPolicy + GetPolicyVersion per distinct policy — a
// Terraform-style refresh that already reads each shared policy only once). Goal: ≤ 2 %.
//
// The drift check is readPlaneDrift, the IAM half of runDriftCheck: GetAccountAuthorizationDetails
// (all pages; documents included, so no GetPolicyVersion) plus GetPolicy for the tags of a policy
// whose default version changed or whose cached tags are older than 12–24 h (that answer carries no
// policy tags). Measured: a cold run (nothing cached), a warm run 15 minutes later, and the mean
// per run over 24 h of 15-minute runs from a cold start. Counts come from the emulator's call log.
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { readPlaneDrift, type PolicyTagEntry } from '../../lib/app/drift-run.js';
import { applyPlane } from '../../lib/app/reconcile.js';
import { parseConfig, type AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import type { CompiledTarget } from '../../lib/domain/model.js';
import type { IamGateway } from '../../lib/domain/ports.js';
import { startIamEmulator, type IamEmulator } from '../../lib/local/iam-emulator/index.js';
import { BENCH_ACCOUNT, benchConfig, generateGrants } from '../fixtures.js';
import { defineSection } from '../harness.js';

const ROLES = 2000;
const RUN_INTERVAL_MS = 15 * 60 * 1000;
const RUNS_PER_DAY = (24 * 3600 * 1000) / RUN_INTERVAL_MS;

const byAction = (emulator: IamEmulator): string => {
  const counts = new Map<string, number>();
  for (const call of emulator.calls) counts.set(call.action, (counts.get(call.action) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
};

/** The baseline: every role read with its attachments, every distinct policy with its default document. */
async function perResourceRefresh(iam: IamGateway, targets: readonly CompiledTarget[]): Promise<void> {
  const policies = new Set<string>();
  for (const target of targets) {
    await iam.getRole(target.role.name);
    for (const attached of await iam.listAttachedRolePolicies(target.role.name)) policies.add(attached.arn);
    for (const policy of target.policies) policies.add(policy.arn);
  }
  for (const arn of [...policies].sort()) {
    const policy = await iam.getPolicy(arn);
    if (policy !== null) await iam.getPolicyVersion(arn, policy.defaultVersionId);
  }
}

export default defineSection({
  name: 'drift-calls',
  description: `IAM calls of a drift check of ${ROLES} managed roles vs a per-resource refresh (emulator call log)`,
  async run() {
    const config = parseConfig(benchConfig());
    const plane = config.dataPlanes[0] as AwsDataPlaneConfig;
    const requests = [
      ...generateGrants(ROLES, ROLES),
      {
        dataPlane: 'prod',
        scope: { type: 'global' },
        resource: { type: 's3', bucket: 'acme-shared', access: 'read' },
        justification: 'all tasks read shared data',
      },
    ];
    const plan = planGrants({ config, requests, now: new Date() });
    if (plan.rejected.length > 0) throw new Error(`fixture grants rejected: ${JSON.stringify(plan.rejected[0])}`);
    const targets = plan.targets;
    const roles = targets.filter((target) => target.role.managed);
    if (roles.length !== ROLES) throw new Error(`expected ${ROLES} managed roles, compiled ${roles.length}`);

    const emulator = await startIamEmulator({ port: 0, accountId: BENCH_ACCOUNT });
    try {
      emulator.seedDataPlane({
        accountId: plane.accountId,
        orgPrefix: plane.orgPrefix,
        oidcProvider: plane.oidcProvider,
      });
      const iam = makeIamGateway(
        makeIamClient({
          endpoint: emulator.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: BENCH_ACCOUNT, secretAccessKey: 'bench' },
        }),
      );
      await applyPlane(iam, plane, targets);

      emulator.resetCalls();
      await perResourceRefresh(iam, roles);
      const baseline = emulator.calls.length;
      const baselineActions = byAction(emulator);

      const t0 = Date.parse('2026-11-23T00:00:00Z');
      const tags = new Map<string, PolicyTagEntry>();
      emulator.resetCalls();
      const cold = await readPlaneDrift(iam, plane, targets, { tags, nowMs: t0 });
      const coldCalls = emulator.calls.length;
      const coldActions = byAction(emulator);
      const notInSync = cold.found.filter((target) => target.status !== 'in-sync');
      if (notInSync.length > 0)
        throw new Error(`drift check found differences after the apply: ${JSON.stringify(notInSync[0])}`);

      emulator.resetCalls();
      await readPlaneDrift(iam, plane, targets, { tags, nowMs: t0 + RUN_INTERVAL_MS });
      const warmCalls = emulator.calls.length;
      const warmActions = byAction(emulator);

      // A day of scheduled runs from a cold start (the first run above is run 1).
      let dayCalls = coldCalls + warmCalls;
      for (let run = 2; run < RUNS_PER_DAY; run += 1) {
        emulator.resetCalls();
        await readPlaneDrift(iam, plane, targets, { tags, nowMs: t0 + run * RUN_INTERVAL_MS });
        dayCalls += emulator.calls.length;
      }
      const meanPerRun = dayCalls / RUNS_PER_DAY;

      return {
        measurements: [
          { label: 'per-resource refresh: IAM calls', value: baseline, unit: 'calls' },
          { label: 'drift check, cold (nothing cached): IAM calls', value: coldCalls, unit: 'calls' },
          { label: 'drift check, warm (15 min later): IAM calls', value: warmCalls, unit: 'calls' },
          {
            label: `drift check, mean per run over 24 h (${RUNS_PER_DAY} runs)`,
            value: Math.round(meanPerRun * 10) / 10,
            unit: 'calls',
          },
          {
            label: 'drift check, cold ÷ per-resource refresh',
            value: Math.round((coldCalls / baseline) * 10000) / 100,
            unit: '%',
          },
        ],
        ratios: [
          // In percent (goal 2 %), so small values stay readable at two decimals.
          {
            label: 'drift check (warm) ÷ per-resource refresh, %',
            value: (warmCalls / baseline) * 100,
            goal: { max: 2 },
          },
          {
            label: 'drift check (mean of a day from cold) ÷ per-resource refresh, %',
            value: (meanPerRun / baseline) * 100,
            goal: { max: 2 },
          },
        ],
        notes: [
          `per-resource refresh: ${baselineActions}`,
          `cold drift check: ${coldActions}`,
          `warm drift check: ${warmActions}`,
          "GetAccountAuthorizationDetails carries every document (no GetPolicyVersion ever) but no policy tags: the cold run reads each policy's tags once (GetPolicy), later runs only for a new default version or tags older than 12–24 h (spread per policy).",
          "The whole-account read also pages through roles and policies that are not grantplane's; an account with many more of them costs more pages (1,000 items per page).",
        ],
      };
    } finally {
      await emulator.stop();
    }
  },
});
