// The CLI's client of the grantplane HTTP API (docs/cli.md "Talking to the API"): where the API is
// (--api, else GRANTPLANE_API), which bearer token to send (--token, else GRANTPLANE_TOKEN, else the
// file named by GRANTPLANE_TOKEN_FILE), one request with a timeout, and a refusal rendered as lines
// a person can act on (the problem's headline, then each error's field, code and message).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringOption, type OptionValues } from './args.js';
import { oneLine, UsageError, type CliIo } from './io.js';
import { clientCredentialsToken, hasClientCredentials } from './oidc.js';

const TIMEOUT_MS = 120_000;

/** The options every command that calls the API takes (where the API is, which token to send). */
export const API_OPTIONS = { api: { type: 'string' }, token: { type: 'string' } } as const;

export interface ApiEndpoint {
  /** The API's base URL, checked. */
  base: URL;
  token: string;
}

interface ProblemLike {
  title?: string;
  detail?: string;
  message?: string;
  errors?: { path?: string; code?: string; message?: string }[];
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  raw: string;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string field of the API's answer as text, `?` when it is not a string. */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '?');

/** A setting's value trimmed, or undefined when it is missing or blank. */
export const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/**
 * The endpoint from the command's options and the environment, or a UsageError saying what to set.
 * The token: --token, else GRANTPLANE_TOKEN, else the file GRANTPLANE_TOKEN_FILE names, else — when
 * GRANTPLANE_OIDC_CLIENT_ID is set — one from the issuer by the client credentials grant.
 */
export async function apiEndpoint(
  command: string,
  values: OptionValues,
  io: CliIo,
  role: string,
): Promise<ApiEndpoint> {
  const api = nonEmpty(stringOption(values, 'api')) ?? nonEmpty(io.env.GRANTPLANE_API);
  if (api === undefined)
    throw new UsageError(`${command}: the API's URL is required: pass --api <url> or set GRANTPLANE_API`);
  let base: URL;
  try {
    base = new URL(api);
  } catch {
    throw new UsageError(`${command}: --api must be a URL such as https://api.example.com (got "${api}")`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new UsageError(`${command}: --api must be an http(s) URL (got "${api}")`);
  let token = nonEmpty(stringOption(values, 'token')) ?? nonEmpty(io.env.GRANTPLANE_TOKEN);
  const file = nonEmpty(io.env.GRANTPLANE_TOKEN_FILE);
  if (token === undefined && file !== undefined) {
    try {
      token = nonEmpty(readFileSync(resolve(io.cwd, file), 'utf8'));
    } catch (error: unknown) {
      throw new UsageError(`${command}: GRANTPLANE_TOKEN_FILE=${file} cannot be read`, { cause: error });
    }
  }
  if (token === undefined && hasClientCredentials(io.env)) token = await clientCredentialsToken(command, io);
  if (token === undefined)
    throw new UsageError(
      `${command}: ${role === 'any' ? 'a token' : `a token with the ${role} role`} is required: pass --token, or set GRANTPLANE_TOKEN or GRANTPLANE_TOKEN_FILE (or GRANTPLANE_OIDC_CLIENT_ID for a client credentials token)`,
    );
  return { base, token };
}

/** The URL of `path` (starting /v1/…) under the API's base, with a query. */
export function apiUrl(endpoint: ApiEndpoint, path: string, query: URLSearchParams = new URLSearchParams()): URL {
  const target = new URL(`${endpoint.base.pathname.replace(/\/+$/, '')}${path}`, endpoint.base.origin);
  target.search = query.toString();
  return target;
}

/** One request; an unreachable API is a UsageError naming it. */
export async function callApi(
  command: string,
  endpoint: ApiEndpoint,
  request: { method: string; path: string; query?: URLSearchParams; body?: unknown; headers?: Record<string, string> },
): Promise<ApiAnswer> {
  const url = apiUrl(endpoint, request.path, request.query);
  let response: Response;
  let raw: string;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: {
        Authorization: `Bearer ${endpoint.token}`,
        Accept: 'application/json, application/problem+json',
        ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    raw = await response.text();
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new UsageError(
      `${command}: cannot reach the API at ${url.origin}: ${error instanceof Error ? error.message : String(error)}${cause}`,
      { cause: error },
    );
  }
  let body: unknown;
  try {
    body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, raw };
}

/** The API's refusal: a headline, then each problem error on its own line. */
export function renderProblem(what: string, answer: ApiAnswer): string {
  const { status, body, raw } = answer;
  const problem: ProblemLike = isObject(body) ? (body as ProblemLike) : {};
  const errors = problem.errors ?? [];
  // The detail, unless it only repeats the one error printed below it.
  const detail =
    problem.detail ?? problem.message ?? (raw.trim() === '' || isObject(body) ? undefined : raw.slice(0, 200));
  const repeats = errors.length === 1 && errors[0]?.message === detail;
  const head = `grantplane: ${what} refused (HTTP ${status}${problem.title === undefined ? '' : ` ${problem.title}`})`;
  const lines = [detail === undefined || repeats ? head : `${head}: ${oneLine(detail)}`];
  for (const error of errors)
    lines.push(`${text(error.path) || '(request)'}: ${text(error.code)}: ${oneLine(text(error.message))}`);
  return `${lines.join('\n')}\n`;
}

/** The items of a list answer's pages, or the answer that refused. */
export type Listed = { items: Record<string, unknown>[]; more: boolean } | { refused: ApiAnswer };

/**
 * Follows a list route's pages (`{items, nextCursor}`) until it has `limit` items or there is no
 * `nextCursor`; `more` says items were left on the API's side.
 */
export async function listAll(
  command: string,
  endpoint: ApiEndpoint,
  path: string,
  filters: Record<string, string>,
  limit = Number.POSITIVE_INFINITY,
): Promise<Listed> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({
      ...filters,
      limit: String(Math.min(100, limit - items.length)),
      ...(cursor === undefined ? {} : { cursor }),
    });
    const answer = await callApi(command, endpoint, { method: 'GET', path, query });
    if (answer.status !== 200 || !isObject(answer.body) || !Array.isArray(answer.body.items))
      return { refused: answer };
    items.push(...answer.body.items.filter(isObject));
    cursor = typeof answer.body.nextCursor === 'string' ? answer.body.nextCursor : undefined;
  } while (cursor !== undefined && items.length < limit);
  return { items, more: cursor !== undefined };
}

/** A `--limit` option as a positive whole number (`fallback` when absent). */
export function limitOption(command: string, values: OptionValues, fallback: number): number {
  const given = stringOption(values, 'limit');
  const limit = Number(given ?? fallback);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`${command}: --limit must be a positive whole number, got "${given}"`);
  return limit;
}
