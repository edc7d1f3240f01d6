// GrantStore on the single DynamoDB table (table.ts, items.ts): transactions for every write that
// must land together, conditional writes on versions, index queries (never Scan) with opaque cursors.
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { BadRequestError } from '../../domain/errors.js';
import {
  ConcurrentUpdateError,
  isDesiredStatus,
  MEMBER_STATUSES,
  targetKey,
  unitOf,
  type AttributeRecord,
  type AttributeUpdate,
  type AuditEvent,
  type DeliveryRecord,
  type DriftReportRecord,
  type GrantFilter,
  type GrantRecord,
  type GrantStatus,
  type GrantStore,
  type Page,
  type PageRequest,
  type PolicyTagsRecord,
  type SourceRecord,
  type TargetRecord,
} from '../../domain/ports.js';
import {
  ITEM_TYPE,
  attributeRecordSchema,
  attributeUpdateItem,
  attributeUpdateSchema,
  attributesItem,
  auditEventSchema,
  auditItem,
  deliveryRecordSchema,
  driftReportSchema,
  grantItem,
  grantRecordSchema,
  keys,
  memberItem,
  parseItem,
  sourceRecordSchema,
  targetItem,
  targetRecordSchema,
  ticketPk,
} from './items.js';
import {
  batchGet,
  conditional,
  queryPartition,
  transact as transactItems,
  type Item,
  type TransactItem,
} from './ops.js';
import { TABLE, type IndexName } from './table.js';

const policyTagsSchema = z.object({
  dataPlane: z.string(),
  policies: z.record(
    z.string(),
    z.object({ versionId: z.string(), tags: z.record(z.string(), z.string()), readAt: z.number() }),
  ),
  updatedAt: z.string(),
}) satisfies z.ZodType<PolicyTagsRecord>;

// ─── Cursors ─────────────────────────────────────────────────────────────────

const cursorSchema = z.object({ i: z.string(), k: z.record(z.string(), z.string().min(1).max(1024)) });

const encodeCursor = (index: string, key: Item): string =>
  Buffer.from(JSON.stringify({ i: index, k: key })).toString('base64url');

/** The key attributes an index query's start key holds: the table's and the index's. */
const keyNames = (index: IndexName): string[] => ['pk', 'sk', `${index}pk`, `${index}sk`];

/**
 * The start key a cursor stands for, checked to be one this listing could have returned: the same
 * listing, exactly the key attributes of its index, its partition, its sort-key prefix. A forged or
 * edited cursor is a 400, never a key DynamoDB refuses (a 500).
 */
const decodeCursor = (
  cursor: string,
  listing: string,
  query: { index: IndexName; pk: string; skPrefix?: string },
): Item => {
  const refuse = (): never => {
    throw new BadRequestError([
      {
        path: 'cursor',
        code: 'cursor.invalid',
        message: 'The cursor is not one this listing returned: start again without it',
      },
    ]);
  };
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    return refuse();
  }
  const names = keyNames(query.index);
  const key = parsed.k;
  if (parsed.i !== listing) return refuse();
  if (Object.keys(key).length !== names.length || !names.every((name) => Object.hasOwn(key, name))) return refuse();
  if (key[`${query.index}pk`] !== query.pk) return refuse();
  if (query.skPrefix !== undefined && !(key[`${query.index}sk`] ?? '').startsWith(query.skPrefix)) return refuse();
  return key;
};

/** The start key that resumes a listing right after `item`. */
const keyOfItem = (item: Item, index: IndexName): Item =>
  Object.fromEntries(keyNames(index).map((name) => [name, item[name]]));

/**
 * How many items one page may read when a filter leaves few matches: a page costs at most this
 * much, whatever the table's size, and may then hold fewer items than `limit` (follow nextCursor).
 */
const MAX_EVALUATED_PER_PAGE = 100;

interface Filter {
  /** attribute name (or dotted document path) → required value */
  equals: Record<string, string>;
}

/**
 * Pages an index query newest first, applying `filter` after the key condition. Without a filter a
 * page is one read of `limit` items. With one, each round reads up to the page's remaining budget
 * (MAX_EVALUATED_PER_PAGE items in all) and keeps the matches; the page ends when it is full — the
 * cursor then resumes right after its last item — or when the budget is spent, with fewer items
 * and a cursor that resumes after the last item read. A page never costs more than the budget.
 */
