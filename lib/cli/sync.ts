// `grantplane sync` (docs/git-sync.md): a CI job sends its repository's complete set of grants to
// PUT /v1/sources/{source}/grants and prints the diff. Exit 0 ok; 1 when the API refused the set
// (4xx: invalid grants 422, prune guard 409, no role 403, …) or a dry run hit the prune guard;
// 2 on bad usage, an unreadable file, an unreachable API or a failing one (5xx).
import { flag, parseCommandArgs, requiredString, stringOption } from './args.js';
import { API_OPTIONS, apiEndpoint, callApi, isObject, nonEmpty, renderProblem, text } from './api.js';
import { loadGrantsFile } from './files.js';
import { ExitCode, oneLine, UsageError, type CliIo } from './io.js';

const USAGE = `Usage: grantplane sync --api <url> --source <name> --grants <file> [--dry-run] [--confirm-prune]
                       [--revision <commit>] [--token <token>]

Sends the complete set of grants declared in one repository to the grantplane API, which adds the
new ones (approved on arrival: the repository's review is the approval), keeps the unchanged ones
and revokes the ones no longer declared — only ever this source's grants.

Options:
  --api <url>          the API's base URL (default: $GRANTPLANE_API)
  --source <name>      the source (repository) name; the first sync creates it
  --grants <file>      a JSON or YAML array of grant requests (or an object with a "grants" array)
  --dry-run            only report what would change
  --confirm-prune      allow revoking more than half of the source's grants
  --revision <commit>  recorded in the audit (default: $GITHUB_SHA, then $CI_COMMIT_SHA)
  --token <token>      bearer token with the admin role (default: $GRANTPLANE_TOKEN, else the file
                       $GRANTPLANE_TOKEN_FILE names)
  -h, --help           this text

Exit codes: 0 synced (or dry run clean), 1 the API refused the set (the errors are printed one per
line) or a dry run would trip the prune guard, 2 bad usage / unreadable file / API unreachable or failing.
`;

interface GrantLike {
  id?: string;
  dataPlane?: string;
  status?: string;
  scope?: { type?: string; project?: string; domain?: string };
  resource?: Record<string, unknown> & { type?: string };
}

interface SyncAnswer {
  added: GrantLike[];
  unchanged: GrantLike[];
  removed: GrantLike[];
  dryRun?: boolean;
  revision?: string;
  pruneGuard?: { code: string; message: string };
}

/** One grant as a line: plane, scope, resource. */
export function describeGrant(grant: GrantLike): string {
  const scope =
    grant.scope?.type === 'project-domain' ? `${text(grant.scope.project)}/${text(grant.scope.domain)}` : 'global';
  const r = grant.resource ?? {};
  let resource: string;
  switch (r.type) {
    case 's3':
      resource = `s3 ${text(r.bucket)}${typeof r.prefix === 'string' && r.prefix !== '' ? `/${r.prefix}` : ''} ${text(r.access)}`;
      break;
    case 'secretsmanager':
      resource = `secretsmanager ${typeof r.secretArn === 'string' ? r.secretArn : text(r.secretName)}`;
      break;
    case 'ecr':
      resource = `ecr ${text(r.repositoryArn)}`;
      break;
    case 'iam-statements':
      resource = `iam-statements (${Array.isArray(r.statements) ? r.statements.length : '?'} statements)`;
      break;
    default:
      resource = text(r.type);
  }
  const suffix = [grant.id, grant.status].filter((part) => part !== undefined).join(', ');
  return `${text(grant.dataPlane)} ${scope} ${resource}${suffix === '' ? '' : `  (${suffix})`}`;
}

/** The diff as a short summary: counts, then one line per added and removed grant. */
export function renderSyncSummary(source: string, answer: SyncAnswer): string {
  const lines = [
    `source ${source}${answer.revision === undefined ? '' : ` at ${answer.revision}`}: ${
      answer.dryRun === true
        ? `would add ${answer.added.length}, keep ${answer.unchanged.length}, remove ${answer.removed.length} (dry run: nothing changed)`
        : `${answer.added.length} added, ${answer.unchanged.length} unchanged, ${answer.removed.length} removed`
    }`,
  ];
  for (const grant of answer.added) lines.push(`+ ${describeGrant(grant)}`);
  for (const grant of answer.removed) lines.push(`- ${describeGrant(grant)}`);
  if (answer.pruneGuard !== undefined)
    lines.push(`! ${answer.pruneGuard.code}: ${flagSpeak(oneLine(answer.pruneGuard.message))}`);
  return `${lines.join('\n')}\n`;
}

const isSyncAnswer = (value: unknown): value is SyncAnswer =>
  isObject(value) && Array.isArray(value.added) && Array.isArray(value.unchanged) && Array.isArray(value.removed);

/** The API's words for its query parameters, in the CLI's flags. */
const flagSpeak = (message: string): string =>
  message.replace(/\bconfirmPrune=true\b/g, '--confirm-prune').replace(/\bdryRun=true\b/g, '--dry-run');

/** Runs `grantplane sync`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('sync', args, {
    ...API_OPTIONS,
    source: { type: 'string' },
    grants: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'confirm-prune': { type: 'boolean' },
    revision: { type: 'string' },
  });
  if (parsed.help) {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`sync: unexpected argument "${parsed.positionals[0]}"`);
  const endpoint = await apiEndpoint('sync', parsed.values, io, 'admin');
  const source = requiredString('sync', parsed.values, 'source');
  const grantsPath = requiredString('sync', parsed.values, 'grants');
  const dryRun = flag(parsed.values, 'dry-run');
  const confirmPrune = flag(parsed.values, 'confirm-prune');
  const grants = loadGrantsFile(grantsPath, io.cwd);
  const revision =
    stringOption(parsed.values, 'revision') ?? nonEmpty(io.env.GITHUB_SHA) ?? nonEmpty(io.env.CI_COMMIT_SHA);

  const query = new URLSearchParams();
  if (dryRun) query.set('dryRun', 'true');
  if (confirmPrune) query.set('confirmPrune', 'true');
  const answer = await callApi('sync', endpoint, {
    method: 'PUT',
    path: `/v1/sources/${encodeURIComponent(source)}/grants`,
    query,
    body: { grants, ...(revision === undefined ? {} : { revision }) },
  });
  const body = answer.body;
  if (answer.status >= 500) {
    io.stderr(renderProblem('sync', answer));
    return ExitCode.usage;
  }
  if (answer.status >= 300) {
    io.stderr(flagSpeak(renderProblem('sync', answer)));
    return ExitCode.rejected;
  }
  if (!isSyncAnswer(body)) {
    io.stderr(`grantplane: sync: the API answered ${answer.status} without a diff; is --api the grantplane API?\n`);
    return ExitCode.usage;
  }
  io.stdout(renderSyncSummary(source, body));
  return body.pruneGuard !== undefined && !confirmPrune ? ExitCode.rejected : ExitCode.ok;
}
