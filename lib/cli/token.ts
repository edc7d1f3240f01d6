// `grantplane token --sub alice --roles requester,approver`: mints a local development token
// (docs/api.md) without a running stack and prints it alone on stdout, so `TOKEN=$(npx grantplane token …)` works.
import { ROLES } from '../domain/ports.js';
import { mintLocalToken, localJwtSecret } from '../local/jwt.js';
import { parseCommandArgs, requiredString, stringOption } from './args.js';
import { ExitCode, UsageError, type CliIo } from './io.js';

/** The group names a token may carry: the role names, or GRANTPLANE_ROLE_MAPPING's groups when it is set. */
function knownGroups(env: Record<string, string | undefined>): string[] {
  const mapping = env.GRANTPLANE_ROLE_MAPPING?.trim();
  if (mapping === undefined || mapping === '') return [...ROLES];
  try {
    const parsed = JSON.parse(mapping) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return Object.keys(parsed);
  } catch {
    // The API reports a mapping that does not parse; the token still names only roles then.
  }
  return [...ROLES];
}

const HELP = `Usage: grantplane token --sub <subject> [--roles requester,approver,admin] [--ttl <seconds>] [--claim <name>]
       grantplane token --client-credentials

Mints an HS256 token for the local stack (npm start) only; a deployed API never accepts it.
With --client-credentials: prints a token for a deployed API instead, from its OIDC issuer by the
client credentials grant (GRANTPLANE_OIDC_ISSUER, GRANTPLANE_OIDC_CLIENT_ID and
GRANTPLANE_OIDC_CLIENT_SECRET or GRANTPLANE_OIDC_CLIENT_SECRET_FILE; GRANTPLANE_OIDC_SCOPE and
GRANTPLANE_OIDC_AUDIENCE when the IdP wants them). Commands that call the API do this themselves
when GRANTPLANE_OIDC_CLIENT_ID is set and no token is given.
  --sub     the caller's subject (who requests, approves, revokes)
  --roles   comma-separated roles (requester, approver, admin; or the groups GRANTPLANE_ROLE_MAPPING names) put in the roles claim (default: none)
  --ttl     lifetime in seconds (default 43200 = 12 hours)
  --claim   the claim that carries the roles (default: first of GRANTPLANE_ROLES_CLAIM, else "groups")
Signed with GRANTPLANE_LOCAL_JWT_SECRET when set, else the development key in the repository.
`;

/** Runs `grantplane token`; prints the token alone on stdout. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('token', args, {
    sub: { type: 'string' },
    roles: { type: 'string' },
    ttl: { type: 'string' },
    claim: { type: 'string' },
    'client-credentials': { type: 'boolean' },
  });
  if (parsed.help) {
    io.stdout(HELP);
    return ExitCode.ok;
  }
  if (parsed.values['client-credentials'] === true) {
    const given = ['sub', 'roles', 'ttl', 'claim'].filter((key) => parsed.values[key] !== undefined);
    if (given.length > 0)
      throw new UsageError(`token: --client-credentials takes its settings from the environment, not --${given[0]}`);
    const { clientCredentialsToken } = await import('./oidc.js');
    io.stdout(`${await clientCredentialsToken('token', io)}\n`);
    return ExitCode.ok;
  }
  const sub = requiredString('token', parsed.values, 'sub');
  const roles = (stringOption(parsed.values, 'roles') ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  const groups = knownGroups(io.env);
  const unknown = roles.filter((role) => !groups.includes(role));
  if (unknown.length > 0)
    throw new UsageError(
      `token: --roles: unknown ${unknown.length === 1 ? 'role' : 'roles'} ${unknown.map((r) => `"${r}"`).join(', ')} (known: ${groups.join(', ')})`,
    );
  const ttlText = stringOption(parsed.values, 'ttl');
  const ttlSeconds = ttlText === undefined ? undefined : Number(ttlText);
  if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)) {
    throw new UsageError(`token: --ttl must be a positive whole number of seconds, got "${ttlText}"`);
  }
  const claimFromEnv = io.env.GRANTPLANE_ROLES_CLAIM?.split(',')[0]?.trim();
  const rolesClaim =
    stringOption(parsed.values, 'claim') ??
    (claimFromEnv !== undefined && claimFromEnv !== '' ? claimFromEnv : 'groups');
  const token = mintLocalToken(
    { sub, roles, rolesClaim, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) },
    localJwtSecret(io.env),
  );
  io.stdout(`${token}\n`);
  return ExitCode.ok;
}
