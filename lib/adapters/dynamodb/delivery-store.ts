// DeliveryStore on the single table: one item per (source, delivery id), kept for the replay window
// by TTL; since DynamoDB's TTL sweep is lazy, an expired item counts as absent on every read.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, type DeliveryStore } from '../../domain/ports.js';
import { type DeliveryRecord } from '../../domain/records.js';
import { ITEM_TYPE, deliveryRecordSchema, keys, parseItem } from './items.js';
import { getItem, ifCondition, type Item } from './ops.js';
import { TABLE } from './table.js';

export function makeDynamoDeliveryStore(doc: DynamoDBDocumentClient, tableName: string): DeliveryStore {
  const deliveryItem = (record: DeliveryRecord, ttlSeconds: number): Item => {
    const expiresAtEpoch = Math.floor(Date.parse(record.at) / 1000) + ttlSeconds;
    return {
      ...record,
      ...keys.delivery(record.source, record.deliveryId),
      type: ITEM_TYPE.delivery,
      expiresAtEpoch,
      [TABLE.ttlAttribute]: expiresAtEpoch,
    };
  };

  const getDelivery = async (source: string, deliveryId: string, now: Date): Promise<DeliveryRecord | null> => {
    const item = await getItem(doc, tableName, keys.delivery(source, deliveryId));
    if (item === undefined) return null;
    const { expiresAtEpoch, ...record } = parseItem(deliveryRecordSchema, item);
    return expiresAtEpoch * 1000 <= now.getTime() ? null : record;
  };

  return {
    async rememberDelivery(record, ttlSeconds) {
      await doc.send(new PutCommand({ TableName: tableName, Item: deliveryItem(record, ttlSeconds) }));
    },

    getDelivery,

    async claimDelivery(record, ttlSeconds, now) {
      // An expired record counts as absent; a lost race re-reads the winner.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const claimed = await ifCondition(() =>
          doc.send(
            new PutCommand({
              TableName: tableName,
              Item: deliveryItem(record, ttlSeconds),
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAtEpoch <= :now',
              ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
            }),
          ),
        );
        if (claimed) return null;
        const existing = await getDelivery(record.source, record.deliveryId, now);
        if (existing !== null) return existing;
      }
      throw new ConcurrentUpdateError(`delivery ${record.source}/${record.deliveryId}: claimed and expired repeatedly`);
    },
  };
}
