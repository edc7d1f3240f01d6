// `grantplane grants request|list|show|approve|reject|revoke` (docs/cli.md "Grants from a terminal"): the
// grants API from a terminal or a script, through the CLI's API client (--api, --token).
import { flag, parseActionArgs, stringOption, type OptionValues } from './args.js';
import {
  API_OPTIONS,
  apiEndpoint,
  callApi,
  isObject,
  limitOption,
  listAll,
  renderProblem,
  type ApiEndpoint,
} from './api.js';
import { ExitCode, oneLine, plural, UsageError, type CliIo } from './io.js';
import { readStructuredFile } from './files.js';
import { describeGrant } from './sync.js';

const USAGE = `Usage: grantplane grants request --file <grant.yaml> [--idempotency-key <key>] [--quiet] [--json]
       grantplane grants list [--status <s>] [--project <p>] [--domain <d>] [--source <name>] [--limit <n>] [--json]
       grantplane grants show <id> [--json]
       grantplane grants approve <id> [--comment <text>]
       grantplane grants reject <id> [--comment <text>]
       grantplane grants revoke <id>

  request   ask for access: one grant request (a YAML or JSON file, one entry of a manifest)
  list      grants, newest first (at most --limit, default 50, following the API's pages)
  show      one grant: scope, resource, justification, ticket, expiry, its status history
  approve   approve a pending grant (approver; never your own)
  reject    reject a pending grant (approver; never your own)
  revoke    revoke a grant (its requester or an admin)

Options:
  --api <url>      the API's base URL (default: $GRANTPLANE_API)
  --token <token>  bearer token (default: $GRANTPLANE_TOKEN, else the file $GRANTPLANE_TOKEN_FILE names)
  --json           the API's answer as JSON
  --quiet          request: print only the new grant's id (for scripts: ID=$(grantplane grants request … --quiet))
  -h, --help       this text

Exit codes: 0 done, 1 the API refused (the reason is printed), 2 bad usage or an unreachable API.
`;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** One grant as a list row: id, status, plane, scope and resource, requester. */
const row = (grant: Record<string, unknown>): string =>
  `${text(grant.id)}  ${text(grant.status).padEnd(16)}  ${describeGrant(grant as Parameters<typeof describeGrant>[0])}  (${text(grant.requester)})`;

