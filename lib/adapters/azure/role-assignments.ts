// Azure role assignments through @azure/arm-authorization (Microsoft.Authorization, api-version
// 2022-04-01): read, create and delete one assignment by its scope and name. grantplane names its
// assignments deterministically (lib/domain/cloud/bindings.ts), so a re-run finds its own; an
// equal assignment someone else made under another name answers 409 RoleAssignmentExists, which
// is "already granted, not grantplane's". Credentials come from the caller's TokenCredential
// (DefaultAzureCredential in a deployment: workload identity federation, docs/gcp-azure.md).
import type { AuthorizationManagementClient } from '@azure/arm-authorization';

export interface AzureAssignment {
  roleDefinitionId: string;
  principalId: string;
}

/** One scope's role assignments, by name. */
export interface RoleAssignmentGateway {
  get(scope: string, name: string): Promise<AzureAssignment | null>;
  /** `exists`: the same role and principal are assigned at the scope under another name. */
  create(scope: string, name: string, assignment: AzureAssignment): Promise<'created' | 'exists'>;
  /** False when there was nothing to delete. */
  delete(scope: string, name: string): Promise<boolean>;
  /** Every assignment made exactly at the scope (`$filter=atScope()`), by name. */
  listAt(scope: string): Promise<(AzureAssignment & { name: string })[]>;
}

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** The SDK puts the scope after a slash of its own: hand it the scope without its leading one. */
const bare = (scope: string): string => scope.replace(/^\/+/, '');

export function makeRoleAssignmentGateway(client: AuthorizationManagementClient): RoleAssignmentGateway {
  return {
    async get(scope, name) {
      try {
        const found = await client.roleAssignments.get(bare(scope), name);
        if (found.roleDefinitionId === undefined || found.principalId === undefined) return null;
        return { roleDefinitionId: found.roleDefinitionId, principalId: found.principalId };
      } catch (error: unknown) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
    },
    async create(scope, name, assignment) {
      try {
        await client.roleAssignments.create(bare(scope), name, {
          roleDefinitionId: assignment.roleDefinitionId,
          principalId: assignment.principalId,
          // A managed identity is a service principal; naming the type spares ARM a directory lookup
          // that fails for an identity created moments ago.
          principalType: 'ServicePrincipal',
        });
        return 'created';
      } catch (error: unknown) {
        if (statusOf(error) === 409 && codeOf(error) === 'RoleAssignmentExists') return 'exists';
        throw error;
      }
    },
    async delete(scope, name) {
      const answer = await client.roleAssignments.delete(bare(scope), name);
      return answer.id !== undefined || answer.name !== undefined;
    },
    async listAt(scope) {
      const found: (AzureAssignment & { name: string })[] = [];
      for await (const each of client.roleAssignments.listForScope(bare(scope), { filter: 'atScope()' })) {
        if (each.name === undefined || each.roleDefinitionId === undefined || each.principalId === undefined) continue;
        found.push({ name: each.name, roleDefinitionId: each.roleDefinitionId, principalId: each.principalId });
      }
      return found;
    },
  };
}
