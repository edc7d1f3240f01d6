// Cluster resource attributes (docs/rules.md C5, docs/api.md): importing what `uctl get cluster-resource-attribute`
// prints for a pair — carried into the pair's uctl file, since `uctl update` replaces the whole map —
// and the uctl updates operators run and acknowledge.
import * as z from '../domain/zod.js';
import { servesProject } from '../domain/config.js';
import { BadRequestError, NotFoundError, ValidationError } from '../domain/errors.js';
import { ConcurrentUpdateError, type Identity } from '../domain/ports.js';
import { type AttributeRecord, type AttributeUpdate, type Page } from '../domain/records.js';
import { MAX_PAGE_LIMIT, pageLimit, withConflictRetry, type AppDeps } from './deps.js';
import { recomputeScope, type RecomputeResult } from './targets.js';

const scalar = z.pipe(
  z.union([z.string(), z.number(), z.boolean()]),
  z.transform((value) => String(value)),
);

// `uctl get cluster-resource-attribute -p P -d D -o yaml|json` prints {attributes: {...}, project, domain}
// (older versions nest it in {"attributes": {...}} only); a bare map of attributes is accepted too.
const uctlOutputSchema = z.union([
  z.looseObject({
    attributes: z.record(z.string(), scalar),
    project: z.optional(z.string()),
    domain: z.optional(z.string()),
  }),
  z.record(z.string(), scalar),
]);

/** YAML's Maps as plain objects whose keys are all own data properties (`__proto__` included). */
const plain = (value: unknown): unknown => {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, entry]) => [String(key), plain(entry)]));
  return Array.isArray(value) ? value.map(plain) : value;
};

/** Parses the JSON or YAML uctl prints (a string) or its already parsed form into a string map. */
export const parseUctlAttributes = async (
  body: unknown,
): Promise<{ attributes: Record<string, string>; project?: string; domain?: string }> => {
  let raw: unknown = body;
  if (typeof body === 'string') {
    // The YAML parser is loaded for a YAML body only: a JSON body arrives parsed, and most of the
    // attributes function's routes read no body at all (its cold start carries no parser).
    const YAML = await import('yaml');
    try {
      // Maps, not objects: a `__proto__` key would otherwise vanish into the prototype unseen.
      raw = plain(YAML.parse(body, { mapAsMap: true }));
    } catch (error: unknown) {
      throw new BadRequestError([
        {
          path: 'body',
          code: 'attributes.unreadable',
          message: `Not JSON or YAML: ${error instanceof Error ? error.message.split('\n')[0] : 'parse error'}`,
        },
      ]);
    }
  }
  // Before the schema, which copies into fresh objects where a `__proto__` key would vanish.
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const inner: unknown = Object.hasOwn(raw, 'attributes') ? (raw as Record<string, unknown>)['attributes'] : raw;
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner))
      checkedNames(Object.fromEntries(Object.keys(inner).map((name) => [name, ''])));
  }
  const parsed = uctlOutputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BadRequestError([
      {
        path: 'attributes',
        code: 'attributes.invalid',
        message:
          'Expected the output of `uctl get cluster-resource-attribute`: {attributes: {name: value, ...}} with string values',
      },
    ]);
  }
  const data = parsed.data;
  if ('attributes' in data && typeof data.attributes === 'object') {
    const attributes: Record<string, string> = checkedNames(data.attributes);
    return {
      attributes,
      ...(typeof data.project === 'string' ? { project: data.project } : {}),
      ...(typeof data.domain === 'string' ? { domain: data.domain } : {}),
    };
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(data)) if (typeof value === 'string') attributes[name] = value;
  return { attributes: checkedNames(attributes) };
};

/** Attribute names as Flyte's cluster resource templates use them (`projectQuotaCpu`). */
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
/** Names JavaScript objects carry themselves: never data, and `constructor` cannot even be stored. */
const RESERVED_NAMES = new Set(['constructor', '__proto__', 'prototype']);

/** The attributes, when every name is one; else 400 naming the first bad one. */
function checkedNames(attributes: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(attributes)) {
    const problem = !ATTRIBUTE_NAME.test(name)
      ? 'attribute names start with a letter and use letters, digits, "_", "." and "-" (at most 128 characters)'
      : RESERVED_NAMES.has(name)
        ? `"${name}" is reserved`
        : value.length > 4096
          ? 'attribute values have at most 4,096 characters'
          : null;
    if (problem !== null)
      throw new BadRequestError([
        {
          path: `attributes[${JSON.stringify(name)}]`,
          code: 'attributes.invalid',
          message: `${JSON.stringify(name)}: ${problem}`,
        },
      ]);
  }
  return attributes;
}

export interface ImportAttributesInput {
  dataPlane: string;
  project: string;
  domain: string;
  /** The uctl output: a JSON/YAML string, or the parsed JSON body. */
  body: unknown;
  actor: Identity;
}

/**
 * Imports a pair's current cluster resource attributes and recompiles the plane's targets, so the
 * pair's uctl file keeps them (`defaultUserRoleValue` stays grantplane's to set).
 */
