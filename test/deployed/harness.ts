// The deployed tier's harness: what `cdk synth` produced, run the way Lambda runs it. Each
// function's asset folder is copied alone to a temporary folder (no repository, no node_modules
// around it), and its handler runs in a process of its own under the Node version the template
// names, with the template's environment (intrinsics resolved to the local peers), the folder as
// its working directory and task root, and stays warm between invocations like a Lambda sandbox.
// The table is created from the stateful template's definition in DynamoDB Local; its stream
// records reach the applier through the template's event source mapping and its filter criteria.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { toLambdaRecord } from '../../lib/local/stream-poller.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: string } }>;
}

export interface Synthesized {
  outDir: string;
  stateful: Template;
  stateless: Template;
}

/** `cdk synth` exactly as docs/deploy.md runs it (the CDK CLI, cdk.json's app), into `outDir`. */
export function synthesize(context: Record<string, string>): Synthesized {
  const outDir = mkdtempSync(join(tmpdir(), 'grantplane-synth-'));
  const args = [
    'synth',
    '--quiet',
    '--output',
    outDir,
    ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  // Nothing of this machine's AWS setup may leak into the templates (no account, no region).
  const env = { ...process.env };
  for (const name of ['CDK_DEFAULT_REGION', 'CDK_DEFAULT_ACCOUNT', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'])
    delete env[name];
  const run = spawnSync(join(REPO, 'node_modules/.bin/cdk'), args, {
    cwd: join(REPO, 'infra'),
    encoding: 'utf8',
    env,
    timeout: 240_000,
  });
  if (run.status !== 0) throw new Error(`cdk synth failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  const read = (name: string): Template =>
    JSON.parse(readFileSync(join(outDir, `${name}.template.json`), 'utf8')) as Template;
  return { outDir, stateful: read('GrantplaneStateful'), stateless: read('GrantplaneStateless') };
}

/** The resources of one type, by logical id. */
export const resourcesOf = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** The local values CloudFormation intrinsics stand for: logical id → what Ref answers. */
export type RefValues = Record<string, string>;

/** Resolves Ref / Fn::ImportValue / Fn::GetAtt …Arn against local values; anything else is an error. */
export function resolveIntrinsic(value: Json, refs: RefValues, synth: Synthesized): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const ref = value['Ref'];
    if (typeof ref === 'string') {
      const found = refs[ref];
      if (found === undefined) throw new Error(`no local value for Ref ${ref}`);
      return found;
    }
    const imported = value['Fn::ImportValue'];
    if (typeof imported === 'string') {
      const output = Object.values(synth.stateful.Outputs ?? {}).find((o) => o.Export?.Name === imported);
      if (output === undefined) throw new Error(`no stateful export ${imported}`);
      return resolveIntrinsic(output.Value, refs, synth);
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
      const found = refs[`${getAtt[0]}.${getAtt[1]}`];
      if (found === undefined) throw new Error(`no local value for Fn::GetAtt ${getAtt.join('.')}`);
      return found;
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} locally: teach the deployed tier what it stands for`);
}

/** Creates the stateful template's table in DynamoDB Local (keys, indexes, stream, TTL). */
export async function createTableFromTemplate(dynamo: DynamoDBClient, synth: Synthesized, tableName: string) {
  const tables = resourcesOf(synth.stateful, 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`expected one table in the stateful stack, found ${tables.length}`);
  const props = tables[0]?.[1].Properties ?? {};
  const input = {
    TableName: tableName,
    AttributeDefinitions: props['AttributeDefinitions'],
    KeySchema: props['KeySchema'],
    GlobalSecondaryIndexes: props['GlobalSecondaryIndexes'],
    BillingMode: props['BillingMode'],
    // CloudFormation's StreamSpecification is only the view type; the API also wants StreamEnabled.
    ...(props['StreamSpecification'] === undefined
      ? {}
      : { StreamSpecification: { StreamEnabled: true, ...(props['StreamSpecification'] as object) } }),
  } as unknown as CreateTableCommandInput;
  await dynamo.send(new CreateTableCommand(input));
  const ttl = props['TimeToLiveSpecification'] as { AttributeName: string; Enabled: boolean } | undefined;
  if (ttl !== undefined) {
    await dynamo.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: ttl }));
  }
}

// ─── Functions as Lambda runs them ────────────────────────────────────────────────────────────

