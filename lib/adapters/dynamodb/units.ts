// The writes that keep a plane's planning units in step with their desired input (docs/data-model.md):
// a grant's member copy, the unit item's inline copy of its desired grants, and the unit's and
// plane's versions, bumped whenever a change enters or leaves the desired set (or a pair's imported
// attributes change), in the same transaction.
import {
  isDesiredStatus,
  MEMBER_STATUSES,
  unitOf,
  type DesiredMember,
  type GrantRecord,
  type GrantStatus,
} from '../../domain/records.js';
import { ITEM_TYPE, inlineBytes, inlineCopy, inlineName, keys, memberItem } from './items.js';
import { putItem, type TransactItem } from './ops.js';

/**
 * How a bump changes the unit item's inline copies (items.ts): `exact` when they stay the desired
 * set (nothing added or removed, or the one grant that enters or leaves), so `inlineVersion` moves
 * with `version`; otherwise only `version` moves and the copies count as incomplete.
 */
export interface InlineChange {
  add?: DesiredMember;
  remove?: DesiredMember;
  exact: boolean;
}

/** Bumps a unit's and its plane's versions: their desired input changed (a recompute is due). */
export const bumpUnit = (
  tableName: string,
  dataPlane: string,
  unit: string,
  targetKey: string,
  inline: InlineChange,
): TransactItem[] => {
  const names: Record<string, string> = { '#type': 'type', '#unit': 'unit' };
  const values: Record<string, unknown> = {
    ':type': ITEM_TYPE.unit,
    ':plane': dataPlane,
    ':unit': unit,
    ':one': 1,
    ':tk': new Set([targetKey]),
  };
  const set = ['#type = :type', 'dataPlane = :plane', '#unit = :unit'];
  const add = ['version :one', 'targetKeys :tk'];
  let remove = '';
  let bytes = 0;
  if (inline.add !== undefined) {
    const copy = inlineCopy(inline.add);
    names['#m'] = inlineName(inline.add.id);
    values[':copy'] = copy;
    set.push('#m = :copy');
    bytes += inlineBytes(inline.add.id, copy);
  } else if (inline.remove !== undefined) {
    names['#m'] = inlineName(inline.remove.id);
    remove = ' REMOVE #m';
    bytes -= inlineBytes(inline.remove.id, inlineCopy(inline.remove));
  }
  if (inline.exact) {
    values[':bytes'] = bytes;
    add.push('inlineVersion :one', 'inlineBytes :bytes');
  }
  return [
    {
      Update: {
        TableName: tableName,
        Key: keys.unit(dataPlane, unit),
        UpdateExpression: `SET ${set.join(', ')}${remove} ADD ${add.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
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
};

/**
 * Keeps the grant's planning unit in step: its member copy while it is desired or `revoking`, and
 * the unit's and plane's versions when it enters or leaves the desired set, with the unit item's
 * inline copy. `inlineRoom` is the room the unit item had for copies when the caller read it (0 or
 * absent: it enters without one, and the unit's copies count as incomplete until the repair pass).
 */
export const membership = (
  tableName: string,
  grant: GrantRecord,
  previous: GrantStatus | null | undefined,
  inlineRoom = 0,
): TransactItem[] => {
  const unit = unitOf(grant.scope);
  const items: TransactItem[] = [];
  if (MEMBER_STATUSES.includes(grant.status)) items.push(putItem(tableName, memberItem(grant, unit)));
  else if (previous !== null && (previous === undefined || MEMBER_STATUSES.includes(previous)))
    items.push({ Delete: { TableName: tableName, Key: keys.member(grant.dataPlane, unit, grant.id) } });
  const now = isDesiredStatus(grant.status);
  // previous: null = new grant; undefined = unknown, so always bump (safe, maybe redundant), and
  // the copies can no longer be vouched for.
  const was = previous === null ? false : previous === undefined ? undefined : isDesiredStatus(previous);
  if (was === now) return items;
  const inline: InlineChange =
    was === undefined
      ? { exact: false, ...(now ? {} : { remove: grant }) }
      : now
        ? inlineRoom >= inlineBytes(grant.id, inlineCopy(grant))
          ? { exact: true, add: grant }
          : { exact: false }
        : { exact: true, remove: grant };
  items.push(...bumpUnit(tableName, grant.dataPlane, unit, grant.targetKey, inline));
  return items;
};
