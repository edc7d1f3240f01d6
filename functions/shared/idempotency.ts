// The optional `Idempotency-Key` header (docs/api.md) with Powertools idempotency on the same table
// (DynamoDBPersistenceLayer, keyAttr pk / sortKeyAttr sk): the same caller and key again → the
// first result; the same key with a different body → IdempotencyValidationError (422).
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import * as z from '../../lib/domain/zod.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { HttpDeps } from '../../lib/wiring/http.js';
import { parseWith } from './params.js';
import { problem, ProblemError } from './problem-body.js';

interface Call<P> {
  /** [caller, header value]: one caller's key never collides with another's. */
  idempotencyKey: [string, string];
  payload: P;
  actor: Identity;
  requestId: string;
}

/** The result, and whether it is the stored answer of an earlier request with the same key. */
export interface IdempotentResult<R> {
  value: R;
  replayed: boolean;
}

export type IdempotentCall<P, R> = (
  key: string,
  payload: P,
  actor: Identity,
  context: Context,
) => Promise<IdempotentResult<R>>;

/** The Powertools persistence on grantplane's own table (keyAttr pk, sortKeyAttr sk, ttl). */
export const persistenceOn = (table: HttpDeps['table']): BasePersistenceLayer =>
  new DynamoDBPersistenceLayer({
    tableName: table.tableName,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    expiryAttr: 'ttl',
    awsSdkV3Client: table.client,
  });

const headerValue = z
  .string()
  .check(z.minLength(1), z.maxLength(255, 'Idempotency-Key must be at most 255 characters'));

/** Wraps `fn` so a repeated (caller, key) answers the stored first result for 24 hours. */
export function makeIdempotentCall<P, R>(
  persistenceStore: BasePersistenceLayer,
  fn: (payload: P, actor: Identity) => Promise<R>,
): IdempotentCall<P, R> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    payloadValidationJmesPath: 'payload',
    expiresAfterSeconds: 24 * 3600,
  });
  // The stored answer carries the id of the invocation that produced it, so a replay is recognisable (200, not 201).
  const wrapped = makeIdempotent(
    async (call: Call<P>) => ({ value: await fn(call.payload, call.actor), requestId: call.requestId }),
    { persistenceStore, config },
  );
  return async (key, payload, actor, context) => {
    // Lets Powertools expire an in-progress record when this invocation times out.
    config.registerLambdaContext(context);
    const idempotencyKey: [string, string] = [actor.sub, parseWith(headerValue, key, 'headers.idempotency-key')];
    const call = { idempotencyKey, payload, actor, requestId: context.awsRequestId };
    const stored = (await answerOf(waitWhileInProgress(() => wrapped(call), context))) as {
      value: R;
      requestId: string;
    };
    return { value: stored.value, replayed: stored.requestId !== context.awsRequestId };
  };
}

/**
 * Powertools' refusals as the answers docs/api.md gives, here where they arise: the error mapping
 * (problem.ts) then needs no Powertools, and no other function carries it.
 */
async function answerOf<T>(attempt: Promise<T>): Promise<T> {
  try {
    return await attempt;
  } catch (error: unknown) {
    if (error instanceof IdempotencyValidationError)
      throw new ProblemError(
        problem(
          422,
          'idempotency.key-reused',
          'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
          undefined,
          'headers.idempotency-key',
        ),
      );
    if (error instanceof IdempotencyAlreadyInProgressError)
      throw new ProblemError(
        problem(
          409,
          'idempotency.in-progress',
          'A request with this Idempotency-Key is still being processed; retry in a moment.',
          undefined,
          'headers.idempotency-key',
        ),
        { 'Retry-After': '1' },
      );
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Concurrent requests with one key all succeed (docs/api.md): a duplicate that finds the first still
 * in progress waits for its stored answer instead of answering 409 — for at most 10 s, and never
 * past the invocation's own deadline; only then does IdempotencyAlreadyInProgressError reach the
 * caller (409 with Retry-After).
 */
async function waitWhileInProgress<T>(attempt: () => Promise<T>, context: Context): Promise<T> {
  const deadline = Date.now() + Math.min(10_000, Math.max(0, context.getRemainingTimeInMillis() - 1_000));
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await attempt();
    } catch (error: unknown) {
      if (!(error instanceof IdempotencyAlreadyInProgressError) || Date.now() + delay > deadline) throw error;
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
