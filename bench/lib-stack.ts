// The local stack for a benchmark section, in a child process (see lib-stack-server.ts for why),
// plus local tokens for it. The child inherits this environment, so tokens minted here with
// localJwtSecret(process.env) verify there.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { localJwtSecret, mintLocalToken } from '../lib/local/jwt.js';

const SERVER = fileURLToPath(new URL('./lib-stack-server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MARK = 'GRANTPLANE_BENCH_STACK ';

export interface BenchStack {
  url: string;
  iamEndpoint: string;
  dynamoEndpoint: string;
  /** Names of the background loops the stack started (the applier's stream poller, …). */
  loops: string[];
  /** Child pid (to read its CPU time from /proc). */
  pid: number;
  stop(): Promise<void>;
}

/** Starts the local stack in a child process and resolves once it printed its endpoints. */
export function startBenchStack(
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<BenchStack> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Warnings only: an INFO line per request would make the benchmark measure stdout piping.
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', ...options.env },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    let ready = false;
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(`local stack did not start within ${options.timeoutMs ?? 60_000} ms: ${stderr.trim().slice(-500)}`),
      );
    }, options.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (ready) return; // drained, so the child never blocks on a full pipe
      buffered += chunk;
      const line = buffered.split('\n').find((candidate) => candidate.startsWith(MARK));
      if (line === undefined) {
        buffered = buffered.slice(-10_000);
        return;
      }
      clearTimeout(timer);
      ready = true;
      const info = JSON.parse(line.slice(MARK.length)) as Omit<BenchStack, 'stop' | 'pid'>;
      resolve({ ...info, pid: child.pid ?? 0, stop });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`local stack exited (${String(code ?? signal)}) before it was up: ${stderr.trim().slice(-500)}`),
      );
    });
  });
}

/** A local token the stack accepts (HS256 with the local secret, roles in `groups`). */
export function benchToken(sub: string, roles: readonly string[]): string {
  return mintLocalToken({ sub, roles }, localJwtSecret(process.env));
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where there is no /proc. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat; 12th and 13th after the command name), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Pids of a process and all its descendants (the stack's node process, DynamoDB Local's JVM). */
async function processTree(pid: number): Promise<number[]> {
  const pids = [pid];
  for (let i = 0; i < pids.length; i += 1) {
    const current = pids[i]!;
    let tasks: string[] = [];
    try {
      tasks = await readdir(`/proc/${current}/task`);
    } catch (error: unknown) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') continue;
      throw error;
    }
    for (const task of tasks) {
      const children = await readFile(`/proc/${current}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of children.split(' ').filter((text) => text.trim() !== '')) pids.push(Number(child));
    }
  }
  return pids;
}

/** CPU seconds of a process and its descendants; undefined where there is no /proc. */
export async function treeCpuSeconds(pid: number): Promise<number | undefined> {
  let total = 0;
  for (const each of await processTree(pid)) {
    const seconds = await processCpuSeconds(each);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}
