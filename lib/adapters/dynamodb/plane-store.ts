// PlaneStore on the single table (docs/data-model.md): what a recompute plans from and writes.
// A plane keeps its version and its units in its own partition (`PLANE#<p>`: STATE, UNIT#…, TARGET#…,
// ATTR#…, HOLD, INFRA#…) and its unit members in a second one (`PLANE#<p>#MEMBERS`, sorted by unit),
// so one unit is a few key reads and one prefix query, and no item grows with the plane.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type PlaneStore } from '../../domain/ports.js';
import {
  GLOBAL_UNIT,
  globalTargetKey,
  isDesiredStatus,
  unitOf,
  type AttributeRecord,
  type CompiledMark,
  type DesiredMember,
  type DesiredTargetWrite,
  type GrantRecord,
  type PlannedGrant,
  type PlaneSnapshot,
  type TargetRecord,
  type UnitState,
} from '../../domain/records.js';
import {
  ITEM_TYPE,
  attributeRecordSchema,
  grantRecordSchema,
  heldChangeSchema,
  infrastructureUpdateSchema,
  inlineBytes,
  inlineCopy,
  inlineMembersOf,
  inlineName,
  keys,
  MAX_INLINE_BYTES,
  parseItem,
  planeStateSchema,
  targetRecordSchema,
  unitStateSchema,
} from './items.js';
import {
  MAX_TRANSACT_BYTES,
  MAX_TRANSACT_ITEMS,
  batchGet,
  ifCondition,
  versionCheck,
  queryPartition,
  transact,
  type Item,
  type TransactItem,
} from './ops.js';

/** Copies and names one rewrite of a unit item's inline copies may carry. */
const MAX_INLINE_REWRITE = 150;

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A unit never written: no members, so its (no) inline copies are complete. */
const emptyUnit = (dataPlane: string, unit: string): UnitState => ({
  dataPlane,
  unit,
  version: 0,
  compiled: 0,
  targetKeys: [],
  refused: {},
  inline: { complete: true, room: MAX_INLINE_BYTES, members: [] },
});

/** The pair of a pair target key `<plane>#<project>#<domain>`; null for the global target. */
const pairOf = (key: string): { project: string; domain: string } | null => {
  const [, project, domain] = key.split('#');
  return project === undefined || domain === undefined ? null : { project, domain };
};

