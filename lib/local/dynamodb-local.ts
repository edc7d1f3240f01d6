// DynamoDB Local (AWS's own Java emulator, shipped in the npm package amplify-dynamodb-simulator):
// the only local DynamoDB with transactions and streams (docs/data-model.md "Locally").
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** The JVM's process id. */
  pid: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** 0 or omitted: a free loopback port. */
  port?: number;
  /** Directory for the database file; omitted: -inMemory. */
  dbPath?: string;
  /** How long to wait for the first answer (ms). */
  startTimeoutMs?: number;
}

/** Thrown when DynamoDB Local cannot be started (no java, no jar, no answer). */
export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

/** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib, resolved through node's resolver. */
export const emulatorDir = (): string => {
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('amplify-dynamodb-simulator/package.json'));
  } catch (error: unknown) {
    throw new DynamoDbLocalError(
      'DynamoDB Local not found: install the dev dependency amplify-dynamodb-simulator (npm ci)',
      {
        cause: error,
      },
    );
  }
  const dir = join(packageDir, 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new DynamoDbLocalError(`DynamoDB Local not found: ${join(dir, 'DynamoDBLocal.jar')} is missing`);
  }
  return dir;
};

const LAUNCHER_SOURCE = fileURLToPath(new URL('./LoopbackDynamoDb.java', import.meta.url));

/**
 * The launcher's class path entry and main class. Compiled once per source and JDK into the temp
 * folder (a source-file launch compiles on every start and costs seconds); without javac, run from
 * source, which needs the JDK's compiler module too.
 */
const launcher = (jar: string): { classPath: string; main: string } => {
  const source = readFileSync(LAUNCHER_SOURCE);
  const javaVersion = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr;
  const key = createHash('sha256').update(source).update(javaVersion).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `grantplane-ddb-launcher-${key}`);
  if (existsSync(join(dir, 'LoopbackDynamoDb.class')))
    return { classPath: `${jar}${delimiter}${dir}`, main: 'LoopbackDynamoDb' };
  const scratch = mkdtempSync(join(tmpdir(), 'grantplane-ddb-launcher-build-'));
  const compiled = spawnSync('javac', ['-cp', jar, '-d', scratch, LAUNCHER_SOURCE], { stdio: 'ignore' });
  if (compiled.error !== undefined || compiled.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    // No javac: a source-file launch needs the JDK's compiler module; a bare JRE runs the jar as
    // shipped, which listens on every interface (said once on stderr, with the fix).
    const modules = spawnSync('java', ['--list-modules'], { encoding: 'utf8' }).stdout ?? '';
    if (modules.includes('jdk.compiler')) return { classPath: jar, main: LAUNCHER_SOURCE };
    process.stderr.write(
      'grantplane: DynamoDB Local listens on every interface: no JDK compiler here to bind it to 127.0.0.1 (apt-get install openjdk-17-jdk-headless)\n',
    );
    return { classPath: jar, main: 'com.amazonaws.services.dynamodbv2.local.main.ServerRunner' };
  }
  try {
    renameSync(scratch, dir); // atomic; another start may have won the race, which is as good
  } catch {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { classPath: `${jar}${delimiter}${dir}`, main: 'LoopbackDynamoDb' };
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const javaAvailable = (): boolean => {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts DynamoDB Local and resolves once it answers ListTables; stop() (and process exit) kill it. */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  if (!javaAvailable()) {
    throw new DynamoDbLocalError(
      'DynamoDB Local needs Java 17+: `java` was not found on PATH (apt-get install openjdk-17-jre-headless)',
    );
  }
  const dir = emulatorDir();
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port;
  if (options.dbPath !== undefined) mkdirSync(options.dbPath, { recursive: true });
  const entry = launcher(join(dir, 'DynamoDBLocal.jar'));
  const storage = options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', resolve(options.dbPath)];
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    // DynamoDB Local has no bind-address option and listens on every interface; this launcher binds
    // it to 127.0.0.1 and halts the JVM when its stdin closes.
    '-cp',
    entry.classPath,
    entry.main,
    ...storage,
    // One database for every caller: without it DynamoDB Local keeps a separate one per access key
    // and region, and the API, the applier and the AWS CLI would not see each other's tables.
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  // stdin is a pipe the JVM reads until it closes: when this process dies, even by SIGKILL, the
  // kernel closes it and the launcher's watchdog stops the JVM, so no java is left behind.
  const child: ChildProcess = spawn('java', args, { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  // Never leave a JVM behind when the parent goes away.
  const killOnExit = () => {
    if (exited === undefined) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exitPromise;
    clearTimeout(timer);
  };

  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (exited !== undefined) {
        throw new DynamoDbLocalError(
          `DynamoDB Local exited (code ${String(exited.code)}) before answering: ${stderr.trim().split('\n').at(-1) ?? ''}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error: unknown) {
        if (Date.now() > deadline) {
          throw new DynamoDbLocalError(`DynamoDB Local did not answer on ${endpoint} within the start timeout`, {
            cause: error,
          });
        }
        await sleep(100);
      }
    }
  } catch (error: unknown) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, port, pid: child.pid ?? 0, stop };
};
