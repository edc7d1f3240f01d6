// SourceStore on the single table: one item per git source, holding the last commit it synced.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SourceStore } from '../../domain/ports.js';
import { ITEM_TYPE, keys, parseItem, sourceRecordSchema } from './items.js';
import { getItem } from './ops.js';

export function makeDynamoSourceStore(doc: DynamoDBDocumentClient, tableName: string): SourceStore {
  return {
    async getSource(name) {
      const item = await getItem(doc, tableName, keys.source(name));
      return item === undefined ? null : parseItem(sourceRecordSchema, item);
    },

    async putSource(record) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...record, ...keys.source(record.name), type: ITEM_TYPE.source },
        }),
      );
    },
  };
}
