// GET /healthz (docs/api.md): liveness, no token, no dependency touched — a dead table must not make
// API Gateway or a load balancer think the function itself is down. Outside the HTTP chain on
// purpose: it needs no token, body, logger or metrics, and a cold start of it imports nothing but
// the route table (npm run bench -- cold-import). Wrong paths and methods get the chain's 404/405.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PROBLEM_CONTENT_TYPE } from '../shared/problem-body.js';
import { routeOfGroup } from '../shared/router.js';

/** The health Lambda. */
export const makeHandler =
  () =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const match = routeOfGroup('http/health', event.requestContext?.http?.method ?? 'GET', event.rawPath ?? '/');
    if (match.kind === 'refused')
      return {
        statusCode: match.problem.status,
        headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...match.headers },
        body: JSON.stringify(match.problem),
      };
    return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'ok' }) };
  };

export const handler = makeHandler();
