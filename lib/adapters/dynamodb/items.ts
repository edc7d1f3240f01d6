// Item layout of the single table (see table.ts) and zod schemas that parse every item on its way
// out (no `as` casts on outside data). Exported so stream consumers (the applier)
// read target images exactly as the store does.
import * as z from '../../domain/zod.js';
import { resourceSchema, scopeSchema, ticketSchema } from '../../domain/grant.js';
import type { CompiledTarget } from '../../domain/model.js';
import { GRANT_STATUSES, planeOfTargetKey, targetKey } from '../../domain/records.js';
import type {
  AttributeRecord,
  AttributeUpdate,
  AuditEvent,
  CloudInventoryEntry,
  CloudPlaneState,
  DesiredMember,
  DriftReportRecord,
  GrantRecord,
  HeldChange,
  InfrastructureUpdate,
  InlineMembers,
  SourceRecord,
  TargetRecord,
  UnitState,
} from '../../domain/records.js';

/** Item `type` values (the applier's event source mapping filters on `type = target`). */
export const ITEM_TYPE = {
  grant: 'grant',
  ticketLink: 'ticket-link',
  plane: 'plane',
  target: 'target',
  attributes: 'attributes',
  attributeUpdate: 'attribute-update',
  audit: 'audit',
  delivery: 'delivery',
  drift: 'drift-report',
  source: 'source',
  lease: 'lease',
  heldChange: 'held-change',
  infrastructureUpdate: 'infrastructure-update',
  unit: 'unit',
  member: 'member',
  cloudInventory: 'cloud-inventory',
  cloudState: 'cloud-state',
} as const;

/** Key builders: one place that knows the prefixes. */
export const keys = {
  grant: (id: string) => ({ pk: `GRANT#${id}`, sk: 'GRANT' }),
  ticketLink: (source: string, system: string, key: string, createdAt: string, id: string) => ({
    pk: ticketPk(source, system, key),
    sk: `GRANT#${createdAt}#${id}`,
  }),
  planePk: (dataPlane: string) => `PLANE#${dataPlane}`,
  planeState: (dataPlane: string) => ({ pk: `PLANE#${dataPlane}`, sk: 'STATE' }),
  /** A planning unit's versions and refusals, in the plane's partition (the plane snapshot reads them all). */
  unit: (dataPlane: string, unit: string) => ({ pk: `PLANE#${dataPlane}`, sk: `UNIT#${unit}` }),
  /**
   * The plane's unit members, one partition per plane sorted by unit: a unit is one key-prefix
   * query (`<unit>#`), the whole plane one paged query, and no item grows with the plane.
   */
  membersPk: (dataPlane: string) => `PLANE#${dataPlane}#MEMBERS`,
  member: (dataPlane: string, unit: string, grantId: string) => ({
    pk: `PLANE#${dataPlane}#MEMBERS`,
    sk: `${unit}#${grantId}`,
  }),
  target: (targetKey: string) => ({ pk: `PLANE#${planeOfTargetKey(targetKey)}`, sk: `TARGET#${targetKey}` }),
  attributes: (dataPlane: string, project: string, domain: string) => ({
    pk: `PLANE#${dataPlane}`,
    sk: `ATTR#${project}#${domain}`,
  }),
  attributeUpdate: (id: string) => ({ pk: `AU#${id}`, sk: 'AU' }),
  audit: (id: string) => ({ pk: `AUDIT#${id}`, sk: 'AUDIT' }),
  delivery: (source: string, deliveryId: string) => ({ pk: `DELIVERY#${source}#${deliveryId}`, sk: 'DELIVERY' }),
  driftPk: 'DRIFT',
  source: (name: string) => ({ pk: `SOURCE#${name}`, sk: 'SOURCE' }),
  lease: (targetKey: string) => ({ pk: `LEASE#${targetKey}`, sk: 'LEASE' }),
  /** In the plane's partition: the plane snapshot reads it with the targets, at no extra cost. */
  heldChange: (dataPlane: string) => ({ pk: `PLANE#${dataPlane}`, sk: 'HOLD' }),
  /** One per (plane, repository), in the plane's partition like the hold. */
  infrastructureUpdate: (dataPlane: string, repositoryHash: string) => ({
    pk: `PLANE#${dataPlane}`,
    sk: `INFRA#${repositoryHash}`,
  }),
  /** GCP/Azure: one per (plane, resource), in its own partition so no item grows with the plane. */
  cloudInventoryPk: (dataPlane: string) => `PLANE#${dataPlane}#CLOUD`,
  cloudInventory: (dataPlane: string, resourceHash: string) => ({
    pk: `PLANE#${dataPlane}#CLOUD`,
    sk: `RESOURCE#${resourceHash}`,
  }),
  cloudState: (dataPlane: string) => ({ pk: `PLANE#${dataPlane}#CLOUD`, sk: 'STATE' }),
};

