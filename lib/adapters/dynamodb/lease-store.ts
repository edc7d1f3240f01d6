// LeaseStore on the single table: one lease item per target (`LEASE#<targetKey>`), taken with a
// conditional put (free, expired, or already the owner's) and given back only by its owner.
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LeaseStore } from '../../domain/ports.js';
import { ITEM_TYPE, keys } from './items.js';
import { ifCondition } from './ops.js';
import { TABLE } from './table.js';

export function makeDynamoLeaseStore(doc: DynamoDBDocumentClient, tableName: string): LeaseStore {
  return {
    acquireTargetLease(targetKey, owner, now, ttlMs) {
      return ifCondition(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.lease(targetKey),
              type: ITEM_TYPE.lease,
              owner,
              expiresAtMs: now.getTime() + ttlMs,
              [TABLE.ttlAttribute]: Math.ceil((now.getTime() + ttlMs) / 1000) + 3600,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
          }),
        ),
      );
    },

    async releaseTargetLease(targetKey, owner) {
      // Expired and taken over by another owner meanwhile: theirs now, left alone.
      await ifCondition(() =>
        doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.lease(targetKey),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        ),
      );
    },
  };
}
