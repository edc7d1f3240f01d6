// A stand-in for Azure Resource Manager's role assignments (Microsoft.Authorization, api-version
// 2022-04-01), on the wire as @azure/arm-authorization speaks it, over HTTPS (the SDK sends bearer
// tokens to https URLs only; the certificate is lib/local/cloud/tls/localhost-cert.pem):
//   PUT    /{scope}/providers/Microsoft.Authorization/roleAssignments/{name}  → 201 the assignment;
//          the same (scope, role, principal) under another name → 409 RoleAssignmentExists;
//          the same name with other properties → 400 RoleAssignmentUpdateNotPermitted
//   GET    …/roleAssignments/{name} → 200, or 404 RoleAssignmentNotFound
//   DELETE …/roleAssignments/{name} → 200 the deleted assignment, or 204 when there was none
//   GET    /{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope() → {value}
// A request without `Authorization: Bearer …` answers 401, without api-version 400.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { bearerToken, readBody } from './wire.js';

const TLS_DIR = new URL('./tls/', import.meta.url);
/** The stand-in's certificate, for the client's `tlsOptions.ca`. */
export const STAND_IN_CA = readFileSync(new URL('localhost-cert.pem', TLS_DIR), 'utf8');
/** Where that certificate is, for a child process's NODE_EXTRA_CA_CERTS. */
export const STAND_IN_CA_FILE = fileURLToPath(new URL('localhost-cert.pem', TLS_DIR));
/** The certificate's key, for the other HTTPS stand-ins. */
export const STAND_IN_KEY = readFileSync(new URL('localhost-key.pem', TLS_DIR), 'utf8');

export interface StoredAssignment {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
}

export interface ArmAuthorizationServer {
  /** For the client's `endpoint` (and `credentialScopes`). */
  endpoint: string;
  assignments: Map<string, StoredAssignment>;
  /** Makes an assignment as someone else would (in the portal, under a name of their own). */
  assign(assignment: StoredAssignment): void;
  calls: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_DEFINITION =
  /^(\/subscriptions\/[0-9a-f-]{36})?\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i;

export async function startArmAuthorizationServer(
  options: {
    port?: number;
    /** Which bearer tokens are valid (an identity provider's); without it, any is. */
    acceptsToken?: (token: string) => boolean;
  } = {},
): Promise<ArmAuthorizationServer> {
  const assignments = new Map<string, StoredAssignment>();
  const calls: ArmAuthorizationServer['calls'] = [];
  const keyOf = (scope: string, name: string) => `${scope.toLowerCase()}|${name.toLowerCase()}`;
  const view = (a: StoredAssignment) => ({
    id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`,
    name: a.name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      scope: a.scope,
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType ?? 'ServicePrincipal',
      createdOn: '2026-12-07T00:00:00.0000000Z',
      updatedOn: '2026-12-07T00:00:00.0000000Z',
    },
  });
  const server = createServer({ key: STAND_IN_KEY, cert: STAND_IN_CA }, (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'https://management.local');
      // The SDK may send the scope with its leading slash doubled; ARM reads one.
      const path = url.pathname.replace(/^\/+/, '/');
      const answer = (status: number, body?: unknown) => {
        calls.push({ method: req.method ?? '', path, status });
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'x-ms-request-id': crypto.randomUUID(),
        });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const error = (status: number, code: string, message: string) => answer(status, { error: { code, message } });
      const bearer = bearerToken(req);
      if (bearer === undefined)
        return error(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
      if (options.acceptsToken?.(bearer) === false)
        return error(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
      if (url.searchParams.get('api-version') !== '2022-04-01')
        return error(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required.');
      const match =
        /^(\/subscriptions\/.+?)\/providers\/Microsoft\.Authorization\/roleAssignments(?:\/([^/]+))?$/i.exec(path);
      if (match === null) return error(404, 'NotFound', `No route for ${path}`);
      const scope = decodeURIComponent(match[1] ?? '');
      const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
      if (name === undefined) {
        if (req.method !== 'GET') return error(405, 'MethodNotAllowed', 'Method not allowed');
        const at = [...assignments.values()].filter((a) => a.scope.toLowerCase() === scope.toLowerCase());
        return answer(200, { value: at.map(view) });
      }
      if (!GUID.test(name))
        return error(
          400,
          'InvalidRoleAssignmentId',
          `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
        );
      const existing = assignments.get(keyOf(scope, name));
      switch (req.method) {
        case 'GET':
          return existing === undefined
            ? error(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`)
            : answer(200, view(existing));
        case 'DELETE':
          if (existing === undefined) return answer(204);
          assignments.delete(keyOf(scope, name));
          return answer(200, view(existing));
        case 'PUT': {
          const body = JSON.parse(text) as {
            properties?: { roleDefinitionId?: string; principalId?: string; principalType?: string };
          };
          const props = body.properties ?? {};
          if (typeof props.roleDefinitionId !== 'string' || !ROLE_DEFINITION.test(props.roleDefinitionId))
            return error(400, 'InvalidRoleDefinitionId', 'The role definition ID is not valid.');
          if (typeof props.principalId !== 'string' || !GUID.test(props.principalId))
            return error(400, 'InvalidPrincipalId', 'A valid principal ID must be provided for role assignment.');
          const roleGuid = props.roleDefinitionId.split('/').at(-1)?.toLowerCase();
          const same = (a: StoredAssignment) =>
            a.scope.toLowerCase() === scope.toLowerCase() &&
            a.roleDefinitionId.split('/').at(-1)?.toLowerCase() === roleGuid &&
            a.principalId.toLowerCase() === props.principalId!.toLowerCase();
          if (existing !== undefined) {
            if (!same(existing))
              return error(
                400,
                'RoleAssignmentUpdateNotPermitted',
                'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
              );
            return answer(201, view(existing));
          }
          if ([...assignments.values()].some(same))
            return error(409, 'RoleAssignmentExists', 'The role assignment already exists.');
          const created: StoredAssignment = {
            scope,
            name,
            roleDefinitionId: props.roleDefinitionId,
            principalId: props.principalId,
            ...(props.principalType === undefined ? {} : { principalType: props.principalType }),
          };
          assignments.set(keyOf(scope, name), created);
          return answer(201, view(created));
        }
        default:
          return error(405, 'MethodNotAllowed', 'Method not allowed');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    assignments,
    assign: (assignment) => {
      assignments.set(keyOf(assignment.scope, assignment.name), assignment);
    },
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
