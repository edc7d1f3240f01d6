// Domain errors, mapped to HTTP once (functions/shared) by instanceof. 4xx messages say what to fix.
import type { RuleViolation } from './model.js';

/** The request breaks the documented rules (R1–R9) or the schema → 422 (400 for malformed input). */
export class ValidationError extends Error {
  readonly violations: RuleViolation[];
  constructor(violations: RuleViolation[], message = 'The request breaks the documented rules') {
    super(message);
    this.name = 'ValidationError';
    this.violations = violations;
  }
}

/** The request body or a parameter is not well-formed (bad JSON, wrong type) → 400. */
export class BadRequestError extends Error {
  readonly violations: RuleViolation[];
  constructor(violations: RuleViolation[], message = 'The request is malformed') {
    super(message);
    this.name = 'BadRequestError';
    this.violations = violations;
  }
}

/** Where a refusal points, and when to try again. */
export interface RefusalOptions {
  /** The field path the refusal names (`grants`, `headers`); default: the request as a whole. */
  path?: string;
  /** The same request may succeed after this many seconds (a Retry-After). */
  retryAfterSeconds?: number;
}

/** A refusal with a code: what the caller must change (or wait for) before asking again. */
abstract class CodedError extends Error {
  readonly code: string;
  readonly path: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(name: string, code: string, message: string, options: RefusalOptions = {}) {
    super(message);
    this.name = name;
    this.code = code;
    this.path = options.path ?? '';
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** No token, a bad one, or a webhook signature that does not verify → 401. */
export class UnauthorizedError extends CodedError {
  constructor(message = 'Unauthorized', code = 'auth.unauthenticated', options: RefusalOptions = {}) {
    super('UnauthorizedError', code, message, options);
  }
}

/** A valid caller without the needed role, or deciding on their own request → 403. */
export class ForbiddenError extends CodedError {
  constructor(code: string, message: string, options: RefusalOptions = {}) {
    super('ForbiddenError', code, message, options);
  }
}

/** The addressed grant, target or update does not exist → 404. */
export class NotFoundError extends CodedError {
  constructor(code: string, message: string, options: RefusalOptions = {}) {
    super('NotFoundError', code, message, options);
  }
}

/**
 * The operation does not fit the resource's current state (approve a revoked grant, the prune
 * guard, a delivery still being processed) → 409.
 */
export class StateConflictError extends CodedError {
  constructor(code: string, message: string, options: RefusalOptions = {}) {
    super('StateConflictError', code, message, options);
  }
}

/**
 * A refusal as data: what a use case remembers (a webhook delivery's answer, replayed later) and
 * turns back into the same error with errorOfRefusal, so it is mapped to HTTP in one place.
 */
export type Refusal =
  | { kind: 'validation'; message: string; violations: RuleViolation[] }
  | { kind: 'bad-request'; message: string; violations: RuleViolation[] }
  | {
      kind: 'unauthorized' | 'forbidden' | 'not-found' | 'conflict';
      code: string;
      message: string;
      path?: string;
    };

/**
 * The refusal an error stands for, or null when it is not the caller's to fix: a failure of ours,
 * or a refusal that passes by itself (it has a retryAfterSeconds) and must not be remembered.
 */
export function refusalOf(error: unknown): Refusal | null {
  if (error instanceof CodedError && error.retryAfterSeconds !== undefined) return null;
  if (error instanceof ValidationError)
    return { kind: 'validation', message: error.message, violations: error.violations };
  if (error instanceof BadRequestError)
    return { kind: 'bad-request', message: error.message, violations: error.violations };
  const coded = (kind: 'unauthorized' | 'forbidden' | 'not-found' | 'conflict', e: CodedError): Refusal => ({
    kind,
    code: e.code,
    message: e.message,
    ...(e.path === '' ? {} : { path: e.path }),
  });
  if (error instanceof UnauthorizedError) return coded('unauthorized', error);
  if (error instanceof ForbiddenError) return coded('forbidden', error);
  if (error instanceof NotFoundError) return coded('not-found', error);
  if (error instanceof StateConflictError) return coded('conflict', error);
  return null;
}

/** The error a remembered refusal stands for (the inverse of refusalOf). */
export function errorOfRefusal(refusal: Refusal): Error {
  if (refusal.kind === 'validation') return new ValidationError(refusal.violations, refusal.message);
  if (refusal.kind === 'bad-request') return new BadRequestError(refusal.violations, refusal.message);
  const options = refusal.path === undefined ? {} : { path: refusal.path };
  if (refusal.kind === 'unauthorized') return new UnauthorizedError(refusal.message, refusal.code, options);
  if (refusal.kind === 'forbidden') return new ForbiddenError(refusal.code, refusal.message, options);
  if (refusal.kind === 'not-found') return new NotFoundError(refusal.code, refusal.message, options);
  return new StateConflictError(refusal.code, refusal.message, options);
}

/**
 * The engine could not compute a plan: a bug, or data it needs (the IAM action catalogue) is
 * unusable. Never a user error: the caller answers 5xx (no detail), the CLI exits 2, nothing is
 * written, and the operator gets an error log and the `EngineErrors` metric (docs/rules.md).
 */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}
