// HoldStore on the single table: one held change per plane, in the plane's partition (sk HOLD), so
// the recompute's plane snapshot reads it with the targets. Writes are conditional on the plane
// version, so a recompute that read an older plane never replaces a newer hold.
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HoldStore } from '../../domain/ports.js';
import { heldChangeSchema, ITEM_TYPE, keys, parseItem } from './items.js';
import { batchGet, ifCondition } from './ops.js';

export function makeDynamoHoldStore(doc: DynamoDBDocumentClient, tableName: string): HoldStore {
  return {
    async putHold(hold) {
      // A newer recompute that stored its own view of the plane stands (the condition fails).
      await ifCondition(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...hold, ...keys.heldChange(hold.dataPlane), type: ITEM_TYPE.heldChange },
            ConditionExpression: 'attribute_not_exists(pk) OR planeVersion <= :v',
            ExpressionAttributeValues: { ':v': hold.planeVersion },
          }),
        ),
      );
    },

    async deleteHold(dataPlane, planeVersion) {
      await ifCondition(() =>
        doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.heldChange(dataPlane),
            ...(planeVersion === undefined
              ? {}
              : { ConditionExpression: 'planeVersion <= :v', ExpressionAttributeValues: { ':v': planeVersion } }),
          }),
        ),
      );
    },

    async getHolds(dataPlanes) {
      const items = await batchGet(
        doc,
        tableName,
        [...new Set(dataPlanes)].map((plane) => keys.heldChange(plane)),
      );
      return items
        .map((item) => parseItem(heldChangeSchema, item))
        .sort((a, b) => (a.dataPlane < b.dataPlane ? -1 : 1));
    },
  };
}
