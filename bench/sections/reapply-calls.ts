// Section: IAM calls of a converged re-apply (docs/applier.md A1). 500 project-domain grants compiled by
// planGrants into 500 targets are applied once with applyPlane against the IAM emulator (real SDK
// client, real HTTP), then applied again: the second apply must write nothing, and its reads are
// compared with the naive per-target read (GetRole + ListAttachedRolePolicies + GetPolicy per
// target + GetPolicyVersion per policy = 3 × targets + policies). Counts come from the emulator's
// call log (every HTTP request, list pages included), not from the code under test.
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { readPlaneState } from '../../lib/app/drift.js';
import { applyPlane, makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import { parseConfig, type AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { startIamEmulator, type IamCall } from '../../lib/local/iam-emulator/index.js';
import { BENCH_ACCOUNT, benchConfig, generateGrants } from '../fixtures.js';
import { defineSection } from '../harness.js';

const TARGETS = 500;

interface Tally {
  reads: number;
  writes: number;
  byAction: string;
}

/** Reads and writes in a call log (injected faults excluded; there are none here), with a per-action breakdown. */
function tally(calls: readonly IamCall[]): Tally {
  const real = calls.filter((call) => call.fault === undefined);
  const counts = new Map<string, number>();
  for (const call of real) counts.set(call.action, (counts.get(call.action) ?? 0) + 1);
  const byAction = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
  return { reads: real.filter((call) => call.read).length, writes: real.filter((call) => !call.read).length, byAction };
}

export default defineSection({
  name: 'reapply-calls',
  description: `IAM calls of a converged re-apply of ${TARGETS} project-domain targets (applyPlane, IAM emulator)`,
  async run() {
    const config = parseConfig(benchConfig());
    const plane = config.dataPlanes[0] as AwsDataPlaneConfig;
    const plan = planGrants({ config, requests: generateGrants(TARGETS, TARGETS), now: new Date() });
    if (plan.rejected.length > 0) throw new Error(`fixture grants rejected: ${JSON.stringify(plan.rejected[0])}`);
    const targets = plan.targets.filter((target) => target.scope.type === 'project-domain');
    const policies = targets.reduce((sum, target) => sum + target.policies.length, 0);

    const emulator = await startIamEmulator({ port: 0, accountId: BENCH_ACCOUNT });
    try {
      emulator.seedDataPlane(plane);
      const iam = makeIamGateway(
        makeIamClient({
          endpoint: emulator.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: BENCH_ACCOUNT, secretAccessKey: 'local' },
        }),
      );
      // The applier keeps one document cache for the life of its process; the CLI starts empty.
      const cache = makePolicyDocumentCache();

      emulator.resetCalls();
      let start = performance.now();
      const first = await applyPlane(iam, plane, plan.targets, { cache });
      const firstMs = performance.now() - start;
      const firstCalls = tally(emulator.calls);

      emulator.resetCalls();
      start = performance.now();
      const warm = await applyPlane(iam, plane, plan.targets, { cache });
      const warmMs = performance.now() - start;
      const warmCalls = tally(emulator.calls);

      emulator.resetCalls();
      start = performance.now();
      const cold = await applyPlane(iam, plane, plan.targets, { cache: makePolicyDocumentCache() });
      const coldMs = performance.now() - start;
      const coldCalls = tally(emulator.calls);

      // For comparison: the whole-plane read the drift check makes (GetAccountAuthorizationDetails).
      emulator.resetCalls();
      await readPlaneState(iam, plane, makePolicyDocumentCache());
      const driftCalls = tally(emulator.calls);

      const naive = 3 * targets.length + policies;
      return {
        measurements: [
          { label: 'targets (project-domain)', value: targets.length, unit: '' },
          { label: 'policies desired', value: policies, unit: '' },
          { label: 'first apply: writes', value: firstCalls.writes, unit: 'calls' },
          { label: 'first apply: reads', value: firstCalls.reads, unit: 'calls' },
          { label: 'first apply', value: Math.round(firstMs), unit: 'ms' },
          { label: 're-apply, warm cache (applier): writes', value: warmCalls.writes, unit: 'calls' },
          { label: 're-apply, warm cache (applier): reads', value: warmCalls.reads, unit: 'calls' },
          { label: 're-apply, warm cache', value: Math.round(warmMs), unit: 'ms' },
          { label: 're-apply, cold cache (CLI): writes', value: coldCalls.writes, unit: 'calls' },
          { label: 're-apply, cold cache (CLI): reads', value: coldCalls.reads, unit: 'calls' },
          { label: 're-apply, cold cache', value: Math.round(coldMs), unit: 'ms' },
          { label: 'naive reads (3 × targets + policies)', value: naive, unit: 'calls' },
          { label: 'drift whole-plane read (for comparison)', value: driftCalls.reads, unit: 'calls' },
        ],
        ratios: [
          { label: 'converged re-apply writes (warm)', value: warmCalls.writes, goal: { max: 0 } },
          { label: 'converged re-apply writes (cold)', value: coldCalls.writes, goal: { max: 0 } },
          { label: 're-apply reads ÷ naive (warm cache)', value: warmCalls.reads / naive, goal: { max: 0.05 } },
          { label: 're-apply reads ÷ naive (cold cache)', value: coldCalls.reads / naive, goal: { max: 0.05 } },
          // Not the apply: what the drift check's whole-plane read costs, i.e. what an apply built on it could.
          { label: 'drift whole-plane read ÷ naive (reference)', value: driftCalls.reads / naive, goal: {} },
        ],
        notes: [
          `warm re-apply calls: ${warmCalls.byAction}`,
          `cold re-apply calls: ${coldCalls.byAction}`,
          `drift read calls: ${driftCalls.byAction}`,
          `applyPlane's own counts: first ${first.changes} writes / ${first.reads} reads; warm ${warm.changes} / ${warm.reads}; cold ${cold.changes} / ${cold.reads}`,
        ],
      };
    } finally {
      await emulator.stop();
    }
  },
});
