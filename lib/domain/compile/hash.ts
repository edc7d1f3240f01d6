import { createHash } from 'node:crypto';

// Stable hashing for C4 tags and shortened names. Canonical JSON (keys sorted at every level)
// makes the hash depend on a document's content, not on how its keys happened to be ordered.

/** JSON with object keys sorted recursively; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Hex SHA-256 of a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The C4 `grantplane:hash` tag value of a desired document. */
export function documentHash(document: unknown): string {
  return sha256Hex(canonicalJson(document));
}
