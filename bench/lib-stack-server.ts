// Child-process entry for the benchmarks that need the whole local stack (docs/api.md): runs
// startLocalStack({ ephemeral: true, port: 0 }) on a generated one-plane configuration, prints one
// line `GRANTPLANE_BENCH_STACK {json}` with its endpoints and background loops, and stops when it
// gets SIGTERM/SIGINT or when its parent goes away (stdin closes). GRANTPLANE_BENCH_LOOPS=none
// starts it without background loops (the HTTP API alone).
//
// A separate process, not the bench process itself, because the Lambda handlers wire themselves
// from process.env once per process (lib/wiring.ts liveDeps): two stacks in one process would share
// the first one's table. It also keeps the load generator off the server's event loop.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backgroundLoops, startLocalStack } from '../lib/local/start.js';
import { benchConfig } from './fixtures.js';

const STACK_MARK = 'GRANTPLANE_BENCH_STACK '; // what lib-stack.ts waits for

const dir = mkdtempSync(join(tmpdir(), 'grantplane-bench-stack-'));
const configPath = join(dir, 'grantplane.config.yaml');
writeFileSync(configPath, JSON.stringify(benchConfig())); // JSON is YAML

const loops = process.env.GRANTPLANE_BENCH_LOOPS === 'none' ? [] : backgroundLoops;
const stack = await startLocalStack({ ephemeral: true, port: 0, configPath, cwd: dir, tableName: 'grantplane', loops });
let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  try {
    await stack.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  }
};
process.once('SIGTERM', () => void stop(0));
process.once('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.resume();

process.stdout.write(
  `${STACK_MARK}${JSON.stringify({
    url: stack.url,
    iamEndpoint: stack.iamEndpoint,
    dynamoEndpoint: stack.dynamoEndpoint,
    loops: loops.map((loop) => loop.name),
  })}\n`,
);
