// The one source of truth for HTTP routes: the router, the CDK HTTP API and
// openapi.yaml are all checked against this table.

import type { Role } from '../../lib/domain/ports.js';

export type { Role };

/** `authenticated`: any valid token; a role list: at least one of them; `signature`/`none`: no token. */
export type Access = 'none' | 'signature' | 'authenticated' | readonly Role[];

/** Lambda entry files under functions/ that serve HTTP routes. */
export type RouteGroup =
  | 'http/grants'
  | 'http/plan'
  | 'http/targets'
  | 'http/attributes'
  | 'http/sources'
  | 'http/drift'
  | 'http/audit'
  | 'http/health'
  | 'http/console'
  | 'webhook';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway / OpenAPI path template. */
  path: string;
  group: RouteGroup;
  access: Access;
  /** Whether the route takes a JSON (or YAML, where documented) body. */
  body: boolean;
  operationId: string;
}

// approve/reject: admin is the superset role and may decide too, but never on its own request
// (docs/api.md "admins included": that 403 grant.self-approval is the use case's, for every role).
export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/v1/grants',
    group: 'http/grants',
    access: ['requester'],
    body: true,
    operationId: 'createGrant',
  },
  {
    method: 'GET',
    path: '/v1/grants',
    group: 'http/grants',
    access: 'authenticated',
    body: false,
    operationId: 'listGrants',
  },
  {
    method: 'GET',
    path: '/v1/grants/{id}',
    group: 'http/grants',
    access: 'authenticated',
    body: false,
    operationId: 'getGrant',
  },
  {
    method: 'POST',
    path: '/v1/grants/{id}/approve',
    group: 'http/grants',
    access: ['approver', 'admin'],
    body: true,
    operationId: 'approveGrant',
  },
  {
    method: 'POST',
    path: '/v1/grants/{id}/reject',
    group: 'http/grants',
    access: ['approver', 'admin'],
    body: true,
    operationId: 'rejectGrant',
  },
  {
    method: 'DELETE',
    path: '/v1/grants/{id}',
    group: 'http/grants',
    access: ['requester', 'admin'],
    body: false,
    operationId: 'revokeGrant',
  },
  {
    method: 'POST',
    path: '/v1/plan',
    group: 'http/plan',
    access: 'authenticated',
    body: true,
    operationId: 'planGrants',
  },
  {
    method: 'GET',
    path: '/v1/targets',
    group: 'http/targets',
    access: 'authenticated',
    body: false,
    operationId: 'listTargets',
  },
  {
    method: 'GET',
    path: '/v1/targets/{dataPlane}/global',
    group: 'http/targets',
    access: 'authenticated',
    body: false,
    operationId: 'getGlobalTarget',
  },
  {
    method: 'GET',
    path: '/v1/targets/{dataPlane}/{project}/{domain}',
    group: 'http/targets',
    access: 'authenticated',
    body: false,
    operationId: 'getTarget',
  },
  {
    method: 'GET',
    path: '/v1/held-changes',
    group: 'http/attributes',
    access: 'authenticated',
    body: false,
    operationId: 'listHeldChanges',
  },
  {
    method: 'GET',
    path: '/v1/held-changes/{dataPlane}',
    group: 'http/attributes',
    access: 'authenticated',
    body: false,
    operationId: 'getHeldChange',
  },
  {
    method: 'POST',
    path: '/v1/held-changes/{dataPlane}/release',
    group: 'http/attributes',
    access: ['admin'],
    body: true,
    operationId: 'releaseHeldChange',
  },
  {
    method: 'PUT',
    path: '/v1/attributes/{dataPlane}/{project}/{domain}',
    group: 'http/attributes',
    access: ['admin'],
    body: true,
    operationId: 'importAttributes',
  },
  {
    method: 'GET',
    path: '/v1/attribute-updates',
    group: 'http/attributes',
    access: ['approver', 'admin'],
    body: false,
    operationId: 'listAttributeUpdates',
  },
  {
    method: 'POST',
    path: '/v1/attribute-updates/{id}/ack',
    group: 'http/attributes',
    access: ['admin'],
    body: false,
    operationId: 'acknowledgeAttributeUpdate',
  },
  {
    method: 'GET',
    path: '/v1/infrastructure-updates',
    group: 'http/attributes',
    access: ['approver', 'admin'],
    body: false,
    operationId: 'listInfrastructureUpdates',
  },
  {
    method: 'POST',
    path: '/v1/infrastructure-updates/{id}/ack',
    group: 'http/attributes',
    access: ['admin'],
    body: false,
    operationId: 'acknowledgeInfrastructureUpdate',
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{source}',
    group: 'webhook',
    access: 'signature',
    body: true,
    operationId: 'receiveWebhook',
  },
  {
    method: 'PUT',
    path: '/v1/sources/{source}/grants',
    group: 'http/sources',
    access: ['admin'],
    body: true,
    operationId: 'syncSourceGrants',
  },
  {
    method: 'POST',
    path: '/v1/drift-checks',
    group: 'http/drift',
    access: ['admin'],
    body: false,
    operationId: 'startDriftCheck',
  },
  {
    method: 'GET',
    path: '/v1/drift-checks/latest',
    group: 'http/drift',
    access: 'authenticated',
    body: false,
    operationId: 'getLatestDriftCheck',
  },
  {
    method: 'GET',
    path: '/v1/audit',
    group: 'http/audit',
    access: ['approver', 'admin'],
    body: false,
    operationId: 'listAudit',
  },
  { method: 'GET', path: '/healthz', group: 'http/health', access: 'none', body: false, operationId: 'health' },
  // The web console's static files (docs/console.md): public; the data behind them needs a token.
  { method: 'GET', path: '/console', group: 'http/console', access: 'none', body: false, operationId: 'consoleHome' },
  {
    method: 'GET',
    path: '/console/{file}',
    group: 'http/console',
    access: 'none',
    body: false,
    operationId: 'consoleFile',
  },
];
