import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DescribeTableCommand, DescribeTimeToLiveCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { TABLE, ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { freshTable } from '../helpers/dynamo.js';

describe('table definition', () => {
  it('creates the production table on DynamoDB Local with GSIs, streams and TTL, idempotently', async () => {
    // Prepare
    const { client, tableName } = await freshTable();

    // Act: a second ensureTable must be a no-op
    await ensureTable(client, tableName);
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));

    // Assess
    const table = described.Table;
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
      TABLE.globalSecondaryIndexes.map((index) => index.indexName).sort(),
    );
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table?.LatestStreamArn).toMatch(/^arn:aws:dynamodb:/);
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  });
});

describe('table definition and Powertools idempotency', () => {
  it('holds Powertools idempotency records (keyAttr pk, sortKeyAttr sk, expiryAttr ttl) next to grantplane items', async () => {
    // Prepare
    const { client, tableName } = await freshTable();
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName,
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      expiryAttr: 'ttl',
      awsSdkV3Client: client,
    });
    let calls = 0;
    const create = makeIdempotent(
      async (payload: { name: string }) => {
        calls += 1;
        return { id: `grant-${calls}`, name: payload.name };
      },
      { persistenceStore, config: new IdempotencyConfig({ eventKeyJmesPath: 'name' }) },
    );

    // Act
    const first = await create({ name: 'key-1' });
    const second = await create({ name: 'key-1' });
    const items = await client.send(new ScanCommand({ TableName: tableName }));

    // Assess
    expect(second).toEqual(first);
    expect(calls).toBe(1);
    expect(items.Items).toHaveLength(1);
    expect(items.Items?.[0]?.pk?.S).toMatch(/^idempotency#/);
    expect(Number(items.Items?.[0]?.ttl?.N)).toBeGreaterThan(Date.now() / 1000);
  });
});
