// API Gateway HTTP API (payload 2.0) events and Lambda contexts as the service receives them in
// AWS — JWT claims as strings, arrays flattened to `[a b]` — so a benchmark drives a Lambda
// handler exactly as API Gateway would, without the local HTTP server in between.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { matchRoute } from '../functions/shared/router.js';

export interface BenchEventInput {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The authorizer's caller; omitted: no authorizer context. */
  caller?: { sub: string; groups: readonly string[] };
  /** Query string parameters, as API Gateway passes them. */
  query?: Record<string, string>;
}

/** An API Gateway v2 event for `method path` with the JWT authorizer's claims. */
export function apiGatewayEvent(input: BenchEventInput): APIGatewayProxyEventV2 {
  const match = matchRoute(input.method, input.path);
  const routeKey = match.kind === 'match' ? `${match.route.method} ${match.route.path}` : '$default';
  const headers: Record<string, string> = { host: 'api.bench.local', ...(input.headers ?? {}) };
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const now = Date.now();
  const claims =
    input.caller === undefined
      ? undefined
      : {
          sub: input.caller.sub,
          groups: `[${input.caller.groups.join(' ')}]`,
          iss: 'https://idp.bench.local',
          exp: String(Math.floor(now / 1000) + 3600),
        };
  return {
    version: '2.0',
    routeKey,
    rawPath: input.path,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    ...(input.query === undefined || Object.keys(input.query).length === 0
      ? {}
      : { queryStringParameters: input.query }),
    ...(match.kind === 'match' && Object.keys(match.params).length > 0 ? { pathParameters: match.params } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'api.bench.local',
      domainPrefix: 'api',
      http: { method: input.method, path: input.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      ...(claims === undefined ? {} : { authorizer: { jwt: { claims, scopes: [] } } }),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** A Lambda context as the runtime passes it. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'grantplane-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:grantplane-bench',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/grantplane-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