export function makeDynamoPlaneStore(doc: DynamoDBDocumentClient, tableName: string): PlaneStore {
  const parseUnit = (item: Item): UnitState => ({ ...parseItem(unitStateSchema, item), inline: inlineMembersOf(item) });
  const parseMember = (item: Item) => parseItem(grantRecordSchema, item);

  const getUnits = async (dataPlane: string, units: readonly string[]): Promise<UnitState[]> => {
    const found = new Map(
      (
        await batchGet(
          doc,
          tableName,
          [...new Set(units)].map((unit) => keys.unit(dataPlane, unit)),
        )
      )
        .map(parseUnit)
        .map((state) => [state.unit, state]),
    );
    return units.map((unit) => found.get(unit) ?? emptyUnit(dataPlane, unit));
  };

  const getMembers = async (dataPlane: string, unit: string): Promise<GrantRecord[]> =>
    (await queryPartition(doc, tableName, keys.membersPk(dataPlane), `${unit}#`)).map(parseMember).sort(byId);

  /** What the engine plans from of a stored grant (DesiredMember). */
  const desiredMember = (grant: GrantRecord): DesiredMember => ({
    id: grant.id,
    dataPlane: grant.dataPlane,
    targetKey: grant.targetKey,
    scope: grant.scope,
    resource: grant.resource,
    ...(grant.justification === undefined ? {} : { justification: grant.justification }),
    ...(grant.ticket === undefined ? {} : { ticket: grant.ticket }),
  });

  /**
   * Writes a unit item's inline copies afresh from its desired grants, valid only while the unit's
   * version is the one read; false when they do not fit (the members partition keeps serving it)
   * or the unit moved meanwhile (a later pass tries again).
   */
  const writeInline = async (unit: UnitState, desired: readonly GrantRecord[]): Promise<boolean> => {
    const copies = desired.map((grant) => ({ id: grant.id, copy: inlineCopy(grant) }));
    const bytes = copies.reduce((sum, { id, copy }) => sum + inlineBytes(id, copy), 0);
    const keep = new Set(copies.map(({ id }) => id));
    const stale = (unit.inline?.members ?? []).filter((member) => !keep.has(member.id));
    // One UpdateItem, so its expression stays far below DynamoDB's 4 KB per expression.
    if (bytes > MAX_INLINE_BYTES || copies.length + stale.length > MAX_INLINE_REWRITE) return false;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':v': unit.version, ':bytes': bytes };
    const set = ['inlineVersion = :v', 'inlineBytes = :bytes'];
    copies.forEach(({ id, copy }, index) => {
      names[`#m${index}`] = inlineName(id);
      values[`:m${index}`] = copy;
      set.push(`#m${index} = :m${index}`);
    });
    const remove = stale.map((member, index) => {
      names[`#s${index}`] = inlineName(member.id);
      return `#s${index}`;
    });
    return ifCondition(() =>
      doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.unit(unit.dataPlane, unit.unit),
          UpdateExpression: `SET ${set.join(', ')}${remove.length === 0 ? '' : ` REMOVE ${remove.join(', ')}`}`,
          ConditionExpression: 'version = :v',
          ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
          ExpressionAttributeValues: values,
        }),
      ),
    );
  };

  /** The Update that writes one target's new desired state without touching its applied fields. */
  const desiredTargetUpdate = (dataPlane: string, write: DesiredTargetWrite): TransactItem => ({
    Update: {
      TableName: tableName,
      Key: keys.target(write.targetKey),
      UpdateExpression:
        'SET #type = :type, targetKey = :tk, dataPlane = :plane, #scope = :scope, desired = :desired, desiredVersion = :next, ' +
        '#state = :pending, updatedAt = :at, appliedVersion = if_not_exists(appliedVersion, :zero), gsi4pk = :g4, gsi4sk = :tk',
      ConditionExpression:
        write.expectedDesiredVersion === 0 ? 'attribute_not_exists(pk)' : 'desiredVersion = :expected',
      ExpressionAttributeNames: { '#type': 'type', '#scope': 'scope', '#state': 'state' },
      ExpressionAttributeValues: {
        ':type': ITEM_TYPE.target,
        ':tk': write.targetKey,
        ':plane': dataPlane,
        ':scope': write.scope,
        ':desired': write.desired,
        ':next': write.expectedDesiredVersion + 1,
        ':pending': 'pending',
        ':at': write.updatedAt,
        ':zero': 0,
        ':g4': 'TARGET',
        ...(write.expectedDesiredVersion === 0 ? {} : { ':expected': write.expectedDesiredVersion }),
      },
    },
  });

  /** Marks a unit compiled, valid only while its version is still the one compiled. */
  const markUpdate = (dataPlane: string, mark: CompiledMark): TransactItem => ({
    Update: {
      TableName: tableName,
      Key: keys.unit(dataPlane, mark.unit),
      UpdateExpression: 'SET #type = :type, dataPlane = :plane, #unit = :unit, compiled = :v, refused = :refused',
      ConditionExpression: mark.version === 0 ? 'attribute_not_exists(version) OR version = :v' : 'version = :v',
      ExpressionAttributeNames: { '#type': 'type', '#unit': 'unit' },
      ExpressionAttributeValues: {
        ':type': ITEM_TYPE.unit,
        ':plane': dataPlane,
        ':unit': mark.unit,
        ':v': mark.version,
        ':refused': mark.refused,
      },
    },
  });

  return {
    getUnits,
    getMembers,

    async getDesiredGrants(dataPlane, units, pairs) {
      const wanted = [...new Set(units)];
      const attributeKeys = new Map(
        pairs.map((pair) => [`${pair.project}#${pair.domain}`, keys.attributes(dataPlane, pair.project, pair.domain)]),
      );
      const items = await batchGet(doc, tableName, [
        ...wanted.map((unit) => keys.unit(dataPlane, unit)),
        ...attributeKeys.values(),
      ]);
      const found = new Map<string, UnitState>();
      const attributes: AttributeRecord[] = [];
      for (const item of items) {
        if (item.type === ITEM_TYPE.unit) {
          const state = parseUnit(item);
          found.set(state.unit, state);
        } else if (item.type === ITEM_TYPE.attributes) attributes.push(parseItem(attributeRecordSchema, item));
      }
      attributes.sort((a, b) => (`${a.project}#${a.domain}` < `${b.project}#${b.domain}` ? -1 : 1));
      // A unit never written has no members; one whose copies are not complete is read from its
      // members partition (until the repair pass writes its copies afresh).
      const states = wanted.map((unit) => found.get(unit) ?? emptyUnit(dataPlane, unit));
      const grants = await Promise.all(
        states.map(async (state) =>
          state.inline?.complete === true
            ? state.inline.members
            : (await getMembers(dataPlane, state.unit))
                .filter((grant) => isDesiredStatus(grant.status))
                .map(desiredMember),
        ),
      );
      return { units: states, grants: grants.flat().sort(byId), attributes };
    },

    async completeInlineMembers(dataPlane, units, grants) {
      const desired = new Map<string, GrantRecord[]>();
      for (const grant of grants) {
        if (!isDesiredStatus(grant.status)) continue;
        const unit = unitOf(grant.scope);
        const members = desired.get(unit);
        if (members === undefined) desired.set(unit, [grant]);
        else members.push(grant);
      }
      let written = 0;
      for (const unit of units) {
        if (unit.dataPlane !== dataPlane || unit.inline === undefined || unit.inline.complete) continue;
        if (await writeInline(unit, desired.get(unit.unit) ?? [])) written += 1;
      }
      return written;
    },

    async getPlaneSnapshot(dataPlane) {
      // The version first: whatever the queries below see is at least that new, so a write guarded
      // by it never stands for input older than what was read (a query is not one snapshot).
      const state = (
        await doc.send(new GetCommand({ TableName: tableName, Key: keys.planeState(dataPlane), ConsistentRead: true }))
      ).Item;
      const snapshot: PlaneSnapshot = {
        dataPlane,
        version: state === undefined ? 0 : planeStateSchema.parse(state).planeVersion,
        units: [],
        grants: [],
        targets: [],
        attributes: [],
        hold: null,
        infrastructure: [],
      };
      for (const item of await queryPartition(doc, tableName, keys.planePk(dataPlane))) {
        if (item.type === ITEM_TYPE.unit) snapshot.units.push(parseUnit(item));
        else if (item.type === ITEM_TYPE.target) snapshot.targets.push(parseItem(targetRecordSchema, item));
        else if (item.type === ITEM_TYPE.attributes) snapshot.attributes.push(parseItem(attributeRecordSchema, item));
        else if (item.type === ITEM_TYPE.heldChange) snapshot.hold = parseItem(heldChangeSchema, item);
        else if (item.type === ITEM_TYPE.infrastructureUpdate)
          snapshot.infrastructure.push(parseItem(infrastructureUpdateSchema, item));
      }
      snapshot.grants = (await queryPartition(doc, tableName, keys.membersPk(dataPlane))).map(parseMember).sort(byId);
      return snapshot;
    },

    async getUnitSnapshot(dataPlane, unit) {
      const [unitState, globalState] =
        unit === GLOBAL_UNIT
          ? await getUnits(dataPlane, [GLOBAL_UNIT]).then(([only]) => [only, only] as const)
          : await getUnits(dataPlane, [unit, GLOBAL_UNIT]);
      // The inline copies when both units' are complete (one request fewer each); else the members.
      const states = unit === GLOBAL_UNIT ? [globalState!] : [globalState!, unitState!];
      const members: PlannedGrant[] = states.every((state) => state.inline?.complete === true)
        ? states.flatMap((state) => state.inline?.members ?? [])
        : (await Promise.all(states.map((state) => getMembers(dataPlane, state.unit)))).flat();
      members.sort(byId);
      const targetKeys = [...new Set([...unitState!.targetKeys, globalTargetKey(dataPlane)])];
      const pairs = unitState!.targetKeys.map(pairOf).filter((pair) => pair !== null);
      const items = await batchGet(doc, tableName, [
        ...targetKeys.map((key) => keys.target(key)),
        ...pairs.map((pair) => keys.attributes(dataPlane, pair.project, pair.domain)),
        keys.heldChange(dataPlane),
      ]);
      const targets: TargetRecord[] = [];
      const attributes: AttributeRecord[] = [];
      let hold = null;
      for (const item of items) {
        if (item.type === ITEM_TYPE.target) targets.push(parseItem(targetRecordSchema, item));
        else if (item.type === ITEM_TYPE.attributes) attributes.push(parseItem(attributeRecordSchema, item));
        else if (item.type === ITEM_TYPE.heldChange) hold = parseItem(heldChangeSchema, item);
      }
      return {
        dataPlane,
        unit: unitState!,
        global: globalState!,
        grants: members,
        targets: targets.sort((a, b) => (a.targetKey < b.targetKey ? -1 : 1)),
        attributes,
        hold,
      };
    },

    async writeDesiredTargets(dataPlane, guard, writes, marks) {
      // A unit write: the unit's own mark is its guard (conditional on the version it read), the
      // global unit's version a check. A plane write: the plane version is checked in every chunk.
      const guards: TransactItem[] =
        guard.kind === 'plane'
          ? [versionCheck(tableName, keys.planeState(dataPlane), 'planeVersion', guard.version)]
          : guard.unit === GLOBAL_UNIT
            ? []
            : [versionCheck(tableName, keys.unit(dataPlane, GLOBAL_UNIT), 'version', guard.globalVersion)];
      const items: { item: TransactItem; bytes: number; guardsUnit: boolean }[] = [
        ...writes.map((write) => ({
          item: desiredTargetUpdate(dataPlane, write),
          bytes: JSON.stringify(write.desired).length + 500,
          guardsUnit: false,
        })),
        ...marks.map((mark) => ({
          item: markUpdate(dataPlane, mark),
          bytes: JSON.stringify(mark.refused).length + 300,
          guardsUnit: guard.kind === 'unit' && mark.unit === guard.unit,
        })),
      ];
      if (guard.kind === 'unit' && !marks.some((mark) => mark.unit === guard.unit))
        throw new Error(`a unit write of ${guard.unit} must mark it compiled`);
      // Chunks stay within the transaction limits; each is valid only while the input is unchanged,
      // so a later recompute (which must exist if it moved) rewrites whatever differs. Marks come
      // last: a unit never reads compiled before its targets are written. A unit chunk without the
      // unit's mark checks the unit's version instead (one slot kept free for it).
      const room = MAX_TRANSACT_ITEMS - guards.length - 1;
      const chunks: (typeof items)[] = [];
      let chunk: typeof items = [];
      let bytes = 0;
      for (const entry of items) {
        if (chunk.length > 0 && (chunk.length + 1 > room || bytes + entry.bytes > MAX_TRANSACT_BYTES)) {
          chunks.push(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push(entry);
        bytes += entry.bytes;
      }
      if (chunk.length > 0) chunks.push(chunk);
      for (const each of chunks) {
        const unitCheck =
          guard.kind === 'unit' && !each.some((entry) => entry.guardsUnit)
            ? [versionCheck(tableName, keys.unit(dataPlane, guard.unit), 'version', guard.version)]
            : [];
        await transact(doc, `targets of ${dataPlane}`, [...guards, ...unitCheck, ...each.map((entry) => entry.item)]);
      }
    },
  };
}
