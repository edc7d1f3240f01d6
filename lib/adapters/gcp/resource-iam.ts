// IAM policies of Secret Manager secrets and Artifact Registry repositories through their official
// clients (@google-cloud/secret-manager, @google-cloud/artifact-registry): getIamPolicy /
// setIamPolicy on the resource's name, the etag read handed back on write, so a change made in
// between is refused (ABORTED / FAILED_PRECONDITION) and surfaces as a PolicyConflictError for the
// caller to read again. The clients speak the APIs' REST transport (`fallback: true`): no gRPC
// runtime in the bundle, and the same wire the local stand-in answers (lib/local/cloud).
import type { GcpIamPolicy } from '../../domain/cloud/iam-policy.js';
import { PolicyConflictError, PolicyResourceNotFoundError, type PolicyGateway } from './bucket-iam.js';

/** What both clients offer for a resource's IAM policy (google.iam.v1.IAMPolicy). */
export interface IamPolicyClient {
  getIamPolicy(request: { resource: string; options?: { requestedPolicyVersion?: number } }): Promise<unknown>;
  setIamPolicy(request: { resource: string; policy: unknown }): Promise<unknown>;
}

// gRPC status codes, as google-gax reports them on REST too.
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;

const codeOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

const etagText = (etag: unknown): string | undefined => {
  if (etag === undefined || etag === null) return undefined;
  if (typeof etag === 'string') return etag;
  if (etag instanceof Uint8Array) return Buffer.from(etag).toString('base64');
  return undefined;
};

const policyOf = (answer: unknown): GcpIamPolicy => {
  const [raw] = (Array.isArray(answer) ? answer : [answer]) as [
    { version?: number; bindings?: { role?: string; members?: string[]; condition?: unknown }[]; etag?: unknown },
  ];
  const etag = etagText(raw?.etag);
  return {
    ...(raw?.version === undefined || raw.version === null ? {} : { version: raw.version }),
    bindings: (raw?.bindings ?? []).map((binding) => ({
      role: binding.role ?? '',
      members: [...(binding.members ?? [])],
      ...(binding.condition === undefined || binding.condition === null ? {} : { condition: binding.condition }),
    })),
    ...(etag === undefined ? {} : { etag }),
  };
};

/** A PolicyGateway on one client; `kind` names the resources it serves in errors. */
export function makeResourcePolicyGateway(client: IamPolicyClient, kind: string): PolicyGateway {
  const translate = (resource: string, error: unknown): never => {
    const code = codeOf(error);
    if (code === ABORTED || code === FAILED_PRECONDITION)
      throw new PolicyConflictError(`the IAM policy of ${resource} changed since it was read`);
    if (code === NOT_FOUND)
      throw new PolicyResourceNotFoundError(`${kind} ${resource} does not exist, or grantplane may not see it`);
    throw error;
  };
  return {
    async getPolicy(resource) {
      try {
        return policyOf(await client.getIamPolicy({ resource, options: { requestedPolicyVersion: 3 } }));
      } catch (error: unknown) {
        return translate(resource, error);
      }
    },
    async setPolicy(resource, policy) {
      if (policy.etag === undefined) throw new Error(`refusing to write the IAM policy of ${resource} without an etag`);
      try {
        return policyOf(
          await client.setIamPolicy({
            resource,
            policy: {
              ...(policy.version === undefined ? {} : { version: policy.version }),
              bindings: policy.bindings,
              etag: Buffer.from(policy.etag, 'base64'),
            },
          }),
        );
      } catch (error: unknown) {
        return translate(resource, error);
      }
    },
  };
}

const SECRET = /^projects\/[^/]+\/secrets\/[^/]+$/;
const REPOSITORY = /^projects\/[^/]+\/locations\/[^/]+\/repositories\/[^/]+$/;

/** One PolicyGateway for a GCP plane: each resource to the API that owns it. */
export function routePolicies(gateways: {
  buckets: PolicyGateway;
  secrets: PolicyGateway;
  repositories: PolicyGateway;
}): PolicyGateway {
  const of = (resource: string): PolicyGateway => {
    if (resource.startsWith('projects/_/buckets/')) return gateways.buckets;
    if (SECRET.test(resource)) return gateways.secrets;
    if (REPOSITORY.test(resource)) return gateways.repositories;
    throw new Error(`no Google Cloud API known for ${resource}`);
  };
  return {
    getPolicy: (resource) => of(resource).getPolicy(resource),
    setPolicy: (resource, policy) => of(resource).setPolicy(resource, policy),
  };
}

/** The overloaded client methods, narrowed to the promise form this adapter calls. */
interface IamPolicyMethods {
  getIamPolicy(request: { resource: string; options?: { requestedPolicyVersion?: number } }): Promise<unknown>;
  setIamPolicy(request: never): Promise<unknown>;
}

/** A GCP plane's PolicyGateway from its three clients (Storage, Secret Manager, Artifact Registry). */
export function makeGcpPolicyGateway(clients: {
  buckets: PolicyGateway;
  secrets: IamPolicyMethods;
  repositories: IamPolicyMethods;
}): PolicyGateway {
  const narrowed = (client: IamPolicyMethods): IamPolicyClient => ({
    getIamPolicy: (request) => client.getIamPolicy(request),
    setIamPolicy: (request) => client.setIamPolicy(request as never),
  });
  return routePolicies({
    buckets: clients.buckets,
    secrets: makeResourcePolicyGateway(narrowed(clients.secrets), 'secret'),
    repositories: makeResourcePolicyGateway(narrowed(clients.repositories), 'repository'),
  });
}
