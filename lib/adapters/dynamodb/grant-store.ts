// GrantStore on the single table (table.ts, items.ts): a grant, its audit event, its ticket link and
// its planning-unit membership land in one transaction; updates are conditional on the version.
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.js';
import type { GrantStore } from '../../domain/ports.js';
import type { GrantFilter, GrantRecord } from '../../domain/records.js';
import { ITEM_TYPE, auditItem, grantItem, grantRecordSchema, keys, parseItem, ticketPk } from './items.js';
import { batchGet, getItem, putItem, transact, versionCheck, type Item, type TransactItem } from './ops.js';
import { queryAllPages, queryPage } from './pages.js';
import type { IndexName } from './table.js';
import { membership } from './units.js';

export function makeDynamoGrantStore(doc: DynamoDBDocumentClient, tableName: string): GrantStore {
  const parseGrant = (item: Item): GrantRecord => parseItem(grantRecordSchema, item);

  const getGrant = async (id: string): Promise<GrantRecord | null> => {
    const item = await getItem(doc, tableName, keys.grant(id));
    return item === undefined ? null : parseGrant(item);
  };

  return {
    async createGrant(grant, audit, options) {
      const items: TransactItem[] = [
        putItem(tableName, grantItem(grant), 'attribute_not_exists(pk)'),
        putItem(tableName, auditItem(audit)),
      ];
      if (grant.ticket !== undefined) {
        items.push(
          putItem(tableName, {
            ...keys.ticketLink(grant.source, grant.ticket.system, grant.ticket.key, grant.createdAt, grant.id),
            type: ITEM_TYPE.ticketLink,
            grantId: grant.id,
          }),
        );
      }
      items.push(...membership(tableName, grant, null, options?.inlineRoom));
      for (const { unit, version } of options?.unitVersions ?? [])
        items.push(versionCheck(tableName, keys.unit(grant.dataPlane, unit), 'version', version));
      await transact(doc, `grant ${grant.id}`, items);
    },

    getGrant,

    async findGrantByTicket(source, system, key) {
      const result = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': ticketPk(source, system, key) },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const link = result.Items?.[0];
      const grantId = link === undefined ? undefined : z.object({ grantId: z.string() }).parse(link).grantId;
      return grantId === undefined ? null : getGrant(grantId);
    },

    listGrants(filter: GrantFilter, page) {
      const equals: Record<string, string> = {};
      let query: { index: IndexName; pk: string; skPrefix?: string };
      if (filter.project !== undefined) {
        query = {
          index: 'gsi1',
          pk: `GRANT#PROJECT#${filter.project}`,
          ...(filter.domain === undefined ? {} : { skPrefix: `${filter.domain}#` }),
        };
        if (filter.status !== undefined) equals.status = filter.status;
        if (filter.source !== undefined) equals.source = filter.source;
      } else if (filter.status !== undefined) {
        query = { index: 'gsi2', pk: `GRANT#STATUS#${filter.status}` };
        if (filter.source !== undefined) equals.source = filter.source;
      } else if (filter.source !== undefined) {
        query = { index: 'gsi3', pk: `GRANT#SOURCE#${filter.source}` };
      } else {
        query = { index: 'gsi4', pk: 'GRANT' };
      }
      // A domain without a project cannot be a key prefix: filter on the scope's domain.
      if (filter.project === undefined && filter.domain !== undefined) equals['scope.domain'] = filter.domain;
      return queryPage(doc, tableName, { ...query, filter: { equals } }, page, parseGrant);
    },

    async listGrantsByStatus(dataPlane, statuses) {
      const grants: GrantRecord[] = [];
      for (const status of statuses) {
        grants.push(
          ...(await queryAllPages(
            doc,
            tableName,
            { index: 'gsi2', pk: `GRANT#STATUS#${status}`, filter: { equals: { dataPlane } } },
            parseGrant,
          )),
        );
      }
      return grants;
    },

    async updateGrant(next, audit, options) {
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tableName,
            Item: grantItem(next),
            ConditionExpression: 'attribute_exists(pk) AND version = :expected',
            ExpressionAttributeValues: { ':expected': next.version - 1 },
          },
        },
        putItem(tableName, auditItem(audit)),
      ];
      items.push(...membership(tableName, next, options?.previousStatus, options?.inlineRoom));
      await transact(doc, `grant ${next.id}`, items);
    },

    async getGrants(ids) {
      return (
        await batchGet(
          doc,
          tableName,
          [...new Set(ids)].map((id) => keys.grant(id)),
        )
      ).map(parseGrant);
    },
  };
}
