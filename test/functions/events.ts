// Builders for API Gateway HTTP API v2 events and Lambda contexts, as API Gateway delivers them
// (claims as strings, arrays flattened to `[a b]`), so handler tests exercise the real shapes.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { matchRoute } from '../../functions/shared/router.js';

export interface EventInput {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** An object is sent as JSON (content-type application/json unless given). */
  body?: unknown;
  /** Caller: sub and groups; omitted → no authorizer in the event. */
  caller?: { sub: string; groups?: string[] } | Record<string, string>;
}

/** An API Gateway HTTP API v2 event for `method path`, with the authorizer's claims when given. */
export function apiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const match = matchRoute(input.method, input.path);
  const headers: Record<string, string> = { host: 'api.example.test', ...(input.headers ?? {}) };
  let body: string | undefined;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['Content-Type'] = 'application/json';
  }
  const query = input.query ?? {};
  let claims: Record<string, string> | undefined;
  if (input.caller !== undefined) {
    const caller = input.caller;
    if ('groups' in caller && Array.isArray(caller.groups)) {
      claims = {
        sub: String(caller.sub),
        groups: `[${caller.groups.join(' ')}]`,
        iss: 'https://idp.example.test',
        exp: '4102444800',
      };
    } else {
      claims = Object.fromEntries(Object.entries(caller).map(([k, v]) => [k, String(v)]));
    }
  }
  const routeKey = match.kind === 'match' ? `${match.route.method} ${match.route.path}` : '$default';
  return {
    version: '2.0',
    routeKey,
    rawPath: input.path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(match.kind === 'match' && Object.keys(match.params).length > 0 ? { pathParameters: match.params } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'vitest',
      },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '23/Nov/2026:04:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
      ...(claims === undefined ? {} : { authorizer: { jwt: { claims, scopes: [] } } }),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** A Lambda context as the runtime passes it. */
export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'grantplane-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:grantplane-test',
  memoryLimitInMB: '1024',
  awsRequestId: randomUUID(),
  logGroupName: '/aws/lambda/grantplane-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Invokes a handler and parses its answer. */
export async function invoke(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>,
  input: EventInput,
): Promise<Answer> {
  const result = await handler(apiEvent(input), lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  return { status: result.statusCode ?? 200, headers, body: text === '' ? undefined : JSON.parse(text) };
}
