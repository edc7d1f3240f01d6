// AttributeStore on the single table: a pair's imported attributes in its plane's partition (an
// import bumps the pair's unit: its uctl file carries them), and the uctl updates made from them,
// listed by status and newest per pair; acknowledging is conditional on the update being pending.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, type AttributeStore } from '../../domain/ports.js';
import { targetKey, unitOf, type AttributeUpdate } from '../../domain/records.js';
import {
  attributeRecordSchema,
  attributeUpdateItem,
  attributeUpdateSchema,
  attributesItem,
  auditItem,
  keys,
  parseItem,
} from './items.js';
import { conditional, getItem, putItem, queryPartition, transact, type Item } from './ops.js';
import { queryPage } from './pages.js';
import { bumpUnit } from './units.js';

export function makeDynamoAttributeStore(doc: DynamoDBDocumentClient, tableName: string): AttributeStore {
  const parseUpdate = (item: Item): AttributeUpdate => parseItem(attributeUpdateSchema, item);

  const getAttributeUpdate = async (id: string): Promise<AttributeUpdate | null> => {
    const item = await getItem(doc, tableName, keys.attributeUpdate(id));
    return item === undefined ? null : parseUpdate(item);
  };

  return {
    async getAttributes(dataPlane, project, domain) {
      const item = await getItem(doc, tableName, keys.attributes(dataPlane, project, domain));
      return item === undefined ? null : parseItem(attributeRecordSchema, item);
    },

    async listAttributes(dataPlane) {
      return (await queryPartition(doc, tableName, keys.planePk(dataPlane), 'ATTR#')).map((item) =>
        parseItem(attributeRecordSchema, item),
      );
    },

    async putAttributes(record, audit) {
      const scope = { type: 'project-domain', project: record.project, domain: record.domain } as const;
      await transact(doc, `attributes of ${record.dataPlane}/${record.project}/${record.domain}`, [
        putItem(tableName, attributesItem(record)),
        putItem(tableName, auditItem(audit)),
        // The pair's uctl file carries them (C5): its unit is recomputed.
        // Its desired grants stay as they are, and so do the unit item's copies of them.
        ...bumpUnit(tableName, record.dataPlane, unitOf(scope), targetKey(record.dataPlane, scope), { exact: true }),
      ]);
    },

    async createAttributeUpdate(update) {
      await conditional(`attribute update ${update.id}`, () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: attributeUpdateItem(update),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    getAttributeUpdate,

    async latestAttributeUpdate(dataPlane, project, domain) {
      const result = await queryPage(
        doc,
        tableName,
        { index: 'gsi1', pk: `AU#PAIR#${dataPlane}#${project}#${domain}` },
        { limit: 1 },
        parseUpdate,
      );
      return result.items[0] ?? null;
    },

    listAttributeUpdates(status, page) {
      return queryPage(
        doc,
        tableName,
        status === undefined ? { index: 'gsi4', pk: 'AU' } : { index: 'gsi2', pk: `AU#STATUS#${status}` },
        page,
        parseUpdate,
      );
    },

    async acknowledgeAttributeUpdate(id, actor, at, audit) {
      const current = await getAttributeUpdate(id);
      if (current === null) throw new ConcurrentUpdateError(`attribute update ${id} does not exist`);
      const next: AttributeUpdate = { ...current, status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: actor };
      await transact(doc, `attribute update ${id}`, [
        {
          Put: {
            TableName: tableName,
            Item: attributeUpdateItem(next),
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending' },
          },
        },
        putItem(tableName, auditItem(audit)),
      ]);
      return next;
    },
  };
}
