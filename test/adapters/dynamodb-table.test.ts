import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
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