const queryPage = async <T>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: { index: IndexName; pk: string; skPrefix?: string; filter?: Filter; forward?: boolean },
  page: PageRequest,
  parse: (item: Item) => T,
): Promise<Page<T>> => {
  const pkName = `${query.index}pk`;
  const skName = `${query.index}sk`;
  const names: Record<string, string> = { '#pk': pkName };
  const values: Record<string, unknown> = { ':pk': query.pk };
  let keyCondition = '#pk = :pk';
  if (query.skPrefix !== undefined) {
    names['#sk'] = skName;
    values[':sk'] = query.skPrefix;
    keyCondition += ' AND begins_with(#sk, :sk)';
  }
  const filterParts: string[] = [];
  for (const [i, [attribute, value]] of Object.entries(query.filter?.equals ?? {}).entries()) {
    // `a.b` is a document path: one name placeholder per segment.
    const path = attribute.split('.').map((segment, j) => {
      names[`#f${i}_${j}`] = segment;
      return `#f${i}_${j}`;
    });
    values[`:f${i}`] = value;
    filterParts.push(`${path.join('.')} = :f${i}`);
  }
  const filtered = filterParts.length > 0;
  const listing = `${query.index}:${query.pk}:${query.skPrefix ?? ''}`;
  let startKey: Item | undefined = page.cursor === undefined ? undefined : decodeCursor(page.cursor, listing, query);
  const items: T[] = [];
  let evaluated = 0;
  for (;;) {
    const missing = page.limit - items.length;
    const input: QueryCommandInput = {
      TableName: tableName,
      IndexName: query.index,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: query.forward ?? false,
      Limit: filtered ? MAX_EVALUATED_PER_PAGE - evaluated : missing,
      ...(filtered ? { FilterExpression: filterParts.join(' AND ') } : {}),
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    };
    const result = await doc.send(new QueryCommand(input));
    evaluated += result.ScannedCount ?? result.Items?.length ?? 0;
    const found = result.Items ?? [];
    for (const [position, item] of found.entries()) {
      items.push(parse(item));
      // Full with matches left over in this round: resume right after the last one kept.
      if (items.length >= page.limit && position < found.length - 1)
        return { items, nextCursor: encodeCursor(listing, keyOfItem(item, query.index)) };
    }
    startKey = result.LastEvaluatedKey;
    if (startKey === undefined) return { items };
    if (items.length >= page.limit || evaluated >= MAX_EVALUATED_PER_PAGE)
      return { items, nextCursor: encodeCursor(listing, startKey) };
  }
};

