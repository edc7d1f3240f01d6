// HoldStore on the single table: one held change per plane, in the plane's partition (sk HOLD), so
// the recompute's plane snapshot reads it with the targets. Writes are conditional on the plane
// version, so a recompute that read an older plane never replaces a newer hold.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  PutCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { HeldChange, HoldStore } from '../../domain/ports.js';
import { heldChangeSchema, ITEM_TYPE, keys, parseItem } from './items.js';

const MAX_BATCH_GET = 100;

export function makeDynamoHoldStore(doc: DynamoDBDocumentClient, tableName: string): HoldStore {
  return {
    async putHold(hold) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...hold, ...keys.heldChange(hold.dataPlane), type: ITEM_TYPE.heldChange },
            ConditionExpression: 'attribute_not_exists(pk) OR planeVersion <= :v',
            ExpressionAttributeValues: { ':v': hold.planeVersion },
          }),
        );
      } catch (error: unknown) {
        // A newer recompute stored its own view of the plane: that one stands.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async deleteHold(dataPlane, planeVersion) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.heldChange(dataPlane),
            ...(planeVersion === undefined
              ? {}
              : { ConditionExpression: 'planeVersion <= :v', ExpressionAttributeValues: { ':v': planeVersion } }),
          }),
        );
      } catch (error: unknown) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async getHolds(dataPlanes) {
      const holds: HeldChange[] = [];
      const planes = [...new Set(dataPlanes)];
      for (let start = 0; start < planes.length; start += MAX_BATCH_GET) {
        let pending: Record<string, unknown>[] | undefined = planes
          .slice(start, start + MAX_BATCH_GET)
          .map((plane) => keys.heldChange(plane));
        while (pending !== undefined && pending.length > 0) {
          const result: BatchGetCommandOutput = await doc.send(
            new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of result.Responses?.[tableName] ?? []) holds.push(parseItem(heldChangeSchema, item));
          pending = result.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return holds.sort((a, b) => (a.dataPlane < b.dataPlane ? -1 : 1));
    },
  };
}
