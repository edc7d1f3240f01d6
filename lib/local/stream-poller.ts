// The table's stream → the applier Lambda, locally (docs/api.md), the way Lambda's event source
// mapping feeds it: DescribeTable → LatestStreamArn, DescribeStream → shards (children only after
// their parent is drained), GetShardIterator, a GetRecords loop, each batch converted to the
// Lambda DynamoDBStreamEvent shape and handed to the very handler functions/applier.ts exports.
// Partial batch failures are retried from the lowest failed sequence number with backoff, like
// `reportBatchItemFailures` + `retryAttempts`; a record that still fails after that is logged and
// skipped, as `bisectBatchOnError` would isolate it (the applier's sweep, run here at start and on
// an interval, converges its target anyway).
//
// Start position: TRIM_HORIZON for every shard, so nothing written after start — or while the
// stack was down, for a kept table — is missed; replayed records are duplicates the applier skips.
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue as StreamsAttributeValue,
  type _Record,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  ScheduledEvent,
} from 'aws-lambda';
import { localApplierDeps, localContext, type BackgroundLoop } from './loops.js';

/** The applier handler as the poller calls it (Lambda's signature). */
export type StreamLambda = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  /** For DescribeTable (the stream ARN). */
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  handler: StreamLambda;
  /** Called at start (after the shards' iterators exist) and every `sweepIntervalMs`. */
  sweep?: () => Promise<void>;
  sweepIntervalMs?: number;
  /** Pause between polls when a shard had nothing new; default 200 ms. */
  pollIntervalMs?: number;
  /** Records per handler call; default 25 (the infra's batch size). */
  batchSize?: number;
  /** Retries of a failing batch before its failed records are skipped; default 5. */
  retryAttempts?: number;
  /** Backoff base between retries; default 250 ms (doubling, at most 5 s). */
  retryBaseMs?: number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

export interface StreamPoller {
  stop(): Promise<void>;
}

interface ShardState {
  id: string;
  parent: string | undefined;
  iterator: string | undefined;
  /** No more iterator: the shard is closed and read to its end. */
  closed: boolean;
  buffer: DynamoDBRecord[];
  lastSequence: string | undefined;
  attempts: number;
  retryAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** One SDK stream attribute value as Lambda delivers it (binary as base64 text). */
function lambdaAttribute(value: StreamsAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(lambdaAttribute) };
  if (value.M !== undefined) return { M: lambdaImage(value.M) };
  return { NULL: true };
}

function lambdaImage(image: Record<string, StreamsAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, lambdaAttribute(value)]));
}

/** A GetRecords record in the shape Lambda's event source mapping delivers. */
export function toLambdaRecord(record: _Record, streamArn: string, region: string): DynamoDBRecord {
  const data = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(data?.ApproximateCreationDateTime === undefined
        ? {}
        : { ApproximateCreationDateTime: Math.floor(data.ApproximateCreationDateTime.getTime() / 1000) }),
      ...(data?.Keys === undefined ? {} : { Keys: lambdaImage(data.Keys) }),
      ...(data?.NewImage === undefined ? {} : { NewImage: lambdaImage(data.NewImage) }),
      ...(data?.OldImage === undefined ? {} : { OldImage: lambdaImage(data.OldImage) }),
      ...(data?.SequenceNumber === undefined ? {} : { SequenceNumber: data.SequenceNumber }),
      ...(data?.SizeBytes === undefined ? {} : { SizeBytes: data.SizeBytes }),
      ...(data?.StreamViewType === undefined ? {} : { StreamViewType: data.StreamViewType }),
    },
  };
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : '');

