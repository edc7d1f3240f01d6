// The one middy chain every HTTP Lambda uses, built once here:
//   context-aware logger → header normalizer → error handler → problem+json translation
//   → route/identity/body checks → JSON body parser (body routes only) → the route's function.
// `problemDetails` is .use()d after httpErrorHandler because onError runs in reverse: it turns every
// error into a problem+json HttpError first, and httpErrorHandler then renders it.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createError } from '@middy/util';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../../lib/domain/errors.js';
import {
  allows,
  identityOf,
  needsIdentity,
  parseAuthEnv,
  SubjectTooLongError,
  type AuthConfig,
  type Identity,
} from './auth.js';
import { logger as defaultLogger } from './logger.js';
import { countIfEngineError, publishNow } from './metrics.js';
import { mapError, problem, ProblemError, PROBLEM_CONTENT_TYPE } from './problem.js';
import { routeOfGroup } from './router.js';
import { ROUTES } from './routes.js';
import type { RouteGroup, RouteSpec } from './routes.js';

/** Bodies above this are refused with 413 before any parsing. */
export const MAX_BODY_BYTES = 256 * 1024;
/**
 * Longest path parameter: far above every real id, plane, project or domain (ids are 26–70
 * characters, a namespace at most 63), far below DynamoDB's key limits (2,048 bytes for a partition
 * key), so an oversized one is a 400 naming it, never a key DynamoDB refuses.
 */
export const MAX_PATH_PARAMETER_CHARS = 256;

/** What a route function receives: everything already checked and parsed. */
export interface RouteRequest {
  route: RouteSpec;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON body; undefined when the request had none (or the route takes none). */
  body: unknown;
  /** The raw (decoded) body text, for routes that also accept YAML. */
  rawBody: string | undefined;
  /** Set on every route that needs a token; null only on `none`/`signature` routes. */
  identity: Identity | null;
  context: Context;
}

