// Planes in other AWS accounts (docs/webhooks.md `applierRoleArn`): every IAM call on such a plane runs
// on credentials from STS AssumeRole, renewed before they expire. One IAM client per role and
// credential lifetime, so clients are still built once, not per call.
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { IamGateway } from '../../domain/ports.js';
import { makeIamClient, type IamClientOptions } from './client.js';
import { makeIamGateway } from './gateway.js';

/** STS answered without credentials (never expected; named so the log says what happened). */
export class AssumeRoleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AssumeRoleError';
  }
}

const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * A gateway per role ARN on assumed-role credentials (session `grantplane-applier` by default),
 * assumed on first use and again five minutes before the credentials expire.
 */
export const makeAssumedRoleGateways = (
  sts: STSClient,
  options: { sessionName?: string; client?: Omit<IamClientOptions, 'credentials'>; now?: () => number } = {},
): ((roleArn: string) => Promise<IamGateway>) => {
  const now = options.now ?? Date.now;
  // Replaced clients are not destroyed: a call may still be running on them (they hold no state).
  const cached = new Map<string, { gateway: IamGateway; expiresAt: number }>();
  return async (roleArn) => {
    const hit = cached.get(roleArn);
    if (hit !== undefined && hit.expiresAt - RENEW_BEFORE_MS > now()) return hit.gateway;
    const answer = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: options.sessionName ?? 'grantplane-applier' }),
    );
    const credentials = answer.Credentials;
    if (credentials?.AccessKeyId === undefined || credentials.SecretAccessKey === undefined) {
      throw new AssumeRoleError(`STS AssumeRole ${roleArn} returned no credentials`);
    }
    const expiresAt = credentials.Expiration?.getTime() ?? now() + 15 * 60_000;
    const client = makeIamClient({
      ...options.client,
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken === undefined ? {} : { sessionToken: credentials.SessionToken }),
        expiration: new Date(expiresAt),
      },
    });
    const entry = { gateway: makeIamGateway(client), expiresAt };
    cached.set(roleArn, entry);
    return entry.gateway;
  };
};