/** `#` separates key parts: inside a part it (and `%`, the escape) is percent-encoded, so parts never run together. */
const keyPart = (part: string): string => part.replace(/%/g, '%25').replace(/#/g, '%23');

/** The ticket link's partition: `{sd, x#K}` and `{sd#x, K}` are different tickets. */
export const ticketPk = (source: string, system: string, key: string) =>
  `TICKET#${keyPart(source)}#${keyPart(system)}#${keyPart(key)}`;

export { planeOfTargetKey };

// Key and bookkeeping attributes are not part of any record.
const BOOKKEEPING = new Set([
  'pk',
  'sk',
  'type',
  'ttl',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
]);

const recordPart = (item: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !BOOKKEEPING.has(name)));

// ─── Schemas ─────────────────────────────────────────────────────────────────

const statusSchema = z.enum(GRANT_STATUSES);

const stringOrList = z.union([z.string(), z.array(z.string())]);

const statementSchema = z.object({
  Sid: z.optional(z.string()),
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.optional(stringOrList),
  NotAction: z.optional(stringOrList),
  Resource: z.optional(stringOrList),
  NotResource: z.optional(stringOrList),
  Principal: z.optional(z.unknown()),
  NotPrincipal: z.optional(z.unknown()),
  Condition: z.optional(z.record(z.string(), z.record(z.string(), stringOrList))),
});

const documentSchema = z.object({ Version: z.literal('2012-10-17'), Statement: z.array(statementSchema) });
const tagsSchema = z.record(z.string(), z.string());

export const compiledTargetSchema = z.object({
  dataPlane: z.string(),
  accountId: z.string(),
  scope: scopeSchema,
  role: z.object({
    name: z.string(),
    arn: z.string(),
    managed: z.boolean(),
    path: z.string(),
    trustPolicy: z.nullable(documentSchema),
    permissionsBoundaryArn: z.nullable(z.string()),
    tags: tagsSchema,
  }),
  attachedPolicyArns: z.array(z.string()),
  policies: z.array(
    z.object({ name: z.string(), arn: z.string(), path: z.string(), document: documentSchema, tags: tagsSchema }),
  ),
  uctl: z.nullable(
    z.object({ file: z.literal('cluster_resource_attributes.yaml'), yaml: z.string(), command: z.string() }),
  ),
}) satisfies z.ZodMiniType<CompiledTarget>;

export const grantRecordSchema = z.object({
  id: z.string(),
  dataPlane: z.string(),
  targetKey: z.string(),
  scope: scopeSchema,
  resource: resourceSchema,
  justification: z.optional(z.string()),
  expiresAt: z.optional(z.string()),
  ticket: z.optional(ticketSchema),
  status: statusSchema,
  requester: z.string(),
  source: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  history: z.array(
    z.object({ status: statusSchema, at: z.string(), actor: z.string(), comment: z.optional(z.string()) }),
  ),
  approvedBy: z.optional(z.string()),
  failureReason: z.optional(z.string()),
  endingAs: z.optional(z.enum(['revoked', 'expired'])),
  notes: z.optional(z.array(z.object({ code: z.string(), message: z.string() }))),
  secretGroup: z.optional(z.string()),
  secretKey: z.optional(z.string()),
  version: z.int(),
}) satisfies z.ZodMiniType<GrantRecord>;

