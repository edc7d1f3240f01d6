// TargetStore on the single table: targets live in their plane's partition (`PLANE#<p>`, sk
// `TARGET#<key>`) and in gsi4 (every plane, key-ordered); writes are conditional on desiredVersion.
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TargetStore } from '../../domain/ports.js';
import type { TargetRecord } from '../../domain/records.js';
import { keys, parseItem, targetItem, targetRecordSchema } from './items.js';
import { conditional, getItem, queryPartition, type Item } from './ops.js';
import { queryAllPages } from './pages.js';

export function makeDynamoTargetStore(doc: DynamoDBDocumentClient, tableName: string): TargetStore {
  const parseTarget = (item: Item): TargetRecord => parseItem(targetRecordSchema, item);

  return {
    async getTarget(targetKey) {
      const item = await getItem(doc, tableName, keys.target(targetKey));
      return item === undefined ? null : parseTarget(item);
    },

    async listTargets(dataPlane) {
      if (dataPlane !== undefined) {
        return (await queryPartition(doc, tableName, keys.planePk(dataPlane), 'TARGET#')).map(parseTarget);
      }
      return queryAllPages(doc, tableName, { index: 'gsi4', pk: 'TARGET', forward: true }, parseTarget);
    },

    async pageTargets(dataPlane, page) {
      // Key-ordered both ways: the plane partition by sort key, every plane by gsi4 (sorted by key).
      const start = page.after === undefined ? undefined : keys.target(page.after);
      const result = await doc.send(
        new QueryCommand(
          dataPlane === undefined
            ? {
                TableName: tableName,
                IndexName: 'gsi4',
                KeyConditionExpression: 'gsi4pk = :pk',
                ExpressionAttributeValues: { ':pk': 'TARGET' },
                Limit: page.limit + 1,
                ...(start === undefined
                  ? {}
                  : { ExclusiveStartKey: { ...start, gsi4pk: 'TARGET', gsi4sk: page.after } }),
              }
            : {
                TableName: tableName,
                KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
                ExpressionAttributeValues: { ':pk': keys.planePk(dataPlane), ':prefix': 'TARGET#' },
                Limit: page.limit + 1,
                ...(start === undefined ? {} : { ExclusiveStartKey: start }),
              },
        ),
      );
      const items = (result.Items ?? []).map(parseTarget);
      return { items: items.slice(0, page.limit), more: items.length > page.limit };
    },

    async putTarget(target, expectedDesiredVersion) {
      await conditional(`target ${target.targetKey}`, () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: targetItem(target),
            ConditionExpression:
              expectedDesiredVersion === 0 ? 'attribute_not_exists(pk)' : 'desiredVersion = :expected',
            ...(expectedDesiredVersion === 0
              ? {}
              : { ExpressionAttributeValues: { ':expected': expectedDesiredVersion } }),
          }),
        ),
      );
    },
  };
}
