// DriftStore on the single table: reports newest first in one partition (kept by TTL), and the
// drift run's policy tags, one gzipped item per plane (thousands of policies' tags compress far
// below DynamoDB's 400 KB item limit).
import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.js';
import type { DriftStore } from '../../domain/ports.js';
import type { PolicyTagsRecord } from '../../domain/records.js';
import { ITEM_TYPE, driftReportSchema, keys, parseItem } from './items.js';
import { getItem, type Item } from './ops.js';
import { TABLE } from './table.js';

const policyTagsSchema = z.object({
  dataPlane: z.string(),
  policies: z.record(
    z.string(),
    z.object({ versionId: z.string(), tags: z.record(z.string(), z.string()), readAt: z.number() }),
  ),
  updatedAt: z.string(),
}) satisfies z.ZodMiniType<PolicyTagsRecord>;

const policyTagsKey = (dataPlane: string) => ({ pk: `DRIFTCACHE#${dataPlane}`, sk: 'POLICY-TAGS' });

export function makeDynamoDriftStore(doc: DynamoDBDocumentClient, tableName: string): DriftStore {
  return {
    async putDriftReport(report, ttlSeconds) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...report,
            pk: keys.driftPk,
            sk: `${report.checkedAt}#${report.id}`,
            type: ITEM_TYPE.drift,
            [TABLE.ttlAttribute]: Math.floor(Date.parse(report.checkedAt) / 1000) + ttlSeconds,
          },
        }),
      );
    },

    async getLatestDriftReport() {
      const result = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.driftPk },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const item = result.Items?.[0];
      return item === undefined ? null : parseItem(driftReportSchema, item);
    },

    async getPolicyTags(dataPlane) {
      const item = await getItem(doc, tableName, policyTagsKey(dataPlane));
      if (item === undefined) return null;
      const blob = z.instanceof(Uint8Array).parse(item.blob);
      return parseItem(policyTagsSchema, JSON.parse(gunzipSync(blob).toString('utf8')) as Item);
    },

    async putPolicyTags(record) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...policyTagsKey(record.dataPlane),
            type: 'drift-cache',
            updatedAt: record.updatedAt,
            blob: gzipSync(JSON.stringify(record)),
          },
        }),
      );
    },
  };
}