export const targetRecordSchema = z.object({
  targetKey: z.string(),
  dataPlane: z.string(),
  scope: scopeSchema,
  desired: z.nullable(compiledTargetSchema),
  desiredVersion: z.int(),
  appliedVersion: z.int(),
  state: z.enum(['pending', 'applied', 'failed', 'waiting-uctl']),
  lastAppliedAt: z.optional(z.string()),
  lastError: z.optional(z.string()),
  roleDeletionRequestedAt: z.optional(z.string()),
  appliedPolicyArns: z.optional(z.array(z.string())),
  updatedAt: z.string(),
}) satisfies z.ZodMiniType<TargetRecord>;

export const attributeRecordSchema = z.object({
  dataPlane: z.string(),
  project: z.string(),
  domain: z.string(),
  attributes: z.record(z.string(), z.string()),
  importedAt: z.string(),
  importedBy: z.string(),
}) satisfies z.ZodMiniType<AttributeRecord>;

export const attributeUpdateSchema = z.object({
  id: z.string(),
  dataPlane: z.string(),
  project: z.string(),
  domain: z.string(),
  roleArn: z.nullable(z.string()),
  yaml: z.string(),
  command: z.string(),
  contentHash: z.string(),
  status: z.enum(['pending', 'acknowledged']),
  createdAt: z.string(),
  acknowledgedAt: z.optional(z.string()),
  acknowledgedBy: z.optional(z.string()),
  warning: z.optional(z.string()),
}) satisfies z.ZodMiniType<AttributeUpdate>;

export const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  grantId: z.optional(z.string()),
  targetKey: z.optional(z.string()),
  before: z.optional(z.unknown()),
  after: z.optional(z.unknown()),
  iamCalls: z.optional(z.array(z.string())),
  result: z.optional(z.enum(['ok', 'error'])),
  detail: z.optional(z.string()),
}) satisfies z.ZodMiniType<AuditEvent>;

export const deliveryRecordSchema = z.object({
  source: z.string(),
  deliveryId: z.string(),
  at: z.string(),
  result: z.unknown(),
  expiresAtEpoch: z.number(),
});

export const driftReportSchema = z.object({
  id: z.string(),
  checkedAt: z.string(),
  report: z.unknown(),
}) satisfies z.ZodMiniType<DriftReportRecord>;

export const sourceRecordSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastRevision: z.optional(z.string()),
}) satisfies z.ZodMiniType<SourceRecord>;

export const heldChangeSchema = z.object({
  dataPlane: z.string(),
  heldAt: z.string(),
  updatedAt: z.string(),
  planeVersion: z.int(),
  targetsWithAccess: z.int(),
  targets: z.array(
    z.object({
      targetKey: z.string(),
      scope: scopeSchema,
      removedCount: z.int(),
      removed: z.array(z.string()),
      proposedHash: z.string(),
    }),
  ),
}) satisfies z.ZodMiniType<HeldChange>;

export const infrastructureUpdateSchema = z.object({
  id: z.string(),
  dataPlane: z.string(),
  kind: z.literal('ecr-repository-policy'),
  repositoryArn: z.string(),
  accountId: z.string(),
  policy: z.nullable(documentSchema),
  contentHash: z.string(),
  status: z.enum(['pending', 'acknowledged']),
  createdAt: z.string(),
  acknowledgedAt: z.optional(z.string()),
  acknowledgedBy: z.optional(z.string()),
}) satisfies z.ZodMiniType<InfrastructureUpdate>;

export const cloudInventorySchema = z.object({
  dataPlane: z.string(),
  cloud: z.enum(['gcp', 'azure']),
  resource: z.string(),
  owned: z.array(z.string()),
  updatedAt: z.string(),
}) satisfies z.ZodMiniType<CloudInventoryEntry>;

