// `npm start` stops with its launcher (docs/api.md: stopping the stack stops every child). A process
// manager that stops npm alone (`kill <npm pid>`) must not leave the API or DynamoDB Local's java
// running: the stack watches the processes that launched it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, launchers, processId, watchProcesses, type ProcessId } from '../../lib/local/launcher-watch.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const started: ChildProcess[] = [];
const stackProcesses: ProcessId[] = [];

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  // A failing run must not leave the stack behind either.
  for (const id of stackProcesses) if (alive(id)) process.kill(id.pid, 'SIGKILL');
});

const exited = (child: ChildProcess) =>
  new Promise<void>((done) => (child.exitCode !== null ? done() : child.once('exit', () => done())));

/** Every live process below `root`, from /proc. */
const descendants = (root: number): ProcessId[] => {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const id = processId(Number(name));
    if (id !== null) children.set(id.ppid, [...(children.get(id.ppid) ?? []), id.pid]);
  }
  const found: ProcessId[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const id = processId(pid);
    if (id !== null) found.push({ pid, startTime: id.startTime });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
};

describe('launchers', () => {
  it('lists the processes above this one, nearest first', () => {
    const chain = launchers();
    expect(chain[0]?.pid).toBe(process.ppid);
    expect(chain.every(alive)).toBe(true);
    expect(processId(process.pid)).toMatchObject({ pid: process.pid, ppid: process.ppid });
  });
});

describe('watchProcesses', () => {
  it('calls back once a watched process has exited', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    started.push(child);
    const id = processId(child.pid ?? -1);
    expect(id).not.toBeNull();
    const gone = new Promise<ProcessId>((done) => watchProcesses([id as ProcessId], done, 20));
    child.kill('SIGTERM');
    expect((await gone).pid).toBe(child.pid);
  });

  it('takes a pid that now belongs to another process (another start time) for gone', async () => {
    const gone = await new Promise<ProcessId>((done) =>
      watchProcesses([{ pid: process.pid, startTime: '0' }], done, 20),
    );
    expect(gone.pid).toBe(process.pid);
  });
});

describe('npm start under a launcher', () => {
  it('stops the API and DynamoDB Local when the launcher is killed alone', async () => {
    // Prepare: sh → node (tsx loader), as npm runs the start script (`; :` keeps sh from exec-ing, as npm's sh does)
    const launcher = spawn('sh', ['-c', 'node --import tsx lib/local/start.ts --ephemeral; :'], {
      cwd: repo,
      env: { ...process.env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'SILENT', GRANTPLANE_CONFIG: 'grantplane.config.yaml' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(launcher);
    let output = '';
    await new Promise<void>((done, fail) => {
      launcher.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ctrl-C stops everything')) done();
      });
      launcher.once('exit', (code) => fail(new Error(`the stack exited (${code}) before it was up:\n${output}`)));
    });
    const stack = descendants(launcher.pid ?? -1);
    stackProcesses.push(...stack);
    expect(stack.length).toBeGreaterThanOrEqual(2); // node, java (and esbuild)

    // Act: stop the launcher alone; sh passes nothing on to its child
    launcher.kill('SIGTERM');
    await exited(launcher);

    // Assess: every process of the stack goes (the test's timeout bounds the wait)
    while (stack.some(alive)) await new Promise((next) => setTimeout(next, 200));
    expect(stack.filter(alive)).toEqual([]);
  }, 120_000);
});
