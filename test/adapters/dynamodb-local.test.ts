// The DynamoDB Local launcher itself: a second instance on disk, shared by every credential.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';

const clientFor = (endpoint: string, accessKeyId: string, region: string) =>
  new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });

describe('startDynamoDbLocal', () => {
  it('keeps tables on disk across restarts and shows them to any credentials and region', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-ddb-'));
    try {
      const first = await startDynamoDbLocal({ dbPath: join(dir, 'db') });
      try {
        await ensureTable(clientFor(first.endpoint, 'one', 'us-east-1'), 'persisted');
      } finally {
        await first.stop();
      }

      // Act
      const second = await startDynamoDbLocal({ dbPath: join(dir, 'db') });
      let tables: string[] | undefined;
      try {
        tables = (await clientFor(second.endpoint, 'anotherKey1', 'eu-west-1').send(new ListTablesCommand({})))
          .TableNames;
      } finally {
        await second.stop();
      }

      // Assess
      expect(tables).toEqual(['persisted']);
      expect(readdirSync(join(dir, 'db')).length).toBeGreaterThan(0);
      await expect(clientFor(second.endpoint, 'k', 'us-east-1').send(new ListTablesCommand({}))).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Two JVM starts: 6 s on a quiet machine, 12 s seen under load; like the other tests that start
    // DynamoDB Local, it gets room beyond the default 30 s so a slow CI machine does not fail it.
  }, 90_000);
});
