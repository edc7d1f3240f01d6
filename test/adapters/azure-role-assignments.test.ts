// Azure role assignments through the real @azure/arm-authorization client, over HTTPS, against a
// stand-in speaking ARM's Microsoft.Authorization API (lib/local/cloud/arm-authorization-server.ts):
// grantplane's deterministic names make a re-run find its own assignments; an equal assignment
// someone else made is left to them; revoking deletes only grantplane's.
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoleAssignmentGateway } from '../../lib/adapters/azure/role-assignments.js';
import { convergeAssignments, roleDefinitionIdAt } from '../../lib/app/role-assignments.js';
import { parseConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import type { CloudBinding } from '../../lib/domain/model.js';
import {
  startArmAuthorizationServer,
  STAND_IN_CA,
  type ArmAuthorizationServer,
} from '../../lib/local/cloud/arm-authorization-server.js';
import { AZURE_PLANE, SUBSCRIPTION, USER_IDENTITY } from '../helpers/cloud-planes.js';

const IDENTITY = USER_IDENTITY;

/** A token the stand-in accepts; a deployment uses DefaultAzureCredential. */
const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'stand-in-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

let arm: ArmAuthorizationServer;
let gateway: ReturnType<typeof makeRoleAssignmentGateway>;

/** The bindings the engine plans for Blob Storage grants on the example's Azure plane. */
const bindingsFor = (...containers: [string, 'read' | 'read-write'][]): CloudBinding[] =>
  planGrants({
    config: parseConfig({
      dataPlanes: [AZURE_PLANE],
    }),
    requests: containers.map(([container, access]) => ({
      scope: { type: 'global' },
      resource: { type: 'azure-blob', resourceGroup: 'ml-data', storageAccount: 'acmemldata', container, access },
    })),
    now: new Date('2026-12-07T00:00:00Z'),
  }).bindings ?? [];

beforeAll(async () => {
  arm = await startArmAuthorizationServer();
  const client = new AuthorizationManagementClient(credential, SUBSCRIPTION, {
    endpoint: arm.endpoint,
    credentialScopes: [`${arm.endpoint}/.default`],
    tlsOptions: { ca: STAND_IN_CA },
    retryOptions: { maxRetries: 0 },
  });
  gateway = makeRoleAssignmentGateway(client);
});

afterAll(async () => {
  await arm?.close();
});

describe('Azure role assignments (docs/gcp-azure.md)', () => {
  it('creates each binding under its deterministic name; a second run reads each once and writes nothing', async () => {
    const desired = bindingsFor(['features', 'read'], ['models', 'read-write']);
    const first = await convergeAssignments(gateway, desired, []);
    expect(first.created).toHaveLength(2);
    expect(first.writes).toBe(2);
    const stored = [...arm.assignments.values()].find((a) => a.scope.endsWith('/containers/features'));
    expect(stored).toMatchObject({
      name: desired[0]?.assignmentName,
      principalId: IDENTITY,
      principalType: 'ServicePrincipal',
      roleDefinitionId: roleDefinitionIdAt(desired[0]!.resource, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'),
    });

    const again = await convergeAssignments(gateway, desired, first.owned);
    expect(again).toMatchObject({ created: [], deleted: [], reads: 2, writes: 0 });
    expect(again.owned).toEqual(first.owned);
  });

  it("an equal assignment someone made in the portal satisfies the binding and is never grantplane's to delete", async () => {
    const [desired] = bindingsFor(['raw', 'read']);
    arm.assign({
      scope: desired!.resource,
      name: '00000000-1111-4222-8333-444444444444',
      roleDefinitionId: roleDefinitionIdAt(desired!.resource, desired!.roleDefinitionId!),
      principalId: IDENTITY,
    });
    const outcome = await convergeAssignments(gateway, [desired!], []);
    expect(outcome).toMatchObject({ created: [], owned: [] });
    expect(outcome.assignedElsewhere).toEqual([{ scope: desired!.resource, name: desired!.assignmentName }]);
    const revoked = await convergeAssignments(gateway, [], outcome.owned);
    expect(revoked.deleted).toEqual([]);
    expect(arm.assignments.has(`${desired!.resource.toLowerCase()}|00000000-1111-4222-8333-444444444444`)).toBe(true);
  });

  it('revoking deletes what grantplane made, and only that', async () => {
    const desired = bindingsFor(['scratch', 'read-write']);
    const made = await convergeAssignments(gateway, desired, []);
    expect(made.created).toHaveLength(1);
    const before = arm.assignments.size;
    const revoked = await convergeAssignments(gateway, [], made.owned);
    expect(revoked).toMatchObject({ deleted: made.owned, owned: [] });
    expect(arm.assignments.size).toBe(before - 1);
    // Deleting again (a retried run) is a no-op: ARM answers 204.
    const again = await convergeAssignments(gateway, [], made.owned);
    expect(again.deleted).toEqual([]);
    expect(arm.calls.at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
  });
});
