// The AWS query protocol as @aws-sdk/client-iam speaks it (@aws-sdk/core QueryShapeSerializer,
// XmlShapeDeserializer): form-encoded requests with `Name.member.N` lists, XML responses whose
// lists are `<member>` elements, `<XResponse><XResult>` wrappers and `<ErrorResponse>` errors.
import { IamEmulatorError, validationError } from './errors.js';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_VERSION = '2010-05-08';

/** Decoded form parameters of one request. */
export type FormParams = Record<string, string>;

/** Parses an `application/x-www-form-urlencoded` body (also the query string of a GET). */
export const parseForm = (body: string): FormParams => {
  const params: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) params[key] = value;
  return params;
};

/** camelCase member name IAM uses in validation messages (`RoleName` → `roleName`). */
const memberName = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

export const optional = (params: FormParams, name: string): string | undefined => params[name];

export const required = (params: FormParams, name: string): string => {
  const value = params[name];
  if (value === undefined) throw validationError(memberName(name), null, 'Member must not be null');
  return value;
};

export const optionalInt = (params: FormParams, name: string, min: number, max: number): number | undefined => {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw validationError(
      memberName(name),
      raw,
      `Member must have value ${value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return value;
};

export const optionalBool = (params: FormParams, name: string): boolean | undefined => {
  const raw = params[name];
  if (raw === undefined) return undefined;
  return raw === 'true';
};

/** Indexes `N` present under `prefix.member.N…`, ascending. */
const memberIndexes = (params: FormParams, prefix: string): number[] => {
  const indexes = new Set<number>();
  const start = `${prefix}.member.`;
  for (const key of Object.keys(params)) {
    if (!key.startsWith(start)) continue;
    const n = Number.parseInt(key.slice(start.length), 10);
    if (Number.isInteger(n) && n > 0) indexes.add(n);
  }
  return [...indexes].sort((a, b) => a - b);
};

/** A list of strings (`TagKeys.member.1=…`); `TagKeys=` alone is the SDK's empty list. */
export const stringList = (params: FormParams, prefix: string): string[] =>
  memberIndexes(params, prefix).map((n) => params[`${prefix}.member.${n}`] ?? '');

export interface Tag {
  Key: string;
  Value: string;
}

/** A list of tags (`Tags.member.1.Key=…&Tags.member.1.Value=…`). */
export const tagList = (params: FormParams, prefix: string): Tag[] =>
  memberIndexes(params, prefix).map((n) => {
    const key = params[`${prefix}.member.${n}.Key`];
    if (key === undefined) throw validationError(`tags.${n}.member.key`, null, 'Member must not be null');
    return { Key: key, Value: params[`${prefix}.member.${n}.Value`] ?? '' };
  });

// ─── XML ─────────────────────────────────────────────────────────────────────

export const escapeXml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/** `<name>escaped value</name>`, or nothing when the value is undefined (IAM omits absent members). */
export const text = (name: string, value: string | number | boolean | Date | undefined | null): string => {
  if (value === undefined || value === null) return '';
  const rendered = value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : String(value);
  return `<${name}>${escapeXml(rendered)}</${name}>`;
};

/** `<name>` wrapping already-rendered XML. */
export const node = (name: string, inner: string): string => `<${name}>${inner}</${name}>`;

/** A query-protocol list: `<name><member>…</member>…</name>`. */
export const list = (name: string, members: string[]): string =>
  `<${name}>${members.map((m) => `<member>${m}</member>`).join('')}</${name}>`;

export const tagsXml = (name: string, tags: readonly Tag[]): string =>
  list(
    name,
    tags.map((t) => text('Key', t.Key) + text('Value', t.Value)),
  );

/** A successful answer: `<XResponse xmlns><XResult>…</XResult><ResponseMetadata>…`. */
export const successXml = (action: string, result: string | null, requestId: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${IAM_XMLNS}">` +
  (result === null ? '' : `<${action}Result>${result}</${action}Result>`) +
  `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>\n`;

/** An error answer as IAM sends it. */
export const errorXml = (error: IamEmulatorError, requestId: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${IAM_XMLNS}"><Error><Type>${error.type}</Type>` +
  `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
  `<RequestId>${requestId}</RequestId></ErrorResponse>\n`;

// ─── Pagination ──────────────────────────────────────────────────────────────

/** One page of `items` from an opaque `Marker` (an offset, base64url-encoded as IAM's are opaque). */
export const paginate = <T>(
  items: readonly T[],
  params: FormParams,
  defaultMax = 100,
): { page: T[]; isTruncated: boolean; marker: string | undefined } => {
  const maxItems = optionalInt(params, 'MaxItems', 1, 1000) ?? defaultMax;
  const rawMarker = params.Marker;
  let start = 0;
  if (rawMarker !== undefined) {
    const decoded = Number.parseInt(Buffer.from(rawMarker, 'base64url').toString('utf8').replace(/^m:/, ''), 10);
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) {
      throw new IamEmulatorError('InvalidInput', 'Invalid Marker.');
    }
    start = decoded;
  }
  const page = items.slice(start, start + maxItems);
  const next = start + page.length;
  const isTruncated = next < items.length;
  return {
    page,
    isTruncated,
    marker: isTruncated ? Buffer.from(`m:${next}`, 'utf8').toString('base64url') : undefined,
  };
};

/** `<IsTruncated>` and, when truncated, `<Marker>`. */
export const pageXml = (isTruncated: boolean, marker: string | undefined): string =>
  text('IsTruncated', isTruncated) + text('Marker', marker);
