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

/** No token, or a bad one → 401. */
export class UnauthorizedError extends Error {
  constructor(message = 'Unauthorized') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** A valid caller without the needed role, or deciding on their own request → 403. */
export class ForbiddenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ForbiddenError';
    this.code = code;
  }
}

/** The addressed grant, target or update does not exist → 404. */
export class NotFoundError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'NotFoundError';
    this.code = code;
  }
}

/** The operation does not fit the resource's current state (approve a revoked grant, prune guard) → 409. */
export class StateConflictError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'StateConflictError';
    this.code = code;
  }
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