export const cloudStateSchema = z.object({
  dataPlane: z.string(),
  cloud: z.enum(['gcp', 'azure']),
  state: z.enum(['applied', 'failed', 'drifted']),
  updatedAt: z.string(),
  lastAppliedAt: z.optional(z.string()),
  lastError: z.optional(z.string()),
  bindings: z.int(),
}) satisfies z.ZodMiniType<CloudPlaneState>;

export const planeStateSchema = z.object({
  planeVersion: z._default(z.int(), 0),
});

export const unitStateSchema = z.object({
  dataPlane: z.string(),
  unit: z.string(),
  version: z._default(z.int(), 0),
  compiled: z._default(z.int(), 0),
  // A String Set arrives as a JS Set from the document client.
  targetKeys: z.pipe(
    z.optional(z.union([z.set(z.string()), z.array(z.string())])),
    z.transform((ids) => (ids === undefined ? [] : [...ids].sort())),
  ),
  refused: z._default(z.record(z.string(), z.string()), {}),
}) satisfies z.ZodMiniType<UnitState>;

// ─── Inline members of a unit item ───────────────────────────────────────────
// A unit item carries a copy of each of its desired grants as a top-level String attribute
// `m_<grantId>` (the request as stored, JSON), so a submit reads a unit's desired grants with the
// unit in one BatchGetItem (docs/data-model.md). Every change of the desired set that keeps the
// copies exact adds 1 to `inlineVersion` along with `version`; one that does not (no room left, or
// a writer that predates the copies) adds only to `version`. So the copies are the desired set
// exactly while the two are equal, and the schedule's repair pass writes them afresh otherwise.

/** What the copies of one unit item may weigh (DynamoDB's 400 KB per item, with room to spare). */
export const MAX_INLINE_BYTES = 64 * 1024;

export const inlineName = (grantId: string): string => `m_${grantId}`;

/** A desired grant's copy: the fields the engine plans from, none of which a grant ever changes. */
export const inlineCopy = (grant: DesiredMember): string =>
  JSON.stringify({
    scope: grant.scope,
    resource: grant.resource,
    ...(grant.justification === undefined ? {} : { justification: grant.justification }),
    ...(grant.ticket === undefined ? {} : { ticket: grant.ticket }),
  });

/** What a copy adds to its item's size, as DynamoDB counts it (attribute name and UTF-8 value). */
export const inlineBytes = (grantId: string, copy: string): number =>
  inlineName(grantId).length + new TextEncoder().encode(copy).length;

const inlineCopySchema = z.object({
  scope: scopeSchema,
  resource: resourceSchema,
  justification: z.optional(z.string()),
  ticket: z.optional(ticketSchema),
});

const counter = z._default(z.int(), 0);

/** The copies a unit item carries, and whether they are its desired set (see above). */
export const inlineMembersOf = (item: Record<string, unknown>): InlineMembers => {
  const dataPlane = String(item.dataPlane);
  const members: DesiredMember[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith('m_') || typeof value !== 'string') continue;
    let copy: z.infer<typeof inlineCopySchema>;
    try {
      copy = inlineCopySchema.parse(JSON.parse(value));
    } catch (error: unknown) {
      throw new CorruptItemError(`Stored item ${String(item.pk)}/${String(item.sk)} has an unreadable ${name}`, {
        cause: error,
      });
    }
    members.push({ id: name.slice(2), dataPlane, targetKey: targetKey(dataPlane, copy.scope), ...copy });
  }
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const complete = counter.parse(item.version) === counter.parse(item.inlineVersion);
  const used = counter.parse(item.inlineBytes);
  return { complete, room: complete ? Math.max(0, MAX_INLINE_BYTES - used) : 0, members };
};

/** Thrown when a stored item does not have the shape its type promises (data corruption, not input). */
export class CorruptItemError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptItemError';
  }
}

