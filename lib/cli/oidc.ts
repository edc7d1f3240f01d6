// A token for a deployed API without a person at the keyboard (docs/cli.md "Tokens for a deployed
// API"): the OAuth 2.0 client credentials grant (RFC 6749 §4.4) against the deployment's OIDC
// issuer. The token endpoint comes from the issuer's discovery document
// (`/.well-known/openid-configuration`, OpenID Connect Discovery 1.0 §4); the client authenticates
// with HTTP Basic (client_secret_basic, RFC 6749 §2.3.1), the default every IdP accepts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { oneLine, UsageError, type CliIo } from './io.js';

const TIMEOUT_MS = 30_000;

const setting = (env: CliIo['env'], name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** Whether the environment names a client to get a token for (GRANTPLANE_OIDC_CLIENT_ID). */
export const hasClientCredentials = (env: CliIo['env']): boolean =>
  setting(env, 'GRANTPLANE_OIDC_CLIENT_ID') !== undefined;

async function fetchJson(
  command: string,
  what: string,
  url: URL,
  init: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  let raw: string;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    raw = await response.text();
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new UsageError(
      `${command}: cannot reach the ${what} at ${url.origin}: ${error instanceof Error ? error.message : String(error)}${cause}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw) as unknown;
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UsageError(
      `${command}: the ${what} at ${url.href} answered HTTP ${response.status}, not JSON: ${oneLine(raw).slice(0, 200)}`,
    );
  return { status: response.status, body: body as Record<string, unknown> };
}

/**
 * An access token from the issuer's token endpoint for GRANTPLANE_OIDC_CLIENT_ID and its secret
 * (GRANTPLANE_OIDC_CLIENT_SECRET, or the file GRANTPLANE_OIDC_CLIENT_SECRET_FILE names), with
 * GRANTPLANE_OIDC_SCOPE and GRANTPLANE_OIDC_AUDIENCE when set.
 */
export async function clientCredentialsToken(command: string, io: CliIo): Promise<string> {
  const env = io.env;
  const issuerText = setting(env, 'GRANTPLANE_OIDC_ISSUER');
  const clientId = setting(env, 'GRANTPLANE_OIDC_CLIENT_ID');
  if (issuerText === undefined || clientId === undefined)
    throw new UsageError(
      `${command}: a client credentials token needs GRANTPLANE_OIDC_ISSUER (the API's jwtIssuer) and GRANTPLANE_OIDC_CLIENT_ID`,
    );
  let issuer: URL;
  try {
    issuer = new URL(issuerText);
  } catch {
    throw new UsageError(`${command}: GRANTPLANE_OIDC_ISSUER must be the issuer's URL (got "${issuerText}")`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && loopback))
    throw new UsageError(
      `${command}: GRANTPLANE_OIDC_ISSUER must be https (got "${issuerText}"): the client secret travels to it`,
    );
  let secret = setting(env, 'GRANTPLANE_OIDC_CLIENT_SECRET');
  const secretFile = setting(env, 'GRANTPLANE_OIDC_CLIENT_SECRET_FILE');
  if (secret === undefined && secretFile !== undefined) {
    try {
      secret = readFileSync(resolve(io.cwd, secretFile), 'utf8').trim();
    } catch {
      throw new UsageError(`${command}: GRANTPLANE_OIDC_CLIENT_SECRET_FILE=${secretFile} cannot be read`);
    }
  }
  if (secret === undefined || secret === '')
    throw new UsageError(
      `${command}: the client's secret is required: set GRANTPLANE_OIDC_CLIENT_SECRET or GRANTPLANE_OIDC_CLIENT_SECRET_FILE`,
    );

  const discovery = new URL(`${issuer.href.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  const found = await fetchJson(command, "issuer's discovery document", discovery, {
    headers: { Accept: 'application/json' },
  });
  const endpointText = found.body.token_endpoint;
  if (found.status !== 200 || typeof endpointText !== 'string')
    throw new UsageError(`${command}: ${discovery.href} (HTTP ${found.status}) names no token_endpoint`);
  const tokenEndpoint = new URL(endpointText);

  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const scope = setting(env, 'GRANTPLANE_OIDC_SCOPE');
  const audience = setting(env, 'GRANTPLANE_OIDC_AUDIENCE');
  if (scope !== undefined) form.set('scope', scope);
  if (audience !== undefined) form.set('audience', audience);
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  const answer = await fetchJson(command, 'token endpoint', tokenEndpoint, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${basic}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: form.toString(),
  });
  const token = answer.body.access_token;
  if (answer.status !== 200 || typeof token !== 'string' || token === '') {
    const reason = [answer.body.error, answer.body.error_description].filter((part) => typeof part === 'string');
    throw new UsageError(
      `${command}: the token endpoint refused client ${clientId} (HTTP ${answer.status}${reason.length > 0 ? `: ${reason.join(': ')}` : ''})`,
    );
  }
  return token;
}
