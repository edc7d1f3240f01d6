// `grantplane sync` (docs/git-sync.md): a CI job sends its repository's complete set of grants to
// PUT /v1/sources/{source}/grants and prints the diff. Exit 0 ok; 1 when the API refused the set
// (4xx: invalid grants 422, prune guard 409, no role 403, …) or a dry run hit the prune guard;
// 2 on bad usage, an unreadable file, an unreachable API or a failing one (5xx).
import { flag, parseCommandArgs, requiredString, stringOption } from './args.js';
import { loadGrantsFile } from './files.js';
import { ExitCode, oneLine, UsageError, type CliIo } from './io.js';

const USAGE = `Usage: grantplane sync --api <url> --source <name> --grants <file> [--dry-run] [--confirm-prune]
                       [--revision <commit>] [--token <token>]

Sends the complete set of grants declared in one repository to the grantplane API, which adds the
new ones (approved on arrival: the repository's review is the approval), keeps the unchanged ones
and revokes the ones no longer declared — only ever this source's grants.

Options:
  --api <url>          the API's base URL (e.g. https://abc.execute-api.us-west-2.amazonaws.com)
  --source <name>      the source (repository) name; the first sync creates it
  --grants <file>      a JSON or YAML array of grant requests (or an object with a "grants" array)
  --dry-run            only report what would change
  --confirm-prune      allow revoking more than half of the source's grants
  --revision <commit>  recorded in the audit (default: $GITHUB_SHA, then $CI_COMMIT_SHA)
  --token <token>      bearer token with the admin role (default: $GRANTPLANE_TOKEN)
  -h, --help           this text

Exit codes: 0 synced (or dry run clean), 1 the API refused the set (the errors are printed one per
line) or a dry run would trip the prune guard, 2 bad usage / unreadable file / API unreachable or failing.
`;

const TIMEOUT_MS = 120_000;

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

interface ProblemLike {
  title?: string;
  detail?: string;
  message?: string;
  errors?: { path?: string; code?: string; message?: string }[];
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '?');

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
    `source ${source}${answer.revision === undefined ? '' : ` at ${answer.revision}`}: ${answer.added.length} added, ${answer.unchanged.length} unchanged, ${answer.removed.length} removed${answer.dryRun === true ? ' (dry run: nothing changed)' : ''}`,
  ];
  for (const grant of answer.added) lines.push(`+ ${describeGrant(grant)}`);
  for (const grant of answer.removed) lines.push(`- ${describeGrant(grant)}`);
  if (answer.pruneGuard !== undefined) lines.push(`! ${answer.pruneGuard.code}: ${oneLine(answer.pruneGuard.message)}`);
  return `${lines.join('\n')}\n`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isSyncAnswer = (value: unknown): value is SyncAnswer =>
  isObject(value) && Array.isArray(value.added) && Array.isArray(value.unchanged) && Array.isArray(value.removed);

/** The API's refusal: a headline, then each problem error on its own line. */
function renderProblem(status: number, body: unknown, raw: string): string {
  const problem: ProblemLike = isObject(body) ? (body as ProblemLike) : {};
  const errors = problem.errors ?? [];
  // The detail, unless it only repeats the one error printed below it.
  const detail =
    problem.detail ?? problem.message ?? (raw.trim() === '' || isObject(body) ? undefined : raw.slice(0, 200));
  const repeats = errors.length === 1 && errors[0]?.message === detail;
  const head = `grantplane: sync refused (HTTP ${status}${problem.title === undefined ? '' : ` ${problem.title}`})`;
  const lines = [detail === undefined || repeats ? head : `${head}: ${oneLine(detail)}`];
  for (const error of errors)
    lines.push(`${text(error.path) || '(request)'}: ${text(error.code)}: ${oneLine(text(error.message))}`);
  return `${lines.join('\n')}\n`;
}

function apiUrl(base: string, source: string, query: URLSearchParams): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`sync: --api must be a URL such as https://api.example.com (got "${base}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`sync: --api must be an http(s) URL (got "${base}")`);
  const path = `${url.pathname.replace(/\/+$/, '')}/v1/sources/${encodeURIComponent(source)}/grants`;
  const target = new URL(path, url.origin);
  target.search = query.toString();
  return target;
}

/** Runs `grantplane sync`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('sync', args, {
    api: { type: 'string' },
    source: { type: 'string' },
    grants: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'confirm-prune': { type: 'boolean' },
    revision: { type: 'string' },
    token: { type: 'string' },
  });
  if (parsed.help) {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`sync: unexpected argument "${parsed.positionals[0]}"`);
  const api = requiredString('sync', parsed.values, 'api');
  const source = requiredString('sync', parsed.values, 'source');
  const grantsPath = requiredString('sync', parsed.values, 'grants');
  const token = stringOption(parsed.values, 'token') ?? io.env.GRANTPLANE_TOKEN;
  if (token === undefined || token.trim() === '') {
    throw new UsageError('sync: a token with the admin role is required: set GRANTPLANE_TOKEN or pass --token');
  }
  const dryRun = flag(parsed.values, 'dry-run');
  const confirmPrune = flag(parsed.values, 'confirm-prune');
  const grants = loadGrantsFile(grantsPath, io.cwd);
  const revision =
    stringOption(parsed.values, 'revision') ?? nonEmpty(io.env.GITHUB_SHA) ?? nonEmpty(io.env.CI_COMMIT_SHA);

  const query = new URLSearchParams();
  if (dryRun) query.set('dryRun', 'true');
  if (confirmPrune) query.set('confirmPrune', 'true');
  const url = apiUrl(api, source, query);

  let response: Response;
  let raw: string;
  try {
    response = await fetch(url, {
      method: 'PUT',
      headers: {
        Authorization: `Bearer ${token.trim()}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, application/problem+json',
      },
      body: JSON.stringify({ grants, ...(revision === undefined ? {} : { revision }) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    raw = await response.text();
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new UsageError(
      `sync: cannot reach the API at ${url.origin}: ${error instanceof Error ? error.message : String(error)}${cause}`,
      { cause: error },
    );
  }
  let body: unknown;
  try {
    body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
  } catch {
    body = undefined;
  }
  if (response.status >= 500) {
    io.stderr(renderProblem(response.status, body, raw));
    return ExitCode.usage;
  }
  if (response.status >= 400 || !response.ok) {
    io.stderr(renderProblem(response.status, body, raw));
    return ExitCode.rejected;
  }
  if (!isSyncAnswer(body)) {
    io.stderr(`grantplane: sync: the API answered ${response.status} without a diff; is --api the grantplane API?\n`);
    return ExitCode.usage;
  }
  io.stdout(renderSyncSummary(source, body));
  return body.pruneGuard !== undefined && !confirmPrune ? ExitCode.rejected : ExitCode.ok;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
