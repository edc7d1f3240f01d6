import { createHash } from 'node:crypto';

// Stable hashing for C4 tags and shortened names. Canonical JSON (keys sorted at every level)
// makes the hash depend on a document's content, not on how its keys happened to be ordered.

/** JSON with object keys sorted recursively; arrays keep their order (undefined members dropped as JSON does). */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

// A direct writer instead of copy-then-stringify: the engine hashes thousands of documents per plan.
function write(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((entry) => write(entry) ?? 'null').join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const written = write(record[key]);
    if (written !== undefined) parts.push(`${JSON.stringify(key)}:${written}`);
  }
  return `{${parts.join(',')}}`;
}

/** Hex SHA-256 of a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The C4 `grantplane:hash` tag value of a desired document: SHA-256 of its JSON as grantplane
 * writes it. The compiler builds every document with a fixed key order and sorted lists, so plain
 * JSON is already canonical (and much cheaper than re-sorting thousands of documents per plan).
 * To compare a document read back from IAM, compare by meaning, not by this hash.
 */
export function documentHash(document: unknown): string {
  return sha256Hex(JSON.stringify(document));
}