/** The runtime: Lambda's loop in miniature (init = import, then one event at a time, warm). */
const RUNNER = `import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
const [entry, exportName] = process.argv.slice(2);
const answer = (value) => writeSync(3, JSON.stringify(value) + '\\n');
let handler;
try {
  handler = (await import(pathToFileURL(entry).href))[exportName];
  if (typeof handler !== 'function') throw new Error('handler ' + exportName + ' is not exported by ' + entry);
  answer({ ready: true });
} catch (error) {
  answer({ initError: { name: error?.name, message: error?.message } });
  process.exit(1);
}
for await (const line of createInterface({ input: process.stdin })) {
  const { id, event, functionName } = JSON.parse(line);
  const started = Date.now();
  const context = {
    callbackWaitsForEmptyEventLoop: true, functionName, functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:' + functionName,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, awsRequestId: 'req-' + id,
    logGroupName: '/aws/lambda/' + functionName, logStreamName: 'deployed-tier',
    getRemainingTimeInMillis: () => Math.max(0, 300000 - (Date.now() - started)),
  };
  try {
    const result = await handler(event, context);
    answer({ id, result: result === undefined ? null : result });
  } catch (error) {
    answer({ id, error: { name: error?.name, message: error?.message } });
  }
}
`;

export interface DeployedFunction {
  logicalId: string;
  description: string;
  folder: string;
  /** Invokes once; resolves with the handler's result, rejects with its error (as Lambda reports it). */
  invoke(event: unknown): Promise<unknown>;
  /** Everything the function wrote to stdout/stderr (its logs, EMF metric lines). */
  logs(): string;
  stop(): void;
}

/** The Node binary for a template runtime `nodejsNN.x`: the project's `node` package, checked. */
export function nodeFor(runtime: string): string {
  const wanted = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (wanted === undefined) throw new Error(`runtime ${runtime} is not a Node.js runtime`);
  const candidates = [join(REPO, 'node_modules/node/bin/node'), process.execPath];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (version.startsWith(`v${wanted}.`)) return candidate;
  }
  throw new Error(`no Node ${wanted} here for runtime ${runtime} (devDependency node@${wanted} expected)`);
}

export interface StartFunctionOptions {
  synth: Synthesized;
  logicalId: string;
  refs: RefValues;
  /** What Lambda adds to every function's environment (region, credentials) and the local endpoints. */
  runtimeEnv: Record<string, string>;
}

/** Copies one function's asset alone to a temp folder and starts its handler under its runtime. */
export async function startFunction(options: StartFunctionOptions): Promise<DeployedFunction> {
  const { synth, logicalId } = options;
  const resource = synth.stateless.Resources[logicalId];
  if (resource === undefined || resource.Type !== 'AWS::Lambda::Function') throw new Error(`no function ${logicalId}`);
  const props = resource.Properties ?? {};
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`${logicalId}: no aws:asset:path metadata`);
  const folder = mkdtempSync(join(tmpdir(), `lambda-${logicalId}-`));
  cpSync(join(synth.outDir, assetPath), folder, { recursive: true });
  const handler = String(props['Handler'] ?? '');
  const [moduleName, exportName] = [
    handler.slice(0, handler.lastIndexOf('.')),
    handler.slice(handler.lastIndexOf('.') + 1),
  ];
  const entryFile = ['.mjs', '.js', '.cjs']
    .map((ext) => join(folder, `${moduleName}${ext}`))
    .find((f) => existsSync(f));
  if (entryFile === undefined)
    throw new Error(`${logicalId}: handler module ${moduleName} not in the asset (${readdirSync(folder).join(', ')})`);
  const runnerDir = mkdtempSync(join(tmpdir(), 'lambda-runtime-'));
  const runner = join(runnerDir, 'runtime.mjs');
  writeFileSync(runner, RUNNER);

  const variables = ((props['Environment'] as Record<string, Json> | undefined)?.['Variables'] ?? {}) as Record<
    string,
    Json
  >;
  const functionName = `grantplane-${logicalId}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LAMBDA_TASK_ROOT: folder,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props['MemorySize'] ?? 128),
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(props['Runtime'])}`,
    ...options.runtimeEnv,
  };
  for (const [name, value] of Object.entries(variables)) {
    // The function's code and config live in /var/task on Lambda: here, in its copied folder.
    env[name] = resolveIntrinsic(value, options.refs, synth).replace(/^\/var\/task(?=\/|$)/, folder);
  }
  const child: ChildProcess = spawn(nodeFor(String(props['Runtime'])), [runner, entryFile, exportName], {
    cwd: folder,
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: (error?: Error) => void = () => undefined;
  const started = new Promise<void>((resolveReady, rejectReady) => {
    ready = (error) => (error === undefined ? resolveReady() : rejectReady(error));
  });
  const answers = child.stdio[3];
  if (answers === null || answers === undefined || !('on' in answers)) throw new Error('no answer channel');
  createInterface({ input: answers as NodeJS.ReadableStream }).on('line', (line) => {
    const message = JSON.parse(line) as {
      ready?: boolean;
      initError?: { name: string; message: string };
      id?: number;
      result?: unknown;
      error?: { name: string; message: string };
    };
    if (message.ready) ready();
    else if (message.initError)
      ready(new Error(`${logicalId} init failed: ${message.initError.name}: ${message.initError.message}`));
    else if (message.id !== undefined) {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error) pending?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      else pending?.resolve(message.result);
    }
  });
  child.on('exit', (code) => {
    ready(new Error(`${logicalId} exited (${code}) during init:\n${output}`));
    for (const pending of waiting.values()) pending.reject(new Error(`${logicalId} exited (${code}):\n${output}`));
  });
  await started;
  let next = 0;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    logicalId,
    description: String(props['Description'] ?? ''),
    folder,
    invoke(event) {
      // One event at a time per sandbox, as Lambda does.
      const run = queue.then(
        () =>
          new Promise<unknown>((resolveInvoke, rejectInvoke) => {
            const id = (next += 1);
            waiting.set(id, { resolve: resolveInvoke, reject: rejectInvoke });
            child.stdin?.write(`${JSON.stringify({ id, event, functionName })}\n`);
          }),
      );
      queue = run.catch(() => undefined);
      return run;
    },
    logs: () => output,
    stop: () => {
      child.kill();
    },
  };
}