/** Parses a stored item's record part with `schema`, naming the item when it does not fit. */
export const parseItem = <T>(schema: z.ZodMiniType<T>, item: Record<string, unknown>): T => {
  const result = schema.safeParse(recordPart(item));
  if (!result.success) {
    const where = `${String(item.pk)}/${String(item.sk)}`;
    throw new CorruptItemError(
      `Stored item ${where} is not a valid ${String(item.type)}: ${result.error.issues[0]?.message ?? 'invalid'}`,
      {
        cause: result.error,
      },
    );
  }
  return result.data;
};

/** Parses a target from a stream image (already unmarshalled); null when the item is not a target. */
export const targetFromItem = (item: Record<string, unknown> | undefined): TargetRecord | null =>
  item === undefined || item.type !== ITEM_TYPE.target ? null : parseItem(targetRecordSchema, item);

// ─── Items ───────────────────────────────────────────────────────────────────

/** The full item of a grant, with its index keys (project, status, source, all). */
export const grantItem = (grant: GrantRecord): Record<string, unknown> => ({
  ...grant,
  ...keys.grant(grant.id),
  type: ITEM_TYPE.grant,
  ...(grant.scope.type === 'project-domain'
    ? { gsi1pk: `GRANT#PROJECT#${grant.scope.project}`, gsi1sk: `${grant.scope.domain}#${grant.createdAt}#${grant.id}` }
    : {}),
  gsi2pk: `GRANT#STATUS#${grant.status}`,
  gsi2sk: `${grant.createdAt}#${grant.id}`,
  gsi3pk: `GRANT#SOURCE#${grant.source}`,
  gsi3sk: `${grant.createdAt}#${grant.id}`,
  gsi4pk: 'GRANT',
  gsi4sk: `${grant.createdAt}#${grant.id}`,
});

/** A grant's copy in its planning unit (docs/data-model.md): the same record, no index keys. */
export const memberItem = (grant: GrantRecord, unit: string): Record<string, unknown> => ({
  ...grant,
  ...keys.member(grant.dataPlane, unit, grant.id),
  type: ITEM_TYPE.member,
});

export const auditItem = (event: AuditEvent): Record<string, unknown> => {
  const sk = `${event.at}#${event.id}`;
  return {
    ...event,
    ...keys.audit(event.id),
    type: ITEM_TYPE.audit,
    ...(event.grantId === undefined ? {} : { gsi1pk: `AUDIT#GRANT#${event.grantId}`, gsi1sk: sk }),
    ...(event.targetKey === undefined ? {} : { gsi2pk: `AUDIT#TARGET#${event.targetKey}`, gsi2sk: sk }),
    gsi3pk: `AUDIT#ACTOR#${event.actor}`,
    gsi3sk: sk,
    gsi4pk: 'AUDIT',
    gsi4sk: sk,
  };
};

export const attributeUpdateItem = (update: AttributeUpdate): Record<string, unknown> => {
  const sk = `${update.createdAt}#${update.id}`;
  return {
    ...update,
    ...keys.attributeUpdate(update.id),
    type: ITEM_TYPE.attributeUpdate,
    gsi1pk: `AU#PAIR#${update.dataPlane}#${update.project}#${update.domain}`,
    gsi1sk: sk,
    gsi2pk: `AU#STATUS#${update.status}`,
    gsi2sk: sk,
    gsi4pk: 'AU',
    gsi4sk: sk,
  };
};

export const attributesItem = (record: AttributeRecord): Record<string, unknown> => ({
  ...record,
  ...keys.attributes(record.dataPlane, record.project, record.domain),
  type: ITEM_TYPE.attributes,
});

export const targetItem = (target: TargetRecord): Record<string, unknown> => ({
  ...target,
  ...keys.target(target.targetKey),
  type: ITEM_TYPE.target,
  gsi4pk: 'TARGET',
  gsi4sk: target.targetKey,
});
