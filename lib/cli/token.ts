// `grantplane token --sub alice --roles requester,approver`: mints a local development token
// (docs/api.md) without a running stack and prints it alone on stdout, so `TOKEN=$(npx grantplane token …)` works.
import { mintLocalToken, localJwtSecret } from '../local/jwt.js';
import { parseCommandArgs, requiredString, stringOption } from './args.js';
import { ExitCode, UsageError, type CliIo } from './io.js';

const HELP = `Usage: grantplane token --sub <subject> [--roles requester,approver,admin] [--ttl <seconds>] [--claim <name>]

Mints an HS256 token for the local stack (npm start) only; a deployed API never accepts it.
  --sub     the caller's subject (who requests, approves, revokes)
  --roles   comma-separated group names put in the roles claim (default: none)
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
  });
  if (parsed.help) {
    io.stdout(HELP);
    return ExitCode.ok;
  }
  const sub = requiredString('token', parsed.values, 'sub');
  const roles = (stringOption(parsed.values, 'roles') ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
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
