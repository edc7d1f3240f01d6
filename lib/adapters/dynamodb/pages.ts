// Paged index queries shared by the stores of the single table: newest-first pages with opaque
// cursors that are checked to belong to the listing (a forged cursor is a 400, not a 500), a read
// budget per page when a filter leaves few matches, and "every page" for the callers that need all.
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.js';
import { BadRequestError } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../domain/records.js';
import type { Item } from './ops.js';
import type { IndexName } from './table.js';

// ─── Cursors ─────────────────────────────────────────────────────────────────

const cursorSchema = z.object({
  i: z.string(),
  k: z.record(z.string(), z.string().check(z.minLength(1), z.maxLength(1024))),
});

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

export interface Filter {
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
export const queryPage = async <T>(
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

/** Every page of an index query, in order (for the callers that need the whole listing). */
export const queryAllPages = async <T>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: { index: IndexName; pk: string; skPrefix?: string; filter?: Filter; forward?: boolean },
  parse: (item: Item) => T,
): Promise<T[]> => {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page: Page<T> = await queryPage(doc, tableName, query, { limit: 100, cursor }, parse);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
};
