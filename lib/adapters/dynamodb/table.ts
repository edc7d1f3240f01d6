// The one production table (single-table design), as plain data so the CDK stack can import it
// without SDK types, plus the SDK input that creates the same table locally (DynamoDB Local).
//
// Item types (pk / sk; generic GSIs gsi1..gsi4 are overloaded by key prefix, see keys.ts):
//   grant            GRANT#<id> / GRANT
//   ticket lookup    TICKET#<source>#<system>#<key> / GRANT#<createdAt>#<id>
//   target           TARGET#<targetKey> / TARGET
//   attributes       ATTR#<plane>#<project>#<domain> / ATTR
//   attribute update AU#<id> / AU
//   audit event      AUDIT#<id> / AUDIT
//   webhook delivery DELIVERY#<source>#<deliveryId> / DELIVERY   (ttl)
//   drift report     DRIFT / <checkedAt>#<id>                      (ttl)
//   source           SOURCE#<name> / SOURCE
//   idempotency      idempotency#<function> / <hash>  (Powertools DynamoDBPersistenceLayer,
//                    keyAttr 'pk', sortKeyAttr 'sk', expiryAttr 'ttl')
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

const key = <N extends string>(name: N) => ({ name, type: 'S' }) as const;

const gsi = <I extends 1 | 2 | 3 | 4>(i: I) =>
  ({
    indexName: `gsi${i}`,
    partitionKey: key(`gsi${i}pk`),
    sortKey: key(`gsi${i}sk`),
    projection: 'ALL',
  }) as const;

/** Production table definition: keys, GSIs, stream and TTL (plain data for CDK and local). */
export const TABLE = {
  partitionKey: key('pk'),
  sortKey: key('sk'),
  globalSecondaryIndexes: [gsi(1), gsi(2), gsi(3), gsi(4)],
  stream: 'NEW_AND_OLD_IMAGES',
  ttlAttribute: 'ttl',
  billingMode: 'PAY_PER_REQUEST',
  /** Every item grantplane writes carries `type`; the applier's event source filters on it. */
  typeAttribute: 'type',
} as const;

export type IndexName = (typeof TABLE.globalSecondaryIndexes)[number]['indexName'];

/** The CreateTable input for the production table definition (on-demand, streams on). */
export const createTableInput = (tableName: string): CreateTableCommandInput => {
  const names = new Set<string>([TABLE.partitionKey.name, TABLE.sortKey.name]);
  for (const index of TABLE.globalSecondaryIndexes) {
    names.add(index.partitionKey.name);
    names.add(index.sortKey.name);
  }
  return {
    TableName: tableName,
    BillingMode: TABLE.billingMode,
    AttributeDefinitions: [...names].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.stream },
  };
};

/** Creates the table when missing, waits until it is ACTIVE and enables TTL (idempotent). */
export const ensureTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  let exists = true;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error: unknown) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    exists = false;
  }
  if (!exists) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (error: unknown) {
      // Another process created it between our describe and create: fine, wait for it below.
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const ttlStatus = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (ttlStatus !== 'ENABLED' && ttlStatus !== 'ENABLING') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  }
};
