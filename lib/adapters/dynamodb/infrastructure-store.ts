// InfrastructureUpdateStore on the single table: one item per (plane, repository) in the plane's
// partition (sk INFRA#<repository hash>), holding the latest update; writes are conditional on the
// content they replace, and land in one transaction with their audit event.
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, type InfrastructureUpdateStore } from '../../domain/ports.js';
import { type AuditEvent, type InfrastructureUpdate } from '../../domain/records.js';
import { conditional, queryPartition } from './ops.js';
import { auditItem, infrastructureUpdateSchema, ITEM_TYPE, keys, parseItem } from './items.js';

/** The repository hash of an update id (`<plane>:<repository hash>:<content hash>`). */
const repositoryHashOf = (id: string): string => id.split(':')[1] ?? '';

export function makeDynamoInfrastructureStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
): InfrastructureUpdateStore {
  const itemOf = (update: InfrastructureUpdate) => ({
    ...update,
    ...keys.infrastructureUpdate(update.dataPlane, repositoryHashOf(update.id)),
    type: ITEM_TYPE.infrastructureUpdate,
  });
  /** The update and its audit event in one transaction, the update's write under `condition`. */
  const putWithAudit = (
    update: InfrastructureUpdate,
    audit: AuditEvent,
    condition: {
      ConditionExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    },
  ) =>
    conditional(`infrastructure update ${update.id}`, () =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: itemOf(update), ...condition } },
            { Put: { TableName: tableName, Item: auditItem(audit) } },
          ],
        }),
      ),
    );
  return {
    async listInfrastructureUpdates(dataPlanes) {
      const updates = [];
      for (const dataPlane of [...new Set(dataPlanes)].sort())
        for (const item of await queryPartition(doc, tableName, keys.planePk(dataPlane), 'INFRA#'))
          updates.push(parseItem(infrastructureUpdateSchema, item));
      return updates;
    },

    async getInfrastructureUpdate(dataPlane, repositoryHash) {
      const result = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.infrastructureUpdate(dataPlane, repositoryHash),
          ConsistentRead: true,
        }),
      );
      return result.Item === undefined ? null : parseItem(infrastructureUpdateSchema, result.Item);
    },

    async putInfrastructureUpdate(update, expectedContentHash, audit) {
      await putWithAudit(
        update,
        audit,
        expectedContentHash === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'contentHash = :expected',
              ExpressionAttributeValues: { ':expected': expectedContentHash },
            },
      );
    },

    async acknowledgeInfrastructureUpdate(update, audit) {
      if (update.status !== 'acknowledged')
        throw new ConcurrentUpdateError(`infrastructure update ${update.id}: acknowledge it with status acknowledged`);
      await putWithAudit(update, audit, {
        ConditionExpression: 'contentHash = :hash AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':hash': update.contentHash, ':pending': 'pending' },
      });
    },
  };
}
