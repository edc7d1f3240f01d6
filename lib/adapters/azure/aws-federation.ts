// Azure credentials for a function on AWS without a client secret: AWS outbound identity federation
// ("Getting started with outbound identity federation", AWS IAM User Guide). STS signs a short-lived
// JWT for the function's role (`sub` is the role's ARN, `aud` Entra ID's token exchange audience),
// and Microsoft Entra ID trusts it through a federated identity credential on the app registration
// or user-assigned identity grantplane acts as. The assertion is what ClientAssertionCredential
// presents; one token serves every exchange until shortly before it expires.
import { GetWebIdentityTokenCommand, type STSClient } from '@aws-sdk/client-sts';
import { ASSERTION_LIFETIME_SECONDS, AZURE_TOKEN_EXCHANGE_AUDIENCE } from '../../domain/cloud/federation.js';

/** How long before its expiry a token is no longer handed out (Entra ID must still accept it). */
const RENEW_BEFORE_MS = 60_000;

export function stsWebIdentityAssertion(sts: STSClient, options: { now?: () => number } = {}): () => Promise<string> {
  const now = options.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached !== undefined && cached.expiresAt - RENEW_BEFORE_MS > now()) return cached.token;
    const answer = await sts.send(
      new GetWebIdentityTokenCommand({
        Audience: [AZURE_TOKEN_EXCHANGE_AUDIENCE],
        SigningAlgorithm: 'RS256',
        DurationSeconds: ASSERTION_LIFETIME_SECONDS,
      }),
    );
    if (answer.WebIdentityToken === undefined)
      throw new Error('STS GetWebIdentityToken answered without a WebIdentityToken');
    cached = {
      token: answer.WebIdentityToken,
      expiresAt: answer.Expiration?.getTime() ?? now() + ASSERTION_LIFETIME_SECONDS * 1000,
    };
    return cached.token;
  };
}
