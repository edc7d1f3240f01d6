// The local stream poller on DynamoDB Local's real stream (docs/api.md: the applier fed as Lambda's
// event source mapping would feed it): Lambda's record shape, order, nothing missed from start,
// partial batch failures retried from the lowest failed record, exhausted retries skipped.
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStreamPoller, type StreamPoller } from '../../lib/local/stream-poller.js';
import { freshTable, type FreshTable } from '../helpers/dynamo.js';
import { until } from '../helpers/eventually.js';

let table: FreshTable;
let streams: DynamoDBStreamsClient;
let poller: StreamPoller | undefined;

beforeEach(async () => {
  table = await freshTable();
  streams = new DynamoDBStreamsClient({
    endpoint: table.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
  streams.destroy();
});

// `round` changes the item: DynamoDB streams record nothing for a write that changes nothing.
const put = async (n: number, round = 0) => {
  for (let i = 0; i < n; i += 1) {
    await table.docClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: `ITEM#${String(i).padStart(3, '0')}`, sk: 'X', type: 'thing', n: i, round },
      }),
    );
  }
};

const pkOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S ?? '';

describe('startStreamPoller', () => {
  it('delivers every record written before and after start, in order, in Lambda’s shape and batch size', async () => {
    await put(10);
    const batches: DynamoDBRecord[][] = [];
    let sweeps = 0;
    poller = await startStreamPoller({
      dynamo: table.client,
      streams,
      tableName: table.tableName,
      batchSize: 25,
      pollIntervalMs: 20,
      handler: async (event: DynamoDBStreamEvent) => {
        batches.push(event.Records);
        return { batchItemFailures: [] };
      },
      sweep: async () => {
        sweeps += 1;
      },
    });
    await put(30, 1);
    await until('40 records', () => batches.flat().length >= 40, 20_000);

    const records = batches.flat();
    expect(records.map(pkOf)).toEqual(
      [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => i)].map(
        (i) => `ITEM#${String(i).padStart(3, '0')}`,
      ),
    );
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(25);
    expect(records[0]).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        NewImage: { type: { S: 'thing' }, n: { N: '0' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
        SequenceNumber: expect.stringMatching(/^\d+$/),
      },
    });
    expect(records.filter((record) => record.eventName === 'MODIFY')[0]?.dynamodb?.OldImage?.n).toEqual({ N: '0' });
    expect(typeof records[0]?.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(sweeps).toBe(1);
  });

  it('retries a partial failure from the lowest failed record, like reportBatchItemFailures', async () => {
    await put(6);
    const delivered: string[] = [];
    let failuresLeft = 2;
    poller = await startStreamPoller({
      dynamo: table.client,
      streams,
      tableName: table.tableName,
      pollIntervalMs: 20,
      retryBaseMs: 10,
      handler: async (event): Promise<DynamoDBBatchResponse> => {
        delivered.push(...event.Records.map(pkOf));
        const third = event.Records.find((record) => pkOf(record) === 'ITEM#003');
        if (third !== undefined && failuresLeft > 0) {
          failuresLeft -= 1;
          const fifth = event.Records.find((record) => pkOf(record) === 'ITEM#005');
          return {
            batchItemFailures: [third, fifth].map((record) => ({
              itemIdentifier: record?.dynamodb?.SequenceNumber ?? '',
            })),
          };
        }
        return { batchItemFailures: [] };
      },
    });
    await until('the retried records', () => delivered.filter((pk) => pk === 'ITEM#005').length === 3, 20_000);

    expect(delivered.filter((pk) => pk === 'ITEM#002')).toHaveLength(1);
    expect(delivered.filter((pk) => pk === 'ITEM#003')).toHaveLength(3);
    expect(delivered.filter((pk) => pk === 'ITEM#004')).toHaveLength(3);
  });

  it('a handler that throws gets the whole batch again; a record that keeps failing is skipped after the retries, the rest delivered', async () => {
    await put(4);
    const delivered: string[] = [];
    const logs: string[] = [];
    const afterPoison: string[] = [];
    let thrown = false;
    poller = await startStreamPoller({
      dynamo: table.client,
      streams,
      tableName: table.tableName,
      pollIntervalMs: 20,
      retryBaseMs: 5,
      retryAttempts: 2,
      log: (message) => logs.push(message),
      handler: async (event): Promise<DynamoDBBatchResponse> => {
        delivered.push(...event.Records.map(pkOf));
        if (!event.Records.some((record) => pkOf(record) === 'ITEM#001')) afterPoison.push(...event.Records.map(pkOf));
        if (!thrown) {
          thrown = true;
          throw new Error('cold start blew up');
        }
        const poison = event.Records.find((record) => pkOf(record) === 'ITEM#001');
        return {
          batchItemFailures: poison === undefined ? [] : [{ itemIdentifier: poison.dynamodb?.SequenceNumber ?? '' }],
        };
      },
    });
    await put(1, 1); // ITEM#000 again: MODIFY after the poison record
    await until('the records after the poison one', () => afterPoison.length >= 3, 20_000);

    expect(delivered.filter((pk) => pk === 'ITEM#001')).toHaveLength(1 + 1 + 2); // thrown batch, first try, 2 retries
    expect(logs).toEqual(
      expect.arrayContaining([expect.stringMatching(/invocation failed/), expect.stringMatching(/skipped/)]),
    );
    expect(afterPoison).toEqual(['ITEM#002', 'ITEM#003', 'ITEM#000']); // the poison record alone is skipped
  });
});
