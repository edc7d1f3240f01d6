// A fresh table per test file on the run's one DynamoDB Local (started by test/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';

export interface FreshTable {
  client: DynamoDBClient;
  docClient: DynamoDBDocumentClient;
  tableName: string;
  endpoint: string;
}

/** The endpoint of the DynamoDB Local that globalSetup started. */
export const dynamoEndpoint = (): string => inject('dynamoEndpoint');

/** Creates a uniquely named table with the production definition and returns clients for it. */
export const freshTable = async (): Promise<FreshTable> => {
  const endpoint = dynamoEndpoint();
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = `grantplane-test-${randomUUID()}`;
  await ensureTable(client, tableName);
  return { client, docClient: makeDocumentClient(client), tableName, endpoint };
};
