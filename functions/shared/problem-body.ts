// The problem+json body (RFC 9457) every error answer carries, and the error that carries one,
// alone: the health function and the idempotency wrapper build theirs without the error mapping's
// imports (problem.ts has the mapping).
import type { RuleViolation } from '../../lib/domain/model.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  /** A URI naming the kind of problem: `urn:grantplane:problem:<slug>`. */
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: RuleViolation[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Builds a problem; `errors` defaults to one entry carrying `code` and `detail`. */
export function problem(status: number, slug: string, detail: string, errors?: RuleViolation[], path = ''): Problem {
  return {
    type: `urn:grantplane:problem:${slug}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    errors: errors ?? [{ path, code: slug, message: detail }],
  };
}

/** A problem to answer with; thrown by the chain itself (router, body checks, identity). */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(problem: Problem, headers: Record<string, string> = {}) {
    super(problem.detail);
    this.name = 'ProblemError';
    this.problem = problem;
    this.headers = headers;
  }
}
