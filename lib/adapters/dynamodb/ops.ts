// The table operations every store of the single table shares: lost races as ConcurrentUpdateError,
// strongly consistent partition queries and batch reads (all pages, unprocessed keys retried), and
// transactions within DynamoDB's limits.
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../../domain/ports.js';

export type Item = Record<string, unknown>;
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

// DynamoDB's limits: 100 items and 4 MB per transaction, 100 keys per BatchGetItem.
export const MAX_TRANSACT_ITEMS = 100;
export const MAX_TRANSACT_BYTES = 3_500_000;
const MAX_BATCH_GET = 100;

const isConflict = (error: unknown): boolean => {
  if (error instanceof ConditionalCheckFailedException) return true;
  if (error instanceof TransactionCanceledException) {
    // A failed condition, or another transaction on the same item: both mean "re-read and retry".
    return (error.CancellationReasons ?? []).some(
      (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
    );
  }
  return error instanceof Error && error.name === 'TransactionConflictException';
};

/** Runs a write, turning lost races into ConcurrentUpdateError. */
export const conditional = async <T>(what: string, write: () => Promise<T>): Promise<T> => {
  try {
    return await write();
  } catch (error: unknown) {
    if (isConflict(error))
      throw new ConcurrentUpdateError(`${what}: another writer changed it first`, { cause: error });
    throw error;
  }
};

/**
 * Runs a conditional write: true when it landed, false when its condition did not hold (the item
 * was not as the condition wants — a newer writer, another owner); any other failure is thrown.
 */
export const ifCondition = async (write: () => Promise<unknown>): Promise<boolean> => {
  try {
    await write();
    return true;
  } catch (error: unknown) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/** One item by key, strongly consistent unless asked otherwise; undefined when absent. */
export const getItem = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  key: { pk: string; sk: string },
  consistent = true,
): Promise<Item | undefined> =>
  (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistent }))).Item;

/** A transaction's Put of `item`, conditional when `condition` is given. */
export const putItem = (tableName: string, item: Item, condition?: string): TransactItem => ({
  Put: { TableName: tableName, Item: item, ...(condition === undefined ? {} : { ConditionExpression: condition }) },
});

/** A transaction's check that an item's counter `name` is still `version` (0: absent counts as 0). */
export const versionCheck = (tableName: string, key: Item, name: string, version: number): TransactItem => ({
  ConditionCheck: {
    TableName: tableName,
    Key: key,
    ConditionExpression: version === 0 ? `attribute_not_exists(${name}) OR ${name} = :v` : `${name} = :v`,
    ExpressionAttributeValues: { ':v': version },
  },
});

/** One transaction, lost races as ConcurrentUpdateError. */
export const transact = (doc: DynamoDBDocumentClient, what: string, items: TransactItem[]): Promise<unknown> =>
  conditional(what, () => doc.send(new TransactWriteCommand({ TransactItems: items })));

/** Every item of a base-table partition (optionally a sort-key prefix), strongly consistent. */
export const queryPartition = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  skPrefix?: string,
): Promise<Item[]> => {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const result = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: skPrefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: skPrefix === undefined ? { ':pk': pk } : { ':pk': pk, ':sk': skPrefix },
        ConsistentRead: true,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    items.push(...(result.Items ?? []));
    startKey = result.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
};

/**
 * Strongly consistent reads of many keys (100 per request; keys DynamoDB leaves unprocessed are
 * asked again after a short backoff). Missing items are left out; order is not kept.
 */
export const batchGet = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Item[],
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<Item[]> => {
  const found: Item[] = [];
  for (let start = 0; start < keys.length; start += MAX_BATCH_GET) {
    let requested: Item[] = keys.slice(start, start + MAX_BATCH_GET);
    for (let round = 0; requested.length > 0; round += 1) {
      const result: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: requested, ConsistentRead: true } } }),
      );
      found.push(...(result.Responses?.[tableName] ?? []));
      requested = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (requested.length > 0) await sleep(Math.min(1000, 20 * 2 ** round));
    }
  }
  return found;
};
