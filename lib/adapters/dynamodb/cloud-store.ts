// CloudStore on the single table: per GCP or Azure plane, one inventory item per resource
// grantplane bound something on (sk RESOURCE#<hash of the resource>) and the plane's last apply
// (sk STATE), in the plane's own `#CLOUD` partition. Only the applier writes them, under the
// plane's global lease, so the writes need no condition.
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../../domain/compile/hash.js';
import type { CloudStore } from '../../domain/ports.js';
import { cloudInventorySchema, cloudStateSchema, ITEM_TYPE, keys, parseItem } from './items.js';
import { getItem, queryPartition } from './ops.js';

const resourceHash = (resource: string): string => sha256Hex(resource).slice(0, 32);

export function makeDynamoCloudStore(doc: DynamoDBDocumentClient, tableName: string): CloudStore {
  return {
    async listInventory(dataPlane) {
      const items = await queryPartition(doc, tableName, keys.cloudInventoryPk(dataPlane), 'RESOURCE#');
      return items
        .map((item) => parseItem(cloudInventorySchema, item))
        .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
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
      const item = await getItem(doc, tableName, keys.cloudState(dataPlane));
      return item === undefined ? null : parseItem(cloudStateSchema, item);
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
