// CloudStore on the single table: per GCP or Azure plane, one inventory item per resource
// grantplane bound something on (sk RESOURCE#<hash of the resource>) and the plane's last apply
// (sk STATE), in the plane's own `#CLOUD` partition. Only the applier writes them, under the
// plane's global lease, so the writes need no condition.
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../../domain/compile/hash.js';
import type { CloudStore } from '../../domain/ports.js';
import type { CloudInventoryEntry } from '../../domain/records.js';
import { cloudInventorySchema, cloudStateSchema, ITEM_TYPE, keys, parseItem } from './items.js';

const resourceHash = (resource: string): string => sha256Hex(resource).slice(0, 32);

export function makeDynamoCloudStore(doc: DynamoDBDocumentClient, tableName: string): CloudStore {
  return {
    async listInventory(dataPlane) {
      const entries: CloudInventoryEntry[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
            ExpressionAttributeValues: { ':pk': keys.cloudInventoryPk(dataPlane), ':sk': 'RESOURCE#' },
            ConsistentRead: true,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        for (const item of result.Items ?? []) entries.push(parseItem(cloudInventorySchema, item));
        startKey = result.LastEvaluatedKey;
      } while (startKey !== undefined);
      return entries.sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
    },

    async putInventory(entry) {
      const key = keys.cloudInventory(entry.dataPlane, resourceHash(entry.resource));
      if (entry.owned.length === 0) {
        await doc.send(new DeleteCommand({ TableName: tableName, Key: key }));
        return;
      }
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...entry, owned: [...entry.owned].sort(), ...key, type: ITEM_TYPE.cloudInventory },
        }),
      );
    },

    async getCloudState(dataPlane) {
      const result = await doc.send(
        new GetCommand({ TableName: tableName, Key: keys.cloudState(dataPlane), ConsistentRead: true }),
      );
      return result.Item === undefined ? null : parseItem(cloudStateSchema, result.Item);
    },

    async putCloudState(state) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...state, ...keys.cloudState(state.dataPlane), type: ITEM_TYPE.cloudState },
        }),
      );
    },
  };
}
