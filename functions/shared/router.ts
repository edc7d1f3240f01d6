// Path matching over the route table: the Lambdas' router and the local server's
// dispatch both use this, so neither can disagree with routes.ts.
import { problem, type Problem } from './problem-body.js';
import { ROUTES, type RouteGroup, type RouteSpec } from './routes.js';

export type RouteMatch =
  | { kind: 'match'; route: RouteSpec; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

interface Compiled {
  route: RouteSpec;
  segments: string[];
}

/**
 * The segments after the leading `/`, empty ones kept: like API Gateway, `/v1//grants` and
 * `/v1/grants/` match no route (an empty segment is neither a literal nor a parameter).
 */
const splitPath = (path: string): string[] => (path.startsWith('/') ? path.slice(1) : path).split('/');

// Literal segments beat parameters (`/v1/targets/{dataPlane}/global` before `…/{project}/{domain}`).
const specificity = (segments: string[]): number => segments.filter((s) => !s.startsWith('{')).length;

const compile = (routes: readonly RouteSpec[]): Compiled[] =>
  routes
    .map((route) => ({ route, segments: splitPath(route.path) }))
    .sort((a, b) => specificity(b.segments) - specificity(a.segments));

const COMPILED = compile(ROUTES);

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matchPath(segments: string[], path: string[]): Record<string, string> | null {
  if (segments.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (const [i, template] of segments.entries()) {
    const actual = path[i] ?? '';
    if (template.startsWith('{') && template.endsWith('}')) {
      const value = decode(actual);
      if (value === undefined || value === '') return null;
      params[template.slice(1, -1)] = value;
    } else if (template !== actual) {
      return null;
    }
  }
  return params;
}

/** Finds the route for a method and path: a match, 405 with the allowed methods, or 404. */
export function matchRoute(method: string, rawPath: string, routes: readonly RouteSpec[] = ROUTES): RouteMatch {
  const compiled = routes === ROUTES ? COMPILED : compile(routes);
  const path = splitPath(rawPath);
  const allow = new Set<string>();
  for (const { route, segments } of compiled) {
    const params = matchPath(segments, path);
    if (params === null) continue;
    if (route.method === method.toUpperCase()) return { kind: 'match', route, params };
    allow.add(route.method);
  }
  if (allow.size > 0) return { kind: 'method-not-allowed', allow: [...allow].sort() };
  return { kind: 'not-found' };
}

/**
 * The route of one Lambda's group for a method and path, or the problem to answer: 404 for a path
 * no route of the group has, 405 (with `Allow`) for a method its path does not answer.
 */
export function routeOfGroup(
  group: RouteGroup,
  method: string,
  path: string,
):
  | { kind: 'match'; route: RouteSpec; params: Record<string, string> }
  | { kind: 'refused'; problem: Problem; headers: Record<string, string> } {
  const match = matchRoute(method, path);
  if (match.kind === 'match' && match.route.group === group) return match;
  if (match.kind === 'method-not-allowed')
    return {
      kind: 'refused',
      problem: problem(
        405,
        'route.method-not-allowed',
        `${path} does not answer ${method}; it answers ${match.allow.join(', ')}.`,
        undefined,
        'method',
      ),
      headers: { Allow: match.allow.join(', ') },
    };
  return {
    kind: 'refused',
    problem: problem(
      404,
      'route.not-found',
      `No route ${method} ${path}; see openapi.yaml for the API's routes.`,
      undefined,
      'path',
    ),
    headers: {},
  };
}
