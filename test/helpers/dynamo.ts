// A fresh table per test file on the run's one DynamoDB Local (started by test/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { makeDynamoStores } from '../../lib/adapters/dynamodb/stores.js';
import type { AppDeps } from '../../lib/app/deps.js';
import { parseConfig } from '../../lib/domain/config.js';
import type { Clock, Ids } from '../../lib/domain/ports.js';
import { buildDeps, type HttpDeps } from '../../lib/wiring/http.js';

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

/** A settable clock for use-case tests. */
export class TestClock implements Clock {
  constructor(private current: Date = new Date('2026-11-23T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: string): void {
    this.current = new Date(at);
  }
}

/** Sortable, unique ids (a counter) so tests are exact. */
export const counterIds = (prefix = '01TEST'): Ids => {
  let n = 0;
  return { next: () => `${prefix}${String((n += 1)).padStart(10, '0')}` };
};

/** A configuration with an auto-approving plane and a tight-quota plane, as the use-case tests need. */
export const TEST_CONFIG = {
  dataPlanes: [
    {
      name: 'prod',
      cloud: 'aws',
      accountId: '123456789012',
      region: 'us-west-2',
      orgPrefix: 'acme',
      oidcProvider: 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      domains: ['development', 'staging', 'production'],
      projects: '*',
      autoApproveDomains: ['development'],
      attributes: { 'flytesnacks/production': { projectQuotaCpu: '64', projectQuotaMemory: '256Gi' } },
    },
    {
      name: 'tight',
      cloud: 'aws',
      accountId: '210987654321',
      region: 'us-east-1',
      orgPrefix: 'acme',
      oidcProvider: 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0A1B2C3D4E5F60718293A4B5C',
      domains: ['development', 'production'],
      projects: '*',
      maxPoliciesPerRole: 2,
    },
  ],
};

/** Use-case deps on a fresh table with the real DynamoDB store. */
export const appDeps = async (
  rawConfig: unknown = TEST_CONFIG,
): Promise<AppDeps & { clock: TestClock; table: FreshTable }> => {
  const table = await freshTable();
  return {
    ...makeDynamoStores(table.docClient, table.tableName),
    config: parseConfig(rawConfig),
    clock: new TestClock(),
    ids: counterIds(),
    table,
  };
};

/** The HTTP handlers' deps on a fresh table: the test configuration, a test clock, ids from `idPrefix`. */
export const httpDeps = async (idPrefix: string, rawConfig: unknown = TEST_CONFIG): Promise<HttpDeps> => {
  const table = await freshTable();
  return buildDeps({
    client: table.client,
    tableName: table.tableName,
    config: parseConfig(rawConfig),
    clock: new TestClock(),
    ids: counterIds(idPrefix),
  });
};
