// Section: requests per second of the local stack (docs/api.md: the HTTP server running the very
// Lambda handlers, DynamoDB Local, the applier's stream poller) under autocannon, loopback only,
// bounded in time and connections: GET /healthz (the floor: server, no DynamoDB), GET /v1/grants
// (JWT check + one Query) and POST /v1/grants (JWT check + validation + GetItem + TransactWriteItems).
// The stack runs in a child process started with startLocalStack({ ephemeral: true, port: 0 }); the
// load generator runs here, so both share the machine's cores the way a laptop's `npm start` would.
import { BENCH_DOMAINS, grantFor } from '../fixtures.js';
import { defineSection, type BenchMeasurement, type BenchRatio } from '../harness.js';
import { runLoad, type LoadResult } from '../lib-autocannon.js';
import { benchToken, processCpuSeconds, startBenchStack, treeCpuSeconds } from '../lib-stack.js';
import { ms } from '../lib-stats.js';

const CONNECTIONS = 8;
const SECONDS = 5;
const WARMUP_SECONDS = 2;
const SEEDED = 60;

interface Case {
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  auth: boolean;
}

export default defineSection({
  name: 'api-throughput',
  description: `req/s of the local stack with autocannon (${CONNECTIONS} connections, ${SECONDS} s each): /healthz, GET and POST /v1/grants`,
  async run() {
    const stack = await startBenchStack();
    try {
      const token = benchToken('alice', ['requester', 'approver', 'admin']);
      const authorization = `Bearer ${token}`;
      // A domain that needs approval, so POSTs store pending grants and the plane's targets stay empty.
      const body = (i: number) =>
        JSON.stringify(grantFor(i, { type: 'project-domain', project: 'throughput', domain: BENCH_DOMAINS[1] }));
      for (let i = 0; i < SEEDED; i += 1) {
        const response = await fetch(`${stack.url}/v1/grants`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: body(i),
        });
        if (response.status !== 201)
          throw new Error(`seeding POST /v1/grants answered ${response.status}: ${await response.text()}`);
      }

      const cases: Case[] = [
        { label: 'GET /healthz', method: 'GET', path: '/healthz', auth: false },
        { label: 'GET /v1/grants', method: 'GET', path: '/v1/grants', auth: true },
        { label: 'POST /v1/grants', method: 'POST', path: '/v1/grants', body: body(0), auth: true },
      ];
      const measurements: BenchMeasurement[] = [];
      const notes: string[] = [];
      const results = new Map<string, LoadResult>();
      for (const c of cases) {
        const options = {
          url: `${stack.url}${c.path}`,
          method: c.method,
          headers: {
            ...(c.auth ? { authorization } : {}),
            ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(c.body === undefined ? {} : { body: c.body }),
          connections: CONNECTIONS,
        };
        await runLoad({ ...options, duration: WARMUP_SECONDS });
        const cpuBefore = await processCpuSeconds(stack.pid);
        const treeBefore = await treeCpuSeconds(stack.pid);
        const result = await runLoad({ ...options, duration: SECONDS });
        const cpuAfter = await processCpuSeconds(stack.pid);
        const treeAfter = await treeCpuSeconds(stack.pid);
        results.set(c.label, result);
        const completed = result.requests.total ?? 0;
        measurements.push(
          { label: `${c.label} req/s`, value: Math.round(result.requests.average), unit: 'req/s' },
          { label: `${c.label} latency p50`, value: ms(result.latency.p50), unit: 'ms' },
          { label: `${c.label} latency p90`, value: ms(result.latency.p90), unit: 'ms' },
          { label: `${c.label} latency p99`, value: ms(result.latency.p99), unit: 'ms' },
        );
        if (cpuBefore !== undefined && cpuAfter !== undefined && completed > 0) {
          measurements.push({
            label: `${c.label} server (node) CPU per request`,
            value: ms(((cpuAfter - cpuBefore) * 1000) / completed),
            unit: 'ms',
          });
        }
        if (treeBefore !== undefined && treeAfter !== undefined && completed > 0) {
          measurements.push({
            label: `${c.label} whole stack (node + DynamoDB Local) CPU per request`,
            value: ms(((treeAfter - treeBefore) * 1000) / completed),
            unit: 'ms',
          });
        }
        const codes = Object.entries(result.statusCodeStats)
          .map(([code, stat]) => `${code}×${stat.count}`)
          .join(' ');
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          notes.push(
            `${c.label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts (${codes})`,
          );
        }
      }
      const healthz = results.get('GET /healthz')?.requests.average ?? 0;
      const ratios: BenchRatio[] = [];
      for (const label of ['GET /v1/grants', 'POST /v1/grants']) {
        const rate = results.get(label)?.requests.average ?? 0;
        // Times slower than the server's floor (printed with two decimals, so the large way round).
        if (rate > 0) ratios.push({ label: `/healthz req/s ÷ ${label} req/s`, value: healthz / rate, goal: {} });
      }
      notes.push(
        `stack: ${stack.url}, background loops: ${stack.loops.join(', ') || 'none'}; load generator in the bench process, loopback`,
      );
      return { measurements, ratios, notes };
    } finally {
      await stack.stop();
    }
  },
});
