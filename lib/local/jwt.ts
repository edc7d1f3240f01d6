// HS256 JSON Web Tokens for the local stack (docs/api.md), with node:crypto only: the local server
// verifies them the way API Gateway's JWT authorizer verifies the identity provider's tokens.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEV_JWT_SECRET } from './dev-jwt-secret.js';

export const LOCAL_ISSUER = 'grantplane-local';
export const LOCAL_AUDIENCE = 'grantplane';

export type JwtClaims = Record<string, unknown> & { sub?: string; exp?: number; iat?: number };

/** A token that is malformed, badly signed, expired or for someone else. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** The signing key: GRANTPLANE_LOCAL_JWT_SECRET when set, else the development key in the repository. */
export function localJwtSecret(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.GRANTPLANE_LOCAL_JWT_SECRET;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEV_JWT_SECRET;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

const hmac = (input: string, secret: string): Buffer => createHmac('sha256', secret).update(input).digest();

/** Signs `claims` as a compact HS256 JWT. */
export function signJwt(claims: JwtClaims, secret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  return `${header}.${payload}.${b64url(hmac(`${header}.${payload}`, secret))}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function decodeJson(part: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (error: unknown) {
    throw new InvalidTokenError(
      `token ${what} is not base64url JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!isRecord(parsed)) throw new InvalidTokenError(`token ${what} is not a JSON object`);
  return parsed;
}

/**
 * Verifies signature (HS256 only: no `alg: none`, no algorithm switching), `exp`, `nbf`, issuer and
 * audience, as the JWT authorizer does; returns the claims.
 */
export function verifyJwt(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new InvalidTokenError('token is not a compact JWT');
  const [header, payload, signature] = parts as [string, string, string];
  const head = decodeJson(header, 'header');
  if (head.alg !== 'HS256') throw new InvalidTokenError('token algorithm must be HS256');
  const expected = hmac(`${header}.${payload}`, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('token signature does not verify');
  }
  const claims = decodeJson(payload, 'payload');
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) throw new InvalidTokenError('token expired');
  // NumericDate (RFC 7519 §4.1.5): a string `nbf` is no time at all, not "valid now".
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)))
    throw new InvalidTokenError('token nbf is not a number');
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) throw new InvalidTokenError('token not yet valid');
  if (claims.iss !== LOCAL_ISSUER) throw new InvalidTokenError('token issuer is not grantplane-local');
  const aud = claims.aud;
  if (!(aud === LOCAL_AUDIENCE || (Array.isArray(aud) && aud.includes(LOCAL_AUDIENCE)))) {
    throw new InvalidTokenError('token audience is not grantplane');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('token has no sub');
  return claims;
}

export interface LocalTokenInput {
  sub: string;
  roles: readonly string[];
  /** Claim that carries the roles (default `groups`, the claim the handlers read by default). */
  rolesClaim?: string;
  ttlSeconds?: number;
  nowSeconds?: number;
}

/** Mints a local token for the local stack: iss grantplane-local, aud grantplane, roles in `groups`. */
export function mintLocalToken(input: LocalTokenInput, secret: string): string {
  const iat = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  return signJwt(
    {
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      sub: input.sub,
      [input.rolesClaim ?? 'groups']: [...input.roles],
      iat,
      exp: iat + (input.ttlSeconds ?? 12 * 3600),
    },
    secret,
  );
}