/** Starts reading the table's stream; `stop()` ends the loop after the batch in hand. */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const batchSize = options.batchSize ?? 25;
  const retryAttempts = options.retryAttempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const region = (await options.streams.config.region()) ?? 'us-east-1';

  const table = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (streamArn === undefined)
    throw new Error(
      `table ${options.tableName} has no stream: the applier needs StreamSpecification NEW_AND_OLD_IMAGES`,
    );

  const shards = new Map<string, ShardState>();
  const finished = new Set<string>();

  const discover = async (): Promise<void> => {
    let start: string | undefined;
    do {
      const page = await options.streams.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(start === undefined ? {} : { ExclusiveStartShardId: start }),
        }),
      );
      const listed: Shard[] = page.StreamDescription?.Shards ?? [];
      for (const shard of listed) {
        if (shard.ShardId === undefined || shards.has(shard.ShardId) || finished.has(shard.ShardId)) continue;
        shards.set(shard.ShardId, {
          id: shard.ShardId,
          parent: shard.ParentShardId,
          iterator: undefined,
          closed: false,
          buffer: [],
          lastSequence: undefined,
          attempts: 0,
          retryAt: 0,
        });
      }
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
  };

  const iteratorFor = async (shard: ShardState): Promise<string | undefined> => {
    const answer = await options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.id,
        ...(shard.lastSequence === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence }),
      }),
    );
    return answer.ShardIterator;
  };

  /** Reads the next records of a shard into its buffer; true when something arrived. */
  const read = async (shard: ShardState): Promise<boolean> => {
    shard.iterator ??= await iteratorFor(shard);
    if (shard.iterator === undefined) {
      shard.closed = true;
      return false;
    }
    try {
      const page = await options.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
      shard.iterator = page.NextShardIterator;
      if (shard.iterator === undefined) shard.closed = true;
      const records = (page.Records ?? []).map((record) => toLambdaRecord(record, streamArn, region));
      shard.buffer.push(...records);
      return records.length > 0;
    } catch (error: unknown) {
      const name = errorName(error);
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
        shard.iterator = undefined; // re-acquired after the last record handed over
        return false;
      }
      if (name === 'ResourceNotFoundException') {
        shard.closed = true;
        return false;
      }
      throw error;
    }
  };

  /** Hands the shard's next batch to the handler; failed records stay for a retry. */
  const deliver = async (shard: ShardState): Promise<void> => {
    const batch = shard.buffer.slice(0, batchSize);
    let failedFrom: string | undefined;
    try {
      const answer = await options.handler({ Records: batch }, localContext('grantplane-applier-local'));
      const failed = (answer?.batchItemFailures ?? [])
        .map((failure) => failure.itemIdentifier)
        .filter((id) => id !== '');
      // Lambda restarts from the lowest failed sequence number (sequence numbers are decimal).
      failedFrom = failed.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))[0];
    } catch (error: unknown) {
      log('applier invocation failed: retrying the batch', {
        error: error instanceof Error ? error.message : String(error),
      });
      failedFrom = batch[0]?.dynamodb?.SequenceNumber;
    }
    const index =
      failedFrom === undefined ? -1 : batch.findIndex((record) => record.dynamodb?.SequenceNumber === failedFrom);
    const done = index === -1 ? batch.length : index;
    const handed = batch.slice(0, done);
    shard.buffer.splice(0, done);
    if (handed.length > 0)
      shard.lastSequence = handed[handed.length - 1]?.dynamodb?.SequenceNumber ?? shard.lastSequence;
    // Progress checkpoints the shard: the records still failing start a new batch with fresh retries.
    if (index === -1 || done > 0) shard.attempts = 0;
    if (index === -1) return;
    shard.attempts += 1;
    if (shard.attempts > retryAttempts) {
      // Like an exhausted event source mapping that bisected down to the record: skip it (the
      // sweep converges its target later); the records after it get fresh retries.
      const skipped = shard.buffer.splice(0, 1);
      shard.lastSequence = skipped[0]?.dynamodb?.SequenceNumber ?? shard.lastSequence;
      log('applier record still failing after retries: skipped', { sequenceNumber: failedFrom });
      shard.attempts = 0;
      return;
    }
    shard.retryAt = Date.now() + Math.min(5_000, retryBaseMs * 2 ** (shard.attempts - 1));
  };

  let stopping = false;
  let lastSweep = 0;
  const sweep = async (): Promise<void> => {
    lastSweep = Date.now();
    if (options.sweep === undefined) return;
    try {
      await options.sweep();
    } catch (error: unknown) {
      log('sweep failed', { error: error instanceof Error ? error.message : String(error) });
    }
  };

  await discover();
  const loop = (async () => {
    // The sweep after discovery: whatever happened before the iterators existed is converged too.
    await sweep();
    let lastDiscovery = Date.now();
    while (!stopping) {
      let busy = false;
      try {
        if (Date.now() - lastDiscovery > 1_000) {
          await discover();
          lastDiscovery = Date.now();
        }
        for (const shard of [...shards.values()]) {
          if (stopping) break;
          // A child shard waits until its parent is read to the end (record order per item).
          if (shard.parent !== undefined && shards.has(shard.parent) && !finished.has(shard.parent)) continue;
          if (shard.buffer.length === 0 && !shard.closed) busy = (await read(shard)) || busy;
          if (shard.buffer.length > 0 && Date.now() >= shard.retryAt) {
            await deliver(shard);
            busy = true;
          }
          if (shard.closed && shard.buffer.length === 0) {
            finished.add(shard.id);
            shards.delete(shard.id);
            lastDiscovery = 0; // look for its children now
          }
        }
        if (options.sweep !== undefined && Date.now() - lastSweep >= (options.sweepIntervalMs ?? 30_000)) await sweep();
      } catch (error: unknown) {
        log('stream poll failed: retrying', { error: error instanceof Error ? error.message : String(error) });
        await sleep(1_000);
      }
      if (!busy) await sleep(pollIntervalMs);
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}

const SCHEDULED: ScheduledEvent = {
  version: '0',
  id: 'local-sweep',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date(0).toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: {},
};

/**
 * `npm start`'s applier: the stream poller invoking functions/applier.ts's handler (built by its
 * `makeHandler` on deps pointing at the local table and, per plane, the IAM emulator account).
 */
export const applierLoop: BackgroundLoop = {
  name: 'applier (table stream)',
  async start(context) {
    const { makeHandler } = await import('../../functions/applier.js');
    const { powertoolsLog: applierLog } = await import('../../functions/shared/logger.js');
    const handler = makeHandler(localApplierDeps(context, applierLog));
    const streams = new DynamoDBStreamsClient({
      endpoint: context.dynamoEndpoint,
      region: context.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const sweepSeconds = Number(context.env.GRANTPLANE_APPLIER_SWEEP_SECONDS ?? '30');
    const poller = await startStreamPoller({
      dynamo: context.dynamoClient,
      streams,
      tableName: context.tableName,
      handler: (event, lambdaContext) => handler(event, lambdaContext),
      sweep: async () => {
        await handler({ ...SCHEDULED, time: new Date().toISOString() }, localContext('grantplane-applier-local'));
      },
      sweepIntervalMs: Number.isFinite(sweepSeconds) && sweepSeconds > 0 ? sweepSeconds * 1000 : 30_000,
      log: (message, detail) => applierLog.warn(message, detail),
    });
    return {
      stop: async () => {
        await poller.stop();
        streams.destroy();
      },
    };
  },
};

/**
 * `npm start`'s notifier: a second poller on the same stream (as Lambda gives each function its own
 * event source mapping), invoking functions/notifier.ts's handler on the local table. Secrets and
 * SNS come from the SDK's standard configuration (AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SNS).
 * It starts only when the configuration subscribes a channel to something.
 */
export const notifierLoop: BackgroundLoop = {
  name: 'notifier (table stream)',
  async start(context) {
    if ((context.config.notifications?.subscriptions.length ?? 0) === 0) return { stop: async () => undefined };
    const { makeHandler } = await import('../../functions/notifier.js');
    const { powertoolsLog: log } = await import('../../functions/shared/logger.js');
    const { buildNotifierDeps } = await import('../wiring/notifier.js');
    const handler = makeHandler(
      buildNotifierDeps({ client: context.dynamoClient, tableName: context.tableName, config: context.config, log }),
    );
    const streams = new DynamoDBStreamsClient({
      endpoint: context.dynamoEndpoint,
      region: context.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const poller = await startStreamPoller({
      dynamo: context.dynamoClient,
      streams,
      tableName: context.tableName,
      handler: async (event, lambdaContext) => (await handler(event, lambdaContext)) as DynamoDBBatchResponse,
      // The schedule's reminder pass (in AWS an hourly EventBridge schedule): at start and every
      // GRANTPLANE_NOTIFIER_SWEEP_SECONDS (default 300).
      sweep: async () => {
        await handler({}, localContext('grantplane-notifier'));
      },
      sweepIntervalMs: Number(context.env.GRANTPLANE_NOTIFIER_SWEEP_SECONDS ?? '300') * 1000 || 300_000,
      log: (message, detail) => log.warn(message, detail),
    });
    return {
      stop: async () => {
        await poller.stop();
        streams.destroy();
      },
    };
  },
};