/** The caller of a route that needs a token (the chain has already refused requests without one). */
export function callerOf(request: RouteRequest): Identity {
  if (request.identity === null)
    throw new UnauthorizedError('No verified identity: send Authorization: Bearer <token>.');
  return request.identity;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteFunction = (request: RouteRequest) => Promise<RouteResult>;

/** Route functions of one Lambda, by the route's operationId. */
export type RouteFunctions = Partial<Record<string, RouteFunction>>;

export interface ChainOptions {
  auth?: AuthConfig;
  logger?: typeof defaultLogger;
  /** operationIds whose body may also be YAML (parsed by the route itself from rawBody). */
  yamlBodies?: readonly string[];
}

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

// Parsed once at cold start; a bad value fails the import naming the variable.
let envAuth: AuthConfig | undefined;
const authFromEnv = (): AuthConfig => (envAuth ??= parseAuthEnv(process.env));

interface Checked {
  route: RouteSpec;
  params: Record<string, string>;
  identity: Identity | null;
  body: unknown;
  rawBody: string | undefined;
}

const YAML_TYPE = /^(application|text)\/(x-)?yaml(;|$)/i;

function decodedBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** Wraps route functions of one route group in the one chain; the result is the Lambda handler. */
export function makeHttpHandler(group: RouteGroup, functions: RouteFunctions, options: ChainOptions = {}): HttpHandler {
  // Every route of the group has its function, and every function a route of the group: a gap
  // fails the cold start (and the tests), never a request.
  const own = ROUTES.filter((route) => route.group === group).map((route) => route.operationId);
  const missing = own.filter((operationId) => functions[operationId] === undefined);
  const foreign = Object.keys(functions).filter((operationId) => !own.includes(operationId));
  if (missing.length > 0 || foreign.length > 0)
    throw new Error(
      `${group}: ${missing.length > 0 ? `no function for ${missing.join(', ')}` : ''}${missing.length > 0 && foreign.length > 0 ? '; ' : ''}${foreign.length > 0 ? `${foreign.join(', ')} not a route of the group` : ''}`,
    );
  const log = options.logger ?? defaultLogger;
  const auth = options.auth ?? authFromEnv();
  const yamlBodies = new Set(options.yamlBodies ?? []);
  const jsonParser = httpJsonBodyParser();
  const checked = new WeakMap<object, Checked>();

  // Route, identity (401/403), size (413) and media type (415) — in the order API Gateway would.
  const checkRequest: middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
    before: async (request) => {
      const event = request.event;
      const method = event.requestContext?.http?.method ?? 'GET';
      const path = event.rawPath ?? '/';
      const match = routeOfGroup(group, method, path);
      if (match.kind === 'refused') throw new ProblemError(match.problem, match.headers);
      const { route, params } = match;
      let identity: Identity | null = null;
      if (needsIdentity(route.access)) {
        try {
          identity = identityOf(event, auth);
        } catch (error: unknown) {
          if (!(error instanceof SubjectTooLongError)) throw error;
          throw new BadRequestError([{ path: 'token.sub', code: 'request.invalid', message: error.message }]);
        }
        if (identity === null) throw new UnauthorizedError('No verified identity: send Authorization: Bearer <token>.');
        if (!allows(route.access, identity)) {
          const roles = Array.isArray(route.access) ? route.access.join(' or ') : '';
          throw new ForbiddenError(
            'auth.missing-role',
            `${route.method} ${route.path} needs the role ${roles}; your token gives ${identity.roles.join(', ') || 'no grantplane role'}.`,
          );
        }
      }
      for (const [name, value] of Object.entries(params)) {
        if (value.length > MAX_PATH_PARAMETER_CHARS) {
          throw new BadRequestError([
            {
              path: `path.${name}`,
              code: 'request.invalid',
              message: `${name} is ${value.length} characters long; no ${name} is longer than ${MAX_PATH_PARAMETER_CHARS}.`,
            },
          ]);
        }
      }
      const rawBody = route.body ? decodedBody(event) : undefined;
      let body: unknown;
      if (rawBody !== undefined) {
        if (Buffer.byteLength(rawBody, 'utf8') > MAX_BODY_BYTES) {
          throw new ProblemError(
            problem(
              413,
              'request.too-large',
              `The body is larger than ${MAX_BODY_BYTES / 1024} KB; split the request.`,
              undefined,
              'body',
            ),
          );
        }
        const contentType = event.headers?.['content-type'] ?? '';
        if (yamlBodies.has(route.operationId) && YAML_TYPE.test(contentType)) {
          body = undefined; // the route parses YAML from rawBody itself
        } else {
          await jsonParser.before?.(request as never);
          body = (request.event as { body?: unknown }).body;
        }
      }
      checked.set(event, { route, params, identity, body, rawBody });
    },
  };

  // Runs before httpErrorHandler's onError (reverse order): every error leaves as problem+json.
  const problemDetails: middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
    onError: (request) => {
      const mapped = mapError(request.error);
      const where = {
        method: request.event.requestContext?.http?.method,
        path: request.event.rawPath,
        status: mapped.problem.status,
      };
      if (mapped.clientError) {
        log.info('request refused', { ...where, code: mapped.problem.errors[0]?.code });
      } else {
        if (countIfEngineError(request.error)) publishNow();
        log.error('request failed', {
          ...where,
          error: request.error instanceof Error ? request.error : String(request.error),
        });
      }
      // mapError already made 5xx bodies generic; the cause went to the log line above.
      const error = createError(mapped.problem.status, JSON.stringify(mapped.problem), { expose: true });
      error.headers = { 'Content-Type': PROBLEM_CONTENT_TYPE, ...mapped.headers };
      request.error = error;
    },
  };

  const dispatch = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const state = checked.get(event);
    if (state === undefined) throw new Error('request reached dispatch without the route check');
    const fn = state.route.group === group ? functions[state.route.operationId] : undefined;
    if (fn === undefined) {
      // Another function's route (API Gateway never sends one here): as unknown to this one as any.
      throw new ProblemError(
        problem(
          404,
          'route.not-found',
          `${state.route.method} ${state.route.path} is not served by ${group}.`,
          undefined,
          'path',
        ),
      );
    }
    const result = await fn({
      route: state.route,
      params: state.params,
      query: Object.fromEntries(
        Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      headers: Object.fromEntries(
        Object.entries(event.headers ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      body: state.body,
      rawBody: state.rawBody,
      identity: state.identity,
      context,
    });
    const hasBody = result.body !== undefined;
    return {
      statusCode: result.status,
      headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...result.headers },
      body: hasBody ? JSON.stringify(result.body) : '',
    };
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(log, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(httpErrorHandler({ logger: false }))
    .use(problemDetails)
    .use(checkRequest)
    .handler(dispatch);
}
