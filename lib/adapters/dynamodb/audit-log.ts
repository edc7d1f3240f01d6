// AuditLog on the single table: events are put once and never changed; listings use the index that
// matches the most selective filter (grant, then target, then actor) and filter on the rest.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditLog } from '../../domain/ports.js';
import { auditEventSchema, auditItem, parseItem } from './items.js';
import type { Item } from './ops.js';
import { queryPage } from './pages.js';
import type { IndexName } from './table.js';

export function makeDynamoAuditLog(doc: DynamoDBDocumentClient, tableName: string): AuditLog {
  const parseAudit = (item: Item) => parseItem(auditEventSchema, item);

  return {
    async appendAudit(event) {
      await doc.send(new PutCommand({ TableName: tableName, Item: auditItem(event) }));
    },

    listAudit(filter, page) {
      const equals: Record<string, string> = {};
      let query: { index: IndexName; pk: string };
      if (filter.grantId !== undefined) {
        query = { index: 'gsi1', pk: `AUDIT#GRANT#${filter.grantId}` };
        if (filter.targetKey !== undefined) equals.targetKey = filter.targetKey;
        if (filter.actor !== undefined) equals.actor = filter.actor;
      } else if (filter.targetKey !== undefined) {
        query = { index: 'gsi2', pk: `AUDIT#TARGET#${filter.targetKey}` };
        if (filter.actor !== undefined) equals.actor = filter.actor;
      } else if (filter.actor !== undefined) {
        query = { index: 'gsi3', pk: `AUDIT#ACTOR#${filter.actor}` };
      } else {
        query = { index: 'gsi4', pk: 'AUDIT' };
      }
      return queryPage(doc, tableName, { ...query, filter: { equals } }, page, parseAudit);
    },
  };
}
