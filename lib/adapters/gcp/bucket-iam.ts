// Cloud Storage bucket IAM through @google-cloud/storage (Buckets: getIamPolicy / setIamPolicy):
// the policy read with its etag, written back with that etag, so a change someone made in
// between is refused by the API (412, or 409 ABORTED as IAM answers elsewhere) and surfaces as a
// PolicyConflictError for the caller to read again. Credentials and endpoint come from the client's
// standard configuration (Application Default Credentials; `apiEndpoint` for a stand-in).
import type { Storage } from '@google-cloud/storage';
import type { GcpIamPolicy } from '../../domain/cloud/iam-policy.js';

/** The policy changed since it was read: read it again and redo the change. */
export class PolicyConflictError extends Error {
  override readonly name = 'PolicyConflictError';
}

/** The resource does not exist (or the caller may not see it). */
export class PolicyResourceNotFoundError extends Error {
  override readonly name = 'PolicyResourceNotFoundError';
}

/** Reads and writes one kind of resource's IAM policy. */
export interface PolicyGateway {
  getPolicy(resource: string): Promise<GcpIamPolicy>;
  /** Writes `policy` if its etag is still the resource's; throws PolicyConflictError otherwise. */
  setPolicy(resource: string, policy: GcpIamPolicy): Promise<GcpIamPolicy>;
}

const BUCKET = /^projects\/_\/buckets\/([^/]+)$/;

const bucketOf = (resource: string): string => {
  const name = BUCKET.exec(resource)?.[1];
  if (name === undefined) throw new Error(`not a bucket resource: ${resource} (expected projects/_/buckets/<name>)`);
  return name;
};

const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

const policyOf = (answer: unknown): GcpIamPolicy => {
  const raw = (answer ?? {}) as { version?: number; bindings?: GcpIamPolicy['bindings']; etag?: string };
  return {
    ...(raw.version === undefined ? {} : { version: raw.version }),
    bindings: (raw.bindings ?? []).map((binding) => ({
      role: binding.role,
      members: [...(binding.members ?? [])],
      ...(binding.condition === undefined ? {} : { condition: binding.condition }),
    })),
    ...(raw.etag === undefined ? {} : { etag: raw.etag }),
  };
};

export function makeBucketPolicyGateway(storage: Storage): PolicyGateway {
  const translate = (resource: string, error: unknown): never => {
    const status = statusOf(error);
    if (status === 412 || status === 409)
      throw new PolicyConflictError(`the IAM policy of ${resource} changed since it was read`);
    if (status === 404)
      throw new PolicyResourceNotFoundError(`${resource} does not exist, or grantplane may not see it`);
    throw error;
  };
  return {
    async getPolicy(resource) {
      try {
        // Version 3: a policy with conditional bindings is answered whole, so none is lost on write.
        const [policy] = await storage.bucket(bucketOf(resource)).iam.getPolicy({ requestedPolicyVersion: 3 });
        return policyOf(policy);
      } catch (error: unknown) {
        return translate(resource, error);
      }
    },
    async setPolicy(resource, policy) {
      if (policy.etag === undefined) throw new Error(`refusing to write the IAM policy of ${resource} without an etag`);
      try {
        const [written] = await storage.bucket(bucketOf(resource)).iam.setPolicy({
          bindings: policy.bindings.map((binding) => ({
            role: binding.role,
            members: binding.members,
            ...(binding.condition === undefined ? {} : { condition: binding.condition as never }),
          })),
          etag: policy.etag,
          ...(policy.version === undefined ? {} : { version: policy.version }),
        });
        return policyOf(written);
      } catch (error: unknown) {
        return translate(resource, error);
      }
    },
  };
}