// ─── The table's stream through the event source mapping ─────────────────────────────────────

type Pattern = { [key: string]: Pattern | Json[] };

/** Lambda event filtering, for the pattern forms grantplane uses (exact values, nested keys). */
export function matchesFilter(pattern: Pattern, value: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object')
    throw new Error(`filter pattern ${JSON.stringify(pattern)} is not an object`);
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) {
      if (!expected.every((item) => typeof item === 'string'))
        throw new Error(`filter value ${JSON.stringify(expected)}: only exact string matches are modelled here`);
      return typeof actual === 'string' && expected.includes(actual);
    }
    return matchesFilter(expected, actual);
  });
}

/** The event source mapping of the applier: its stream filters (none = every record). */
export function streamFilters(synth: Synthesized, functionLogicalId?: string): Pattern[] {
  const mappings = resourcesOf(synth.stateless, 'AWS::Lambda::EventSourceMapping').filter(
    ([, mapping]) =>
      functionLogicalId === undefined ||
      JSON.stringify(mapping.Properties?.['FunctionName']) === JSON.stringify({ Ref: functionLogicalId }),
  );
  if (mappings.length !== 1)
    throw new Error(
      `expected one event source mapping${functionLogicalId === undefined ? '' : ` of ${functionLogicalId}`}, found ${mappings.length}`,
    );
  const criteria = mappings[0]?.[1].Properties?.['FilterCriteria'] as { Filters?: { Pattern: string }[] } | undefined;
  return (criteria?.Filters ?? []).map((filter) => JSON.parse(filter.Pattern) as Pattern);
}

export interface TableStream {
  /** Every record written since the last drain, in order, as Lambda would deliver them. */
  drain(): Promise<DynamoDBRecord[]>;
}

export async function openStream(dynamo: DynamoDBClient, streams: DynamoDBStreamsClient, tableName: string) {
  const table = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`table ${tableName} has no stream`);
  const iterators = new Map<string, string>();
  const refresh = async () => {
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      if (shard.ShardId === undefined || iterators.has(shard.ShardId)) continue;
      const it = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      if (it.ShardIterator !== undefined) iterators.set(shard.ShardId, it.ShardIterator);
    }
  };
  await refresh();
  return {
    async drain() {
      await refresh();
      const records: DynamoDBRecord[] = [];
      for (const [shard, iterator] of iterators) {
        let current: string | undefined = iterator;
        for (;;) {
          const page: GetRecordsCommandOutput = await streams.send(new GetRecordsCommand({ ShardIterator: current }));
          records.push(...(page.Records ?? []).map((r) => toLambdaRecord(r, streamArn, 'us-west-2')));
          if (page.NextShardIterator === undefined) {
            iterators.delete(shard);
            break;
          }
          current = page.NextShardIterator;
          if ((page.Records ?? []).length === 0) break;
        }
        if (current !== undefined && iterators.has(shard)) iterators.set(shard, current);
      }
      return records;
    },
  } satisfies TableStream;
}
