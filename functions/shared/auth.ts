// Who the caller is and what they may do (docs/api.md). API Gateway's JWT authorizer verifies the token;
// the handler reads the verified claims from the event and refuses (401) an event without them, so a
// route wired without the authorizer can never run unauthenticated.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../../lib/domain/zod.js';
import { ROLES, type Identity, type Role } from '../../lib/domain/ports.js';
import type { Access } from './routes.js';

export type { Identity };
export { ROLES };

export interface AuthConfig {
  /** Claims whose values name the caller's groups (read in order, merged). */
  rolesClaims: string[];
  /** Group name → the grantplane roles it gives. */
  mapping: Record<string, Role[]>;
}

/** Without GRANTPLANE_ROLE_MAPPING, a group named like a role gives that role. */
export const DEFAULT_AUTH_CONFIG: AuthConfig = {
  rolesClaims: ['groups', 'grantplane:roles'],
  mapping: { requester: ['requester'], approver: ['approver'], admin: ['admin'] },
};

/** A configuration variable that does not parse; the message names the variable. */
export class AuthConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthConfigError';
  }
}

const roleSchema = z.enum(['requester', 'approver', 'admin']);
const mappingSchema = z.record(z.string().check(z.minLength(1)), z.union([roleSchema, z.array(roleSchema)]));

/**
 * Reads GRANTPLANE_ROLES_CLAIM (comma-separated claim names, default `groups,grantplane:roles`) and
 * GRANTPLANE_ROLE_MAPPING (JSON `{"<group>": "<role>" | ["<role>", ...]}`); called once at cold start.
 */
export function parseAuthEnv(env: Record<string, string | undefined>): AuthConfig {
  const claimText = env.GRANTPLANE_ROLES_CLAIM;
  let rolesClaims = DEFAULT_AUTH_CONFIG.rolesClaims;
  if (claimText !== undefined && claimText.trim() !== '') {
    rolesClaims = claimText
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
  }
  const mappingText = env.GRANTPLANE_ROLE_MAPPING;
  if (mappingText === undefined || mappingText.trim() === '')
    return { rolesClaims, mapping: DEFAULT_AUTH_CONFIG.mapping };
  let json: unknown;
  try {
    json = JSON.parse(mappingText);
  } catch (error: unknown) {
    throw new AuthConfigError(
      `GRANTPLANE_ROLE_MAPPING is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const parsed = mappingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at "${issue.path.join('.')}"`;
    throw new AuthConfigError(
      `GRANTPLANE_ROLE_MAPPING must be a JSON object {"<group>": "requester"|"approver"|"admin" or a list of them}${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const mapping: Record<string, Role[]> = {};
  for (const [group, roles] of Object.entries(parsed.data)) mapping[group] = Array.isArray(roles) ? roles : [roles];
  return { rolesClaims, mapping };
}

/**
 * The group names a claim value holds, each a whole name: an array, a JSON array string, or one
 * plain string (one group, spaces and commas included: `platform admin` is not `admin`). API
 * Gateway's HTTP API passes an array claim flattened to one string, `[a b c]`: that form alone is
 * split at spaces, since nothing else can be read from it (identityOf prefers the token's own
 * array when the request carries it).
 */
export function claimValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  if (typeof value !== 'string') return [];
  const text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return claimValues(parsed);
    } catch {
      // Not JSON: API Gateway's own `[a b c]` rendering of an array claim.
    }
    return text
      .slice(1, -1)
      .split(/\s+/)
      .filter((v) => v !== '');
  }
  return text === '' ? [] : [text];
}

/** API Gateway's flattened rendering of an array claim: `[a b c]`, not JSON. */
const isFlattened = (value: unknown): boolean => {
  if (typeof value !== 'string') return false;
  const text = value.trim();
  if (!text.startsWith('[') || !text.endsWith(']')) return false;
  try {
    return !Array.isArray(JSON.parse(text));
  } catch {
    return true;
  }
};

/**
 * The claims of the bearer token the request carries (the one API Gateway's authorizer verified,
 * or the local server): read only to recover array claims API Gateway flattened, and only when its
 * `sub` is the verified one.
 */
function bearerClaims(event: APIGatewayProxyEventV2): Claims | undefined {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const payload = /^Bearer\s+[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/i.exec(header?.trim() ?? '')?.[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Claims) : undefined;
  } catch {
    return undefined;
  }
}

type Claims = Record<string, unknown>;

/** Longest token subject: it keys audit and grant items, so it stays far below DynamoDB's key limits. */
export const MAX_SUB_CHARS = 256;

/** A verified token whose `sub` is longer than MAX_SUB_CHARS: refused as a 400 naming `token.sub`. */
export class SubjectTooLongError extends Error {
  constructor(readonly length: number) {
    super(`The token's sub has ${length} characters; grantplane takes subjects of at most ${MAX_SUB_CHARS}.`);
    this.name = 'SubjectTooLongError';
  }
}

function claimsOf(event: APIGatewayProxyEventV2): Claims | undefined {
  const requestContext: unknown = event.requestContext;
  if (typeof requestContext !== 'object' || requestContext === null || !('authorizer' in requestContext))
    return undefined;
  const authorizer: unknown = requestContext.authorizer;
  if (typeof authorizer !== 'object' || authorizer === null || !('jwt' in authorizer)) return undefined;
  const jwt: unknown = authorizer.jwt;
  if (typeof jwt !== 'object' || jwt === null || !('claims' in jwt)) return undefined;
  const claims: unknown = jwt.claims;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  return claims as Claims;
}

/** The caller of an event, from the authorizer's verified claims; null when there are none. */
export function identityOf(event: APIGatewayProxyEventV2, config: AuthConfig): Identity | null {
  const claims = claimsOf(event);
  if (claims === undefined) return null;
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.trim() === '') return null;
  if (sub.length > MAX_SUB_CHARS) throw new SubjectTooLongError(sub.length);
  const roles = new Set<Role>();
  let token: Claims | undefined | null = null;
  for (const claim of config.rolesClaims) {
    let value = claims[claim];
    if (isFlattened(value)) {
      token ??= bearerClaims(event);
      if (token !== undefined && token.sub === sub && Array.isArray(token[claim])) value = token[claim];
    }
    for (const group of claimValues(value)) {
      for (const role of Object.hasOwn(config.mapping, group) ? (config.mapping[group] ?? []) : []) roles.add(role);
    }
  }
  return { sub, roles: ROLES.filter((role) => roles.has(role)) };
}

/** Whether a route's access needs a token (and so an identity). */
export const needsIdentity = (access: Access): boolean => access !== 'none' && access !== 'signature';

/** Whether `identity` satisfies `access` (at least one of the listed roles). */
export function allows(access: Access, identity: Identity): boolean {
  if (access === 'authenticated' || access === 'none' || access === 'signature') return true;
  return access.some((role) => identity.roles.includes(role));
}
