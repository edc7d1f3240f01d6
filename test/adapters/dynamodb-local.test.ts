// The DynamoDB Local launcher itself: a second instance on disk, shared by every credential; bound to
// loopback, and gone with the process that started it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';

const clientFor = (endpoint: string, accessKeyId: string, region: string) =>
  new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });

describe('startDynamoDbLocal', () => {
  it('keeps tables on disk across restarts and shows them to any credentials and region', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-ddb-'));
    try {
      const first = await startDynamoDbLocal({ dbPath: join(dir, 'db') });
      try {
        await ensureTable(clientFor(first.endpoint, 'one', 'us-east-1'), 'persisted');
      } finally {
        await first.stop();
      }

      // Act
      const second = await startDynamoDbLocal({ dbPath: join(dir, 'db') });
      let tables: string[] | undefined;
      try {
        tables = (await clientFor(second.endpoint, 'anotherKey1', 'eu-west-1').send(new ListTablesCommand({})))
          .TableNames;
      } finally {
        await second.stop();
      }

      // Assess
      expect(tables).toEqual(['persisted']);
      expect(readdirSync(join(dir, 'db')).length).toBeGreaterThan(0);
      await expect(clientFor(second.endpoint, 'k', 'us-east-1').send(new ListTablesCommand({}))).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Two JVM starts: 6 s on a quiet machine, 12 s seen under load; like the other tests that start
    // DynamoDB Local, it gets room beyond the default 30 s so a slow CI machine does not fail it.
  }, 90_000);
});

/** Local addresses of the listening TCP sockets on `port`, read from the kernel's tables. */
const listeningAddresses = (port: number): string[] => {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue; // 0A: LISTEN
      const [address, localPort] = local.split(':');
      if (localPort === hexPort && address !== undefined) addresses.push(address);
    }
  }
  return addresses;
};
// 127.0.0.1 as /proc prints it: IPv4 little-endian, or IPv4-mapped in an IPv6 table.
const LOOPBACK = ['0100007F', '0000000000000000FFFF00000100007F'];

const processGone = async (pid: number, withinMs: number): Promise<boolean> => {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
};

describe('DynamoDB Local as a local server', () => {
  it('listens on loopback only, like every local server of the stack', async () => {
    // Prepare
    const local = await startDynamoDbLocal();
    try {
      // Act
      const addresses = listeningAddresses(local.port);

      // Assess
      expect(addresses.length).toBeGreaterThan(0);
      expect(addresses.every((address) => LOOPBACK.includes(address))).toBe(true);
    } finally {
      await local.stop();
    }
  }, 60_000);

  it('leaves no java behind when the process that started it is SIGKILLed', async () => {
    // Prepare: a node process that starts DynamoDB Local, prints the JVM's pid, and waits
    const script =
      "import { startDynamoDbLocal } from './lib/local/dynamodb-local.ts';" +
      'const local = await startDynamoDbLocal(); console.log(local.pid); setInterval(() => {}, 1000);';
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const javaPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.setEncoding('utf8');
      parent.stdout.once('data', (chunk: string) => resolve(Number(chunk.trim())));
      parent.once('exit', (code) =>
        reject(new Error(`the parent exited (${String(code)}) before DynamoDB Local answered`)),
      );
    });
    expect(await processGone(javaPid, 0)).toBe(false);

    // Act
    parent.kill('SIGKILL');

    // Assess
    expect(await processGone(javaPid, 10_000)).toBe(true);
  }, 60_000);
});
