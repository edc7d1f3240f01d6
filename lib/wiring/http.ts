// Composition root of the HTTP and webhook Lambdas: real DynamoDB client → adapters → the deps
// their handlers take. No IAM or STS: those bundles never reach IAM (lib/wiring/applier.ts does).
// SDK clients are built once at module scope and pick their endpoints from the SDK's standard
// configuration (AWS_ENDPOINT_URL_DYNAMODB, …). Everything that needs the environment is built on
// first use, so importing a handler module in a test needs no environment at all.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from '../domain/zod.js';
import { makeDocumentClient } from '../adapters/dynamodb/client.js';
import { makeDynamoStores } from '../adapters/dynamodb/stores.js';
import type { AppDeps } from '../app/deps.js';
import { parseConfig, type GrantplaneConfig } from '../domain/config.js';
import { DesiredCache } from '../app/desired-cache.js';
import type { Clock, Ids } from '../domain/ports.js';

/** What every HTTP handler takes: the use cases' deps plus the table itself. */
export interface HttpDeps {
  app: AppDeps;
  /**
   * The table and its client, for the grants function's `Idempotency-Key` persistence, which that
   * function builds itself (functions/shared/idempotency.ts): no other function carries it.
   */
  table: { client: DynamoDBClient; tableName: string };
}

/** Handlers take deps, or a function giving them on first use (the live wiring). */
export type DepsSource = HttpDeps | (() => HttpDeps);

/** The deps of a DepsSource. */
export const resolveDeps = (source: DepsSource): HttpDeps => (typeof source === 'function' ? source() : source);

/** A missing or wrong environment variable; the message names it. */
export class WiringError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WiringError';
  }
}

export const systemClock: Clock = { now: () => new Date() };

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULIDs: 48-bit millisecond time + 80 random bits, Crockford base32 — sortable by creation time. */
export const ulidIds = (clock: Clock = systemClock): Ids => ({
  next: () => {
    let time = clock.now().getTime();
    let head = '';
    for (let i = 0; i < 10; i += 1) {
      head = CROCKFORD[time % 32] + head;
      time = Math.floor(time / 32);
    }
    const random = randomBytes(16);
    let tail = '';
    for (let i = 0; i < 16; i += 1) tail += CROCKFORD[(random[i] ?? 0) % 32];
    return head + tail;
  },
});

export interface BuildDepsInput {
  client: DynamoDBClient;
  tableName: string;
  config: GrantplaneConfig;
  clock?: Clock;
  ids?: Ids;
}

/** Builds HTTP deps on a DynamoDB client and table (live wiring and tests alike). */
export function buildDeps(input: BuildDepsInput): HttpDeps {
  const clock = input.clock ?? systemClock;
  return {
    app: {
      ...makeDynamoStores(makeDocumentClient(input.client), input.tableName),
      config: input.config,
      clock,
      ids: input.ids ?? ulidIds(clock),
      // The container's reads for submits, kept while it is warm (lib/app/desired-cache.ts).
      desiredCache: new DesiredCache(),
    },
    table: { client: input.client, tableName: input.tableName },
  };
}

const envSchema = z.object({
  GRANTPLANE_TABLE: z
    .string({ error: 'GRANTPLANE_TABLE is required: the DynamoDB table name' })
    .check(z.minLength(1, 'GRANTPLANE_TABLE must not be empty')),
  GRANTPLANE_CONFIG_JSON: z.optional(z.string().check(z.minLength(1))),
  GRANTPLANE_CONFIG: z.optional(z.string().check(z.minLength(1))),
});

/**
 * The configuration from GRANTPLANE_CONFIG_JSON (the document) or GRANTPLANE_CONFIG (a JSON file:
 * the deployment bundles the configuration as JSON, so no YAML parser rides in any function; the
 * CLI and `npm start` read YAML and hand the functions JSON).
 */
export function configFromEnv(env: Record<string, string | undefined>, cwd = process.cwd()): GrantplaneConfig {
  if (env.GRANTPLANE_CONFIG_JSON !== undefined && env.GRANTPLANE_CONFIG_JSON !== '') {
    let raw: unknown;
    try {
      raw = JSON.parse(env.GRANTPLANE_CONFIG_JSON);
    } catch (error: unknown) {
      throw new WiringError(
        `GRANTPLANE_CONFIG_JSON is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return configFromDocument(raw, 'GRANTPLANE_CONFIG_JSON');
  }
  if (env.GRANTPLANE_CONFIG !== undefined && env.GRANTPLANE_CONFIG !== '') {
    const path = resolve(cwd, env.GRANTPLANE_CONFIG);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error: unknown) {
      throw new WiringError(
        `GRANTPLANE_CONFIG=${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error: unknown) {
      throw new WiringError(
        `GRANTPLANE_CONFIG=${path} is not JSON (${error instanceof Error ? error.message : String(error)}): the functions read the configuration as the deployment bundles it, in JSON; YAML is read by the CLI and npm start`,
        { cause: error },
      );
    }
    return configFromDocument(raw, 'GRANTPLANE_CONFIG');
  }
  throw new WiringError('GRANTPLANE_CONFIG (a JSON file path) or GRANTPLANE_CONFIG_JSON (the document) is required');
}

/** A configuration document already read (from `source`, named in its errors), parsed. */
export function configFromDocument(raw: unknown, source: string): GrantplaneConfig {
  try {
    return parseConfig(raw);
  } catch (error: unknown) {
    throw new WiringError(`${source}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

// Built once per process, at module scope; no request is made until first use.
export const liveDynamoClient = new DynamoDBClient({});
let live: HttpDeps | undefined;

/** GRANTPLANE_TABLE from the environment, or a WiringError naming what is missing. */
export function tableFromEnv(env: Record<string, string | undefined>): string {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new WiringError(parsed.error.issues[0]?.message ?? 'invalid environment');
  return parsed.data.GRANTPLANE_TABLE;
}

/** The live deps from the environment, built on first use and kept for the life of the process. */
export function liveDeps(): HttpDeps {
  live ??= buildDeps({
    client: liveDynamoClient,
    tableName: tableFromEnv(process.env),
    config: configFromEnv(process.env),
  });
  return live;
}