export const importAttributes = async (
  deps: AppDeps,
  input: ImportAttributesInput,
): Promise<{ record: AttributeRecord; recompute: RecomputeResult }> => {
  const plane = deps.config.dataPlanes.find((candidate) => candidate.name === input.dataPlane);
  if (plane === undefined)
    throw new NotFoundError('data-plane.not-found', `No data plane is named "${input.dataPlane}"`);
  if (plane.cloud !== 'aws') {
    throw new ValidationError([
      {
        path: 'dataPlane',
        code: 'attributes.not-aws',
        message: 'Cluster resource attributes are managed here only for AWS planes',
      },
    ]);
  }
  if (!plane.domains.includes(input.domain)) {
    throw new ValidationError([
      {
        path: 'domain',
        code: 'scope.unknown-domain',
        message: `"${input.domain}" is not one of ${plane.name}'s domains: ${plane.domains.join(', ')}`,
      },
    ]);
  }
  if (!servesProject(plane, input.project)) {
    throw new ValidationError([
      {
        path: 'project',
        code: 'scope.project-not-served',
        message: `Project "${input.project}" is not served by ${plane.name}`,
      },
    ]);
  }
  const parsed = await parseUctlAttributes(input.body);
  if (
    (parsed.project !== undefined && parsed.project !== input.project) ||
    (parsed.domain !== undefined && parsed.domain !== input.domain)
  ) {
    throw new BadRequestError([
      {
        path: 'project',
        code: 'attributes.pair-mismatch',
        message: `The body is for ${parsed.project ?? '?'}/${parsed.domain ?? '?'}, the path for ${input.project}/${input.domain}`,
      },
    ]);
  }
  const now = deps.clock.now().toISOString();
  const record: AttributeRecord = {
    dataPlane: input.dataPlane,
    project: input.project,
    domain: input.domain,
    attributes: parsed.attributes,
    importedAt: now,
    importedBy: input.actor.sub,
  };
  const previous = await deps.attributes.getAttributes(input.dataPlane, input.project, input.domain);
  await deps.attributes.putAttributes(record, {
    id: deps.ids.next(),
    at: now,
    actor: input.actor.sub,
    action: 'attributes.imported',
    targetKey: `${input.dataPlane}#${input.project}#${input.domain}`,
    before: previous?.attributes ?? null,
    after: record.attributes,
    result: 'ok',
  });
  const recompute = await recomputeScope(deps, input.dataPlane, {
    type: 'project-domain',
    project: input.project,
    domain: input.domain,
  });
  return { record, recompute };
};

const pairOf = (update: AttributeUpdate): string => `${update.dataPlane}#${update.project}#${update.domain}`;

// Updates are ordered by (createdAt, id), as the store's pair index orders them.
const olderThan = (a: AttributeUpdate, b: AttributeUpdate): boolean =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/**
 * uctl updates, newest first, optionally only pending or acknowledged ones (limit ≤ 100). `pending`
 * lists only the updates to run: `uctl update` replaces a pair's whole map, so a pending update
 * that a newer one of its pair supersedes must not be run (it may point at a role being deleted).
 */
export const listAttributeUpdates = async (
  deps: AppDeps,
  input: { status?: AttributeUpdate['status'] | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<Page<AttributeUpdate>> => {
  const limit = pageLimit(input.limit);
  const page = await deps.attributes.listAttributeUpdates(input.status, { limit, cursor: input.cursor });
  if (input.status !== 'pending') return page;
  const latest = new Map<string, string | undefined>();
  for (const update of page.items) {
    if (!latest.has(pairOf(update))) {
      const newest = await deps.attributes.latestAttributeUpdate(update.dataPlane, update.project, update.domain);
      latest.set(pairOf(update), newest?.id);
    }
  }
  return { ...page, items: page.items.filter((update) => latest.get(pairOf(update)) === update.id) };
};

const acknowledgeOne = (
  deps: AppDeps,
  update: AttributeUpdate,
  actor: Identity,
  detail?: string,
): Promise<AttributeUpdate> => {
  const at = deps.clock.now().toISOString();
  return deps.attributes.acknowledgeAttributeUpdate(update.id, actor.sub, at, {
    id: deps.ids.next(),
    at,
    actor: actor.sub,
    action: 'attribute-update.acknowledged',
    targetKey: pairOf(update),
    before: { status: 'pending' },
    after: { status: 'acknowledged' },
    result: 'ok',
    ...(detail === undefined ? {} : { detail }),
  });
};

/** Pending updates of the same pair created before `update`: running `update` settles them too. */
const supersededBy = async (deps: AppDeps, update: AttributeUpdate): Promise<AttributeUpdate[]> => {
  const older: AttributeUpdate[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.attributes.listAttributeUpdates('pending', { limit: MAX_PAGE_LIMIT, cursor });
    older.push(...page.items.filter((other) => pairOf(other) === pairOf(update) && olderThan(other, update)));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return older;
};

/**
 * Records that an operator ran a uctl update (A3: a role no longer pointed at may then be deleted).
 * Older pending updates of the same pair are acknowledged with it (the file replaced them).
 * Acknowledging an acknowledged update answers it unchanged.
 */
export const acknowledgeAttributeUpdate = async (
  deps: AppDeps,
  input: { id: string; actor: Identity },
): Promise<AttributeUpdate> => {
  const acknowledged = await withConflictRetry(deps, async () => {
    const update = await deps.attributes.getAttributeUpdate(input.id);
    if (update === null)
      throw new NotFoundError('attribute-update.not-found', `No attribute update with id ${input.id}`);
    if (update.status === 'acknowledged') return update;
    return acknowledgeOne(deps, update, input.actor);
  });
  for (const older of await supersededBy(deps, acknowledged)) {
    try {
      await acknowledgeOne(deps, older, input.actor, `superseded by ${acknowledged.id}`);
    } catch (error: unknown) {
      // Its condition (still pending) failed: someone acknowledged it meanwhile, which is the goal.
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
  return acknowledged;
};