/** Creates the GrantStore for one table. */
export const makeDynamoGrantStore = (doc: DynamoDBDocumentClient, tableName: string): GrantStore => {
  const get = async (key: { pk: string; sk: string }, consistent = true): Promise<Item | undefined> =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistent }))).Item;

  const put = (item: Item, condition?: string): TransactItem => ({
    Put: { TableName: tableName, Item: item, ...(condition === undefined ? {} : { ConditionExpression: condition }) },
  });

  const transact = (what: string, items: TransactItem[]) => transactItems(doc, what, items);

  /** Bumps a unit's and its plane's versions: their desired input changed (a recompute is due). */
  const bumpUnit = (dataPlane: string, unit: string, targetKey: string): TransactItem[] => [
    {
      Update: {
        TableName: tableName,
        Key: keys.unit(dataPlane, unit),
        UpdateExpression: 'SET #type = :type, dataPlane = :plane, #unit = :unit ADD version :one, targetKeys :tk',
        ExpressionAttributeNames: { '#type': 'type', '#unit': 'unit' },
        ExpressionAttributeValues: {
          ':type': ITEM_TYPE.unit,
          ':plane': dataPlane,
          ':unit': unit,
          ':one': 1,
          ':tk': new Set([targetKey]),
        },
      },
    },
    {
      Update: {
        TableName: tableName,
        Key: keys.planeState(dataPlane),
        UpdateExpression: 'SET #type = :type, dataPlane = :plane ADD planeVersion :one',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': ITEM_TYPE.plane, ':plane': dataPlane, ':one': 1 },
      },
    },
  ];

  /**
   * Keeps the grant's planning unit in step: its member copy while it is desired or `revoking`, and
   * the unit's and plane's versions when it enters or leaves the desired set.
   */
  const membership = (grant: GrantRecord, previous: GrantStatus | null | undefined): TransactItem[] => {
    const unit = unitOf(grant.scope);
    const items: TransactItem[] = [];
    if (MEMBER_STATUSES.includes(grant.status)) items.push(put(memberItem(grant, unit)));
    else if (previous !== null && (previous === undefined || MEMBER_STATUSES.includes(previous)))
      items.push({ Delete: { TableName: tableName, Key: keys.member(grant.dataPlane, unit, grant.id) } });
    const now = isDesiredStatus(grant.status);
    // previous: null = new grant; undefined = unknown, so always bump (safe, maybe redundant).
    if (
      previous === undefined ||
      (previous !== null && isDesiredStatus(previous)) !== now ||
      (previous === null && now)
    )
      items.push(...bumpUnit(grant.dataPlane, unit, grant.targetKey));
    return items;
  };

  const parseGrant = (item: Item) => parseItem(grantRecordSchema, item);
  const parseAudit = (item: Item) => parseItem(auditEventSchema, item);
  const parseUpdate = (item: Item) => parseItem(attributeUpdateSchema, item);
  const parseTarget = (item: Item) => parseItem(targetRecordSchema, item);

  const store: GrantStore = {
    async createGrant(grant, audit) {
      const items: TransactItem[] = [put(grantItem(grant), 'attribute_not_exists(pk)'), put(auditItem(audit))];
      if (grant.ticket !== undefined) {
        items.push(
          put({
            ...keys.ticketLink(grant.source, grant.ticket.system, grant.ticket.key, grant.createdAt, grant.id),
            type: ITEM_TYPE.ticketLink,
            grantId: grant.id,
          }),
        );
      }
      items.push(...membership(grant, null));
      await transact(`grant ${grant.id}`, items);
    },

    async getGrant(id) {
      const item = await get(keys.grant(id));
      return item === undefined ? null : parseGrant(item);
    },

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
      return grantId === undefined ? null : store.getGrant(grantId);
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
        let cursor: string | undefined;
        do {
          const result: Page<GrantRecord> = await queryPage(
            doc,
            tableName,
            { index: 'gsi2', pk: `GRANT#STATUS#${status}`, filter: { equals: { dataPlane } } },
            { limit: 100, ...(cursor === undefined ? {} : { cursor }) },
            parseGrant,
          );
          grants.push(...result.items);
          cursor = result.nextCursor;
        } while (cursor !== undefined);
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
        put(auditItem(audit)),
      ];
      items.push(...membership(next, options?.previousStatus));
      await transact(`grant ${next.id}`, items);
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

    async getTarget(targetKey) {
      const item = await get(keys.target(targetKey));
      return item === undefined ? null : parseTarget(item);
    },

    async listTargets(dataPlane) {
      if (dataPlane !== undefined) {
        return (await queryPartition(doc, tableName, keys.planePk(dataPlane), 'TARGET#')).map(parseTarget);
      }
      const targets: TargetRecord[] = [];
      let cursor: string | undefined;
      do {
        const result: Page<TargetRecord> = await queryPage(
          doc,
          tableName,
          { index: 'gsi4', pk: 'TARGET', forward: true },
          { limit: 100, ...(cursor === undefined ? {} : { cursor }) },
          parseTarget,
        );
        targets.push(...result.items);
        cursor = result.nextCursor;
      } while (cursor !== undefined);
      return targets;
    },

    async pageTargets(dataPlane, page) {
      // Key-ordered both ways: the plane partition by sort key, every plane by gsi4 (sorted by key).
      const start = page.after === undefined ? undefined : keys.target(page.after);
      const result = await doc.send(
        new QueryCommand(
          dataPlane === undefined
            ? {
                TableName: tableName,
                IndexName: 'gsi4',
                KeyConditionExpression: 'gsi4pk = :pk',
                ExpressionAttributeValues: { ':pk': 'TARGET' },
                Limit: page.limit + 1,
                ...(start === undefined
                  ? {}
                  : { ExclusiveStartKey: { ...start, gsi4pk: 'TARGET', gsi4sk: page.after } }),
              }
            : {
                TableName: tableName,
                KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
                ExpressionAttributeValues: { ':pk': keys.planePk(dataPlane), ':prefix': 'TARGET#' },
                Limit: page.limit + 1,
                ...(start === undefined ? {} : { ExclusiveStartKey: start }),
              },
        ),
      );
      const items = (result.Items ?? []).map(parseTarget);
      return { items: items.slice(0, page.limit), more: items.length > page.limit };
    },

    async putTarget(target, expectedDesiredVersion) {
      await conditional(`target ${target.targetKey}`, () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: targetItem(target),
            ConditionExpression:
              expectedDesiredVersion === 0 ? 'attribute_not_exists(pk)' : 'desiredVersion = :expected',
            ...(expectedDesiredVersion === 0
              ? {}
              : { ExpressionAttributeValues: { ':expected': expectedDesiredVersion } }),
          }),
        ),
      );
    },

    async getAttributes(dataPlane, project, domain) {
      const item = await get(keys.attributes(dataPlane, project, domain));
      return item === undefined ? null : parseItem(attributeRecordSchema, item);
    },

    async listAttributes(dataPlane) {
      return (await queryPartition(doc, tableName, keys.planePk(dataPlane), 'ATTR#')).map((item) =>
        parseItem(attributeRecordSchema, item),
      );
    },

    async putAttributes(record: AttributeRecord, audit) {
      await transact(`attributes of ${record.dataPlane}/${record.project}/${record.domain}`, [
        put(attributesItem(record)),
        put(auditItem(audit)),
        // The pair's uctl file carries them (C5): its unit is recomputed.
        ...bumpUnit(
          record.dataPlane,
          unitOf({ type: 'project-domain', project: record.project, domain: record.domain }),
          targetKey(record.dataPlane, { type: 'project-domain', project: record.project, domain: record.domain }),
        ),
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

    async getAttributeUpdate(id) {
      const item = await get(keys.attributeUpdate(id));
      return item === undefined ? null : parseUpdate(item);
    },

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
      const current = await store.getAttributeUpdate(id);
      if (current === null) throw new ConcurrentUpdateError(`attribute update ${id} does not exist`);
      const next: AttributeUpdate = { ...current, status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: actor };
      await transact(`attribute update ${id}`, [
        {
          Put: {
            TableName: tableName,
            Item: attributeUpdateItem(next),
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending' },
          },
        },
        put(auditItem(audit)),
      ]);
      return next;
    },

    async acquireTargetLease(targetKey, owner, now, ttlMs) {
      try {
        await doc.send(
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
        );
        return true;
      } catch (error: unknown) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async releaseTargetLease(targetKey, owner) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.lease(targetKey),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        );
      } catch (error: unknown) {
        // Expired and taken over by another owner meanwhile: theirs now, leave it.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async appendAudit(event: AuditEvent) {
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

    async rememberDelivery(record: DeliveryRecord, ttlSeconds) {
      const expiresAtEpoch = Math.floor(Date.parse(record.at) / 1000) + ttlSeconds;
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...record,
            ...keys.delivery(record.source, record.deliveryId),
            type: ITEM_TYPE.delivery,
            expiresAtEpoch,
            [TABLE.ttlAttribute]: expiresAtEpoch,
          },
        }),
      );
    },

    async getDelivery(source, deliveryId, now) {
      const item = await get(keys.delivery(source, deliveryId));
      if (item === undefined) return null;
      const { expiresAtEpoch, ...record } = parseItem(deliveryRecordSchema, item);
      // DynamoDB's TTL sweep is lazy (up to days): an expired record is treated as gone.
      return expiresAtEpoch * 1000 <= now.getTime() ? null : record;
    },

    async claimDelivery(record: DeliveryRecord, ttlSeconds, now) {
      const expiresAtEpoch = Math.floor(Date.parse(record.at) / 1000) + ttlSeconds;
      // An expired record counts as absent (the TTL sweep is lazy); a lost race re-reads the winner.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        try {
          await doc.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...record,
                ...keys.delivery(record.source, record.deliveryId),
                type: ITEM_TYPE.delivery,
                expiresAtEpoch,
                [TABLE.ttlAttribute]: expiresAtEpoch,
              },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAtEpoch <= :now',
              ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
            }),
          );
          return null;
        } catch (error: unknown) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
        const existing = await store.getDelivery(record.source, record.deliveryId, now);
        if (existing !== null) return existing;
      }
      throw new ConcurrentUpdateError(`delivery ${record.source}/${record.deliveryId}: claimed and expired repeatedly`);
    },

    async putDriftReport(report: DriftReportRecord, ttlSeconds) {
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

    // The drift run's policy tags: one item per plane, gzipped JSON (thousands of policies'
    // tags compress far below DynamoDB's 400 KB item limit).
    async getPolicyTags(dataPlane) {
      const item = await get({ pk: `DRIFTCACHE#${dataPlane}`, sk: 'POLICY-TAGS' });
      if (item === undefined) return null;
      const blob = z.instanceof(Uint8Array).parse(item.blob);
      return parseItem(policyTagsSchema, JSON.parse(gunzipSync(blob).toString('utf8')) as Item);
    },

    async putPolicyTags(record) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `DRIFTCACHE#${record.dataPlane}`,
            sk: 'POLICY-TAGS',
            type: 'drift-cache',
            updatedAt: record.updatedAt,
            blob: gzipSync(JSON.stringify(record)),
          },
        }),
      );
    },

    async getSource(name) {
      const item = await get(keys.source(name));
      return item === undefined ? null : parseItem(sourceRecordSchema, item);
    },

    async putSource(record: SourceRecord) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...record, ...keys.source(record.name), type: ITEM_TYPE.source },
        }),
      );
    },
  };

  return store;
};
