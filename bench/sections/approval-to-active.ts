// Section: end-to-end time from approval to `active` on the local stack (docs/api.md): a requester
// submits a grant over HTTP, another user approves it over HTTP, and the grant is read back with
// GET /v1/grants/{id} until the applier — fed by the table's stream through the local poller — has
// reconciled its target in the IAM emulator and marked it active. Each run uses a new
// project-domain, so every apply creates a role and a policy from scratch.
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { parseConfig, type AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { pairRoleName } from '../../lib/domain/compile/names.js';
import { BENCH_ACCOUNT, BENCH_DOMAINS, benchConfig } from '../fixtures.js';
import { defineSection, median } from '../harness.js';
import { benchToken, startBenchStack, type BenchStack } from '../lib-stack.js';
import { ms, percentile } from '../lib-stats.js';

const RUNS = 7;
const POLL_MS = 20;
const ACTIVE_TIMEOUT_MS = 20_000;

interface GrantBody {
  id: string;
  status: string;
}

async function call(
  stack: BenchStack,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<GrantBody> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as GrantBody;
}

export default defineSection({
  name: 'approval-to-active',
  description: `approve (HTTP) → grant active (stream → applier → IAM emulator) on the local stack, median of ${RUNS}`,
  async run() {
    const stack = await startBenchStack();
    try {
      if (!stack.loops.some((name) => /applier/i.test(name))) {
        return {
          measurements: [],
          ratios: [],
          notes: [`skipped: applier not available (background loops: ${stack.loops.join(', ') || 'none'})`],
        };
      }
      const alice = benchToken('alice', ['requester']);
      const bob = benchToken('bob', ['approver']);
      const toActive: number[] = [];
      const approveLatency: number[] = [];
      const notes: string[] = [];
      // One warm-up run (first requests load modules and JIT), then the measured runs.
      for (let run = 0; run <= RUNS; run += 1) {
        const grant = await call(stack, alice, 'POST', '/v1/grants', {
          dataPlane: 'prod',
          scope: { type: 'project-domain', project: `a2a-${String(run).padStart(2, '0')}`, domain: BENCH_DOMAINS[1] },
          resource: { type: 's3', bucket: 'acme-ml-data', prefix: `run-${run}/`, access: 'read' },
          justification: 'approval-to-active benchmark',
        });
        if (grant.status !== 'pending-approval')
          throw new Error(`submitted grant is ${grant.status}, expected pending-approval`);
        const start = performance.now();
        await call(stack, bob, 'POST', `/v1/grants/${grant.id}/approve`, { comment: 'bench' });
        const approved = performance.now() - start;
        let status = 'approved';
        while (status !== 'active' && performance.now() - start < ACTIVE_TIMEOUT_MS) {
          status = (await call(stack, alice, 'GET', `/v1/grants/${grant.id}`)).status;
          if (status === 'failed') throw new Error(`grant ${grant.id} went failed instead of active`);
          if (status !== 'active') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
        const elapsed = performance.now() - start;
        if (status !== 'active') {
          notes.push(`run ${run}: grant ${grant.id} still ${status} after ${ACTIVE_TIMEOUT_MS} ms`);
          continue;
        }
        if (run === 0) continue;
        toActive.push(elapsed);
        approveLatency.push(approved);
      }
      if (toActive.length === 0) throw new Error(`no grant became active: ${notes.join('; ')}`);
      // `active` must mean IAM has it: the last run's role exists in the emulator with a policy attached.
      const plane = parseConfig(benchConfig()).dataPlanes[0] as AwsDataPlaneConfig;
      const iam = makeIamGateway(
        makeIamClient({
          endpoint: stack.iamEndpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: BENCH_ACCOUNT, secretAccessKey: 'local' },
        }),
      );
      const roleName = pairRoleName(plane, `a2a-${String(RUNS).padStart(2, '0')}`, BENCH_DOMAINS[1]);
      const role = await iam.getRole(roleName);
      const attached = role === null ? [] : await iam.listAttachedRolePolicies(roleName);
      if (role === null || attached.length === 0) {
        throw new Error(
          `grant is active but role ${roleName} ${role === null ? 'does not exist' : 'has no policy'} in the IAM emulator`,
        );
      }
      notes.push(
        `polling GET /v1/grants/{id} every ${POLL_MS} ms adds up to ${POLL_MS} ms to each time; the local stream poller waits 200 ms between empty polls, so up to 200 ms is that wait`,
      );
      return {
        measurements: [
          { label: `approve → active median (${toActive.length})`, value: ms(median(toActive)), unit: 'ms' },
          { label: 'approve → active min', value: ms(Math.min(...toActive)), unit: 'ms' },
          { label: 'approve → active max', value: ms(Math.max(...toActive)), unit: 'ms' },
          { label: 'approve → active p90', value: ms(percentile(toActive, 90)), unit: 'ms' },
          { label: 'POST …/approve answer median', value: ms(median(approveLatency)), unit: 'ms' },
        ],
        ratios: [],
        notes,
      };
    } finally {
      await stack.stop();
    }
  },
});
