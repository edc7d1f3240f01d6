// Section: IAM calls of a converged re-apply and drift check (docs/cli.md, A1), at N = 10, 500, 2,000
// and 5,000 project-domain targets: N grants compiled by planGrants are applied once with applyPlane
// against the IAM emulator (real SDK client, real HTTP), then applied again — with the applier's warm
// document cache, and cold as the CLI runs (a new process, nothing cached) — and checked for drift
// as `grantplane drift` does. The re-apply must write nothing, and its reads are compared with the
// naive per-target read (GetRole + ListAttachedRolePolicies + GetPolicy per target + GetPolicyVersion
// per policy = 3 × targets + policies). Counts come from the emulator's call log (every HTTP
// request, list pages included), not from the code under test.
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { checkPlaneDrift } from '../../lib/app/drift.js';
import { applyPlane, makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import { parseConfig, type AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { startIamEmulator, type IamCall } from '../../lib/local/iam-emulator/index.js';
import { BENCH_ACCOUNT, benchConfig, generateGrants } from '../fixtures.js';
import { defineSection } from '../harness.js';

const SIZES = (process.env.GRANTPLANE_BENCH_SIZES ?? '10,500,2000,5000').split(',').map(Number);

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

interface SizeResult {
  n: number;
  policies: number;
  naive: number;
  first: Tally;
  firstMs: number;
  warm: Tally;
  warmMs: number;
  cold: Tally;
  coldMs: number;
  drift: Tally;
  driftMs: number;
}

/** One plane of `n` targets: first apply, converged re-applies warm and cold, a drift check. */
async function measure(n: number): Promise<SizeResult> {
  const config = parseConfig(benchConfig());
  const plane = config.dataPlanes[0] as AwsDataPlaneConfig;
  const plan = planGrants({ config, requests: generateGrants(n, n), now: new Date() });
  if (plan.rejected.length > 0) throw new Error(`fixture grants rejected: ${JSON.stringify(plan.rejected[0])}`);
  const targets = plan.targets.filter((target) => target.scope.type === 'project-domain');
  const policies = targets.reduce((sum, target) => sum + target.policies.length, 0);
  const emulator = await startIamEmulator({ port: 0, accountId: BENCH_ACCOUNT });
  const client = makeIamClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: BENCH_ACCOUNT, secretAccessKey: 'local' },
  });
  try {
    emulator.seedDataPlane(plane);
    const iam = makeIamGateway(client);
    const timed = async (fn: () => Promise<unknown>): Promise<{ calls: Tally; ms: number }> => {
      emulator.resetCalls();
      const start = performance.now();
      await fn();
      return { ms: performance.now() - start, calls: tally(emulator.calls) };
    };
    // The applier keeps one document cache for the life of its process; the CLI starts empty.
    const cache = makePolicyDocumentCache();
    const first = await timed(() => applyPlane(iam, plane, plan.targets, { cache }));
    const warm = await timed(() => applyPlane(iam, plane, plan.targets, { cache }));
    const cold = await timed(() => applyPlane(iam, plane, plan.targets, { cache: makePolicyDocumentCache() }));
    const drift = await timed(() => checkPlaneDrift(iam, plane, plan.targets));
    return {
      n: targets.length,
      policies,
      naive: 3 * targets.length + policies,
      first: first.calls,
      firstMs: first.ms,
      warm: warm.calls,
      warmMs: warm.ms,
      cold: cold.calls,
      coldMs: cold.ms,
      drift: drift.calls,
      driftMs: drift.ms,
    };
  } finally {
    client.destroy();
    await emulator.stop();
  }
}

export default defineSection({
  name: 'reapply-calls',
  description: `IAM calls of a converged re-apply and drift check at ${SIZES.join(', ')} project-domain targets (applyPlane, IAM emulator)`,
  async run() {
    const results: SizeResult[] = [];
    for (const n of SIZES) results.push(await measure(n));
    const at = (r: SizeResult): string => `N=${r.n}`;
    return {
      measurements: results.flatMap((r) => [
        { label: `${at(r)}: policies desired`, value: r.policies, unit: '' },
        {
          label: `${at(r)}: first apply`,
          value: Math.round(r.firstMs),
          unit: `ms (${r.first.writes} writes, ${r.first.reads} reads)`,
        },
        {
          label: `${at(r)}: re-apply, warm cache (applier): reads`,
          value: r.warm.reads,
          unit: `calls, ${r.warm.writes} writes, ${Math.round(r.warmMs)} ms`,
        },
        {
          label: `${at(r)}: re-apply, cold (CLI): reads`,
          value: r.cold.reads,
          unit: `calls, ${r.cold.writes} writes, ${Math.round(r.coldMs)} ms`,
        },
        {
          label: `${at(r)}: drift check (CLI): reads`,
          value: r.drift.reads,
          unit: `calls, ${Math.round(r.driftMs)} ms`,
        },
        { label: `${at(r)}: naive reads (3 × targets + policies)`, value: r.naive, unit: 'calls' },
      ]),
      ratios: results.flatMap((r) => [
        {
          label: `${at(r)}: converged re-apply writes (warm + cold)`,
          value: r.warm.writes + r.cold.writes,
          goal: { max: 0 },
        },
        {
          label: `${at(r)}: re-apply reads, % of naive (warm cache)`,
          value: (100 * r.warm.reads) / r.naive,
          goal: { max: 5 },
        },
        {
          label: `${at(r)}: re-apply reads, % of naive (cold, CLI)`,
          value: (100 * r.cold.reads) / r.naive,
          goal: { max: 5 },
        },
        { label: `${at(r)}: drift check reads, % of naive`, value: (100 * r.drift.reads) / r.naive, goal: { max: 5 } },
      ]),
      notes: results.map((r) => `${at(r)}: cold re-apply ${r.cold.byAction}; drift ${r.drift.byAction}`),
    };
  },
});