/** A grant as a person reads it. */
function details(grant: Record<string, unknown>): string {
  const lines = [
    `${text(grant.id)}: ${text(grant.status)}`,
    `  ${describeGrant(grant as Parameters<typeof describeGrant>[0])}`,
  ];
  lines.push(`  requested by ${text(grant.requester)} via ${text(grant.source)} at ${text(grant.createdAt)}`);
  if (text(grant.justification) !== '') lines.push(`  justification: ${oneLine(text(grant.justification))}`);
  const ticket = grant.ticket;
  if (isObject(ticket))
    lines.push(`  ticket: ${text(ticket.system)} ${text(ticket.key)} ${text(ticket.url)}`.trimEnd());
  if (text(grant.expiresAt) !== '') lines.push(`  expires at ${text(grant.expiresAt)}`);
  if (text(grant.approvedBy) !== '') lines.push(`  approved by ${text(grant.approvedBy)}`);
  if (text(grant.failureReason) !== '') lines.push(`  failed: ${oneLine(text(grant.failureReason))}`);
  for (const note of Array.isArray(grant.notes) ? grant.notes : [])
    if (isObject(note)) lines.push(`  note ${text(note.code)}: ${oneLine(text(note.message))}`);
  lines.push('  history:');
  for (const step of Array.isArray(grant.history) ? grant.history : []) {
    if (!isObject(step)) continue;
    const comment = text(step.comment) === '' ? '' : ` — ${oneLine(text(step.comment))}`;
    lines.push(`    ${text(step.at)}  ${text(step.status)} by ${text(step.actor)}${comment}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads the one grant request --file names. */
function requestOf(values: OptionValues, io: CliIo): Record<string, unknown> {
  const file = stringOption(values, 'file');
  if (file === undefined)
    throw new UsageError('grants request: name the request: grantplane grants request --file grant.yaml');
  const request = readStructuredFile(file, io.cwd, 'grant');
  if (!isObject(request))
    throw new UsageError(
      `grants request: ${file} holds ${Array.isArray(request) ? 'a list' : 'no mapping'}: give one grant request (dataPlane, scope, resource, justification)`,
    );
  return request;
}

async function list(endpoint: ApiEndpoint, values: OptionValues, io: CliIo): Promise<number> {
  const limit = limitOption('grants list', values, 50);
  const filters = Object.fromEntries(
    ['status', 'project', 'domain', 'source']
      .map((key) => [key, values[key]] as const)
      .filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string'),
  );
  const listed = await listAll('grants', endpoint, '/v1/grants', filters, limit);
  if ('refused' in listed) {
    io.stderr(renderProblem('grants list', listed.refused));
    return ExitCode.rejected;
  }
  const grants = listed.items;
  if (flag(values, 'json')) io.stdout(`${JSON.stringify(grants, null, 2)}\n`);
  else {
    for (const grant of grants) io.stdout(`${row(grant)}\n`);
    io.stdout(`${grants.length} ${plural(grants.length, 'grant')}${listed.more ? ' (more: raise --limit)' : ''}\n`);
  }
  return ExitCode.ok;
}

const ACTIONS = ['request', 'list', 'show', 'approve', 'reject', 'revoke'];
const ROLE_OF: Record<string, string> = {
  request: 'requester',
  approve: 'approver',
  reject: 'approver',
  revoke: 'requester or admin',
};

/** POSTs one grant request; says whether it waits for approval. */
async function request(endpoint: ApiEndpoint, body: unknown, values: OptionValues, io: CliIo): Promise<number> {
  const key = stringOption(values, 'idempotency-key');
  const answer = await callApi('grants', endpoint, {
    method: 'POST',
    path: '/v1/grants',
    body,
    ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
  });
  if ((answer.status !== 200 && answer.status !== 201) || !isObject(answer.body)) {
    io.stderr(renderProblem('grants request', answer));
    return ExitCode.rejected;
  }
  if (flag(values, 'json')) io.stdout(`${JSON.stringify(answer.body, null, 2)}\n`);
  else if (flag(values, 'quiet')) io.stdout(`${text(answer.body.id)}\n`);
  else {
    io.stdout(`${row(answer.body)}\n`);
    if (answer.body.status === 'pending-approval')
      io.stdout(`waits for an approver: grantplane grants approve ${text(answer.body.id)}\n`);
  }
  return ExitCode.ok;
}

/** Runs `grantplane grants`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseActionArgs(
    'grants',
    args,
    {
      ...API_OPTIONS,
      status: { type: 'string' },
      project: { type: 'string' },
      domain: { type: 'string' },
      source: { type: 'string' },
      limit: { type: 'string' },
      comment: { type: 'string' },
      file: { type: 'string' },
      'idempotency-key': { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { action, rest } = parsed;
  const [id, ...extra] = rest;
  if (!ACTIONS.includes(action)) throw new UsageError(`grants: unknown action "${action}" (${ACTIONS.join(', ')})`);
  if (extra.length > 0 || (action === 'request' && id !== undefined))
    throw new UsageError(`grants ${action}: unexpected argument "${action === 'request' ? id : extra[0]}"`);
  const endpoint = await apiEndpoint(`grants ${action}`, parsed.values, io, ROLE_OF[action] ?? 'any');
  if (action === 'list') return list(endpoint, parsed.values, io);
  if (action === 'request') return request(endpoint, requestOf(parsed.values, io), parsed.values, io);
  if (id === undefined) throw new UsageError(`grants ${action}: name the grant: grantplane grants ${action} <id>`);
  const comment = stringOption(parsed.values, 'comment');
  const path = `/v1/grants/${encodeURIComponent(id)}`;
  const answer =
    action === 'show'
      ? await callApi('grants', endpoint, { method: 'GET', path })
      : action === 'revoke'
        ? await callApi('grants', endpoint, { method: 'DELETE', path })
        : await callApi('grants', endpoint, {
            method: 'POST',
            path: `${path}/${action}`,
            body: comment === undefined ? {} : { comment },
          });
  // 200 for a read or a decision, 202 for a revoke (the applier finishes it).
  if (answer.status < 200 || answer.status >= 300 || !isObject(answer.body)) {
    io.stderr(renderProblem(`grants ${action}`, answer));
    return ExitCode.rejected;
  }
  if (flag(parsed.values, 'json')) io.stdout(`${JSON.stringify(answer.body, null, 2)}\n`);
  else if (action === 'show') io.stdout(details(answer.body));
  else io.stdout(`${row(answer.body)}\n`);
  return ExitCode.ok;
}
