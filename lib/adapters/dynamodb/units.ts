// The writes that keep a plane's planning units in step with their desired input (docs/data-model.md):
// a grant's member copy, and the unit's and plane's versions, bumped whenever a change enters or
// leaves the desired set (or a pair's imported attributes change), in the same transaction.
import { isDesiredStatus, MEMBER_STATUSES, unitOf, type GrantRecord, type GrantStatus } from '../../domain/records.js';
import { ITEM_TYPE, keys, memberItem } from './items.js';
import { putItem, type TransactItem } from './ops.js';

/** Bumps a unit's and its plane's versions: their desired input changed (a recompute is due). */
export const bumpUnit = (tableName: string, dataPlane: string, unit: string, targetKey: string): TransactItem[] => [
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
export const membership = (
  tableName: string,
  grant: GrantRecord,
  previous: GrantStatus | null | undefined,
): TransactItem[] => {
  const unit = unitOf(grant.scope);
  const items: TransactItem[] = [];
  if (MEMBER_STATUSES.includes(grant.status)) items.push(putItem(tableName, memberItem(grant, unit)));
  else if (previous !== null && (previous === undefined || MEMBER_STATUSES.includes(previous)))
    items.push({ Delete: { TableName: tableName, Key: keys.member(grant.dataPlane, unit, grant.id) } });
  const now = isDesiredStatus(grant.status);
  // previous: null = new grant; undefined = unknown, so always bump (safe, maybe redundant).
  if (previous === undefined || (previous !== null && isDesiredStatus(previous)) !== now || (previous === null && now))
    items.push(...bumpUnit(tableName, grant.dataPlane, unit, grant.targetKey));
  return items;
};
