// The local HTTP adapter (docs/api.md): a node:http server that turns each request into the API
// Gateway HTTP API v2 event the deployed API would deliver, and calls the very handlers the Lambdas
// export. It plays API Gateway's JWT authorizer too: routes that need a token get 401
// {"message":"Unauthorized"} here, before any handler, unless the bearer token verifies.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { needsIdentity } from '../../functions/shared/auth.js';
import type { HttpHandler } from '../../functions/shared/http.js';
import { matchRoute } from '../../functions/shared/router.js';
import { ROUTES, type RouteGroup } from '../../functions/shared/routes.js';
import { InvalidTokenError, verifyJwt, type JwtClaims } from './jwt.js';
import { localContext } from './loops.js';

/** API Gateway's own payload limit; our handlers refuse anything above 256 KB themselves (413). */
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

export type LambdaHandlers = Record<RouteGroup, HttpHandler>;

export interface LocalServerOptions {
  /** The Lambda handler per route group (see loadLambdaHandlers). */
  handlers: LambdaHandlers;
  /** The key local tokens are verified with. */
  jwtSecret: string;
  /** 0: a free port. */
  port?: number;
  host?: string;
}

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const GROUPS: RouteGroup[] = [...new Set(ROUTES.map((route) => route.group))];

/** Imports each route group's Lambda module (`functions/<group>.ts`) and takes its exported `handler`. */
export async function loadLambdaHandlers(): Promise<LambdaHandlers> {
  const handlers: Partial<LambdaHandlers> = {};
  for (const group of GROUPS) {
    const url = new URL(`../../functions/${group}.js`, import.meta.url);
    const loaded: unknown = await import(url.href);
    const handler = typeof loaded === 'object' && loaded !== null && 'handler' in loaded ? loaded.handler : undefined;
    if (typeof handler !== 'function') throw new Error(`functions/${group}.ts does not export a handler`);
    handlers[group] = handler as HttpHandler;
  }
  return handlers as LambdaHandlers;
}

/** API Gateway hands claims to Lambda as strings; arrays flattened to `[a b c]`. */
function gatewayClaims(claims: JwtClaims): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (Array.isArray(value)) out[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object' && value !== null) out[name] = JSON.stringify(value);
    else out[name] = String(value);
  }
  return out;
}

const TEXTUAL = /^(text\/|application\/([a-z0-9.+-]+\+)?(json|yaml|x-yaml|xml|x-www-form-urlencoded)(;|$))/i;

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function headerMap(request: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter((c) => c !== '');
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return { headers, cookies };
}

function queryMap(search: URLSearchParams): Record<string, string> | undefined {
  const query = new Map<string, string>();
  for (const [name, value] of search) query.set(name, query.has(name) ? `${query.get(name)},${value}` : value);
  // Own data properties, as the Lambda runtime's JSON.parse makes them: `__proto__` stays a key the
  // handler sees (and refuses), instead of vanishing into the object's prototype.
  return query.size === 0 ? undefined : Object.fromEntries(query);
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies !== undefined && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined ? '' : result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : result.body;
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

const unauthorized = (response: ServerResponse): void =>
  send(response, {
    statusCode: 401,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'Unauthorized' }),
  });

/** Starts the local API; requests become API Gateway HTTP API v2 events for the Lambda handlers. */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://localhost');
    // As sent: API Gateway neither resolves `.`/`..` segments nor merges `//`, so neither does this.
    const rawPath = (request.url ?? '/').split('?')[0] ?? '/';
    const match = matchRoute(method, rawPath);
    const body = await readBody(request);
    if (body === 'too-large') {
      const detail = `The body is larger than API Gateway's ${GATEWAY_MAX_BYTES / 1024 / 1024} MB payload limit; split the request.`;
      send(response, {
        statusCode: 413,
        headers: { 'content-type': 'application/problem+json' },
        body: JSON.stringify({
          type: 'urn:grantplane:problem:request.too-large',
          title: 'Content Too Large',
          status: 413,
          detail,
          errors: [{ path: 'body', code: 'request.too-large', message: detail }],
        }),
      });
      return;
    }
    const { headers, cookies } = headerMap(request);

    let claims: Record<string, string> | undefined;
    if (match.kind === 'match' && needsIdentity(match.route.access)) {
      // API Gateway's JWT authorizer takes the token alone or prefixed with "Bearer ".
      const bearer = /^(?:Bearer\s+)?(\S+)\s*$/i.exec(headers.authorization ?? '');
      if (bearer?.[1] === undefined) return unauthorized(response);
      try {
        claims = gatewayClaims(verifyJwt(bearer[1], options.jwtSecret));
      } catch (error: unknown) {
        if (error instanceof InvalidTokenError) return unauthorized(response);
        throw error;
      }
    }

    // Unknown paths and wrong methods go to a handler too, so they get the chain's 404/405 problems.
    const group: RouteGroup = match.kind === 'match' ? match.route.group : 'http/health';
    const routeKey = match.kind === 'match' ? `${match.route.method} ${match.route.path}` : '$default';
    const requestId = randomUUID();
    const now = new Date();
    const contentType = headers['content-type'] ?? '';
    const textual = body.length === 0 || TEXTUAL.test(contentType);
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies.length > 0 ? { cookies } : {}),
      headers,
      ...(queryMap(url.searchParams) === undefined ? {} : { queryStringParameters: queryMap(url.searchParams) }),
      ...(match.kind === 'match' && Object.keys(match.params).length > 0 ? { pathParameters: match.params } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        http: {
          method,
          path: rawPath,
          protocol: `HTTP/${request.httpVersion}`,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        ...(claims === undefined ? {} : { authorizer: { jwt: { claims, scopes: [] } } }),
      } as APIGatewayProxyEventV2['requestContext'],
      ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: !textual,
    };
    const result = await options.handlers[group](
      event,
      localContext(`grantplane-${group.replace('/', '-')}`, { requestId, timeoutMs: 29_000 }),
    );
    send(response, result);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A handler never throws (the chain catches); reaching here is a bug in this adapter.
      console.error('local server error', error);
      if (!response.headersSent)
        send(response, {
          statusCode: 500,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'Internal Server Error' }),
        });
      else response.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
