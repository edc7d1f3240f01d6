// The one mapping from errors to HTTP answers: RFC 9457 problem+json with an
// `errors` array of {path, code, message} (docs/api.md). 4xx bodies say what to fix; 5xx bodies are
// generic and the detail goes to the log only.
import { HttpError } from '@middy/util';
import {
  BadRequestError,
  EngineError,
  ForbiddenError,
  NotFoundError,
  StateConflictError,
  UnauthorizedError,
  ValidationError,
} from '../../lib/domain/errors.js';
import { ConcurrentUpdateError } from '../../lib/domain/ports.js';
import { problem, ProblemError, type Problem } from './problem-body.js';

export { problem, ProblemError, PROBLEM_CONTENT_TYPE, type Problem } from './problem-body.js';

/** The generic 500: nothing about the cause leaks to the caller. */
export const INTERNAL_PROBLEM: Problem = problem(
  500,
  'internal',
  'The service failed to handle the request. It has been logged; retry later or contact the operators.',
);

/** The engine failed (docs/rules.md): a 500 that says so, with nothing of the cause. */
export const ENGINE_PROBLEM: Problem = problem(
  500,
  'engine.internal-error',
  'The service could not compute the plan; nothing was changed. It has been logged; retry later or contact the operators.',
);

export interface MappedError {
  problem: Problem;
  headers: Record<string, string>;
  /** false for 5xx: the caller learns nothing of the cause, the log gets everything. */
  clientError: boolean;
}

const JSON_PARSER = '@middy/http-json-body-parser';

function causePackage(error: HttpError): string | undefined {
  const cause: unknown = error.cause;
  if (typeof cause === 'object' && cause !== null && 'package' in cause && typeof cause.package === 'string')
    return cause.package;
  return undefined;
}

/** Maps any thrown value to the problem to answer with, by `instanceof`, in this one place. */
export function mapError(error: unknown): MappedError {
  const client = (p: Problem, headers: Record<string, string> = {}): MappedError => ({
    problem: p,
    headers,
    clientError: true,
  });
  if (error instanceof ProblemError)
    return { problem: error.problem, headers: error.headers, clientError: error.problem.status < 500 };
  if (error instanceof EngineError) return { problem: ENGINE_PROBLEM, headers: {}, clientError: false };
  if (error instanceof ValidationError) return client(problem(422, 'validation', error.message, error.violations));
  if (error instanceof BadRequestError) return client(problem(400, 'bad-request', error.message, error.violations));
  const coded = (status: number, e: UnauthorizedError | ForbiddenError | NotFoundError | StateConflictError) =>
    client(
      problem(status, e.code, e.message, undefined, e.path),
      e.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(e.retryAfterSeconds) },
    );
  if (error instanceof UnauthorizedError) return coded(401, error);
  if (error instanceof ForbiddenError) return coded(403, error);
  if (error instanceof NotFoundError) return coded(404, error);
  if (error instanceof StateConflictError) return coded(409, error);
  if (error instanceof ConcurrentUpdateError) {
    // The use cases already retried their own write conflicts; this is contention, not a client mistake.
    return {
      problem: problem(
        503,
        'concurrent-update',
        'Too many concurrent changes to the same grant or target; retry the request.',
      ),
      headers: { 'Retry-After': '1' },
      clientError: false,
    };
  }
  if (error instanceof HttpError && error.statusCode < 500) {
    if (causePackage(error) === JSON_PARSER) {
      if (error.statusCode === 415) {
        return client(
          problem(
            415,
            'request.unsupported-media-type',
            'Send the body as JSON with Content-Type: application/json.',
            undefined,
            'headers.content-type',
          ),
        );
      }
      // middy answers 422 for unparseable JSON; a body that is not JSON at all is malformed input → 400.
      return client(
        problem(400, 'request.malformed-json', `The body is not valid JSON: ${error.message}.`, undefined, 'body'),
      );
    }
    return client(problem(error.statusCode, 'request.invalid', error.message));
  }
  return { problem: INTERNAL_PROBLEM, headers: {}, clientError: false };
}
