// `grantplane audit` (docs/cli.md "The audit trail: grantplane audit"): who did what to which grant
// or target, newest first, from the API's audit trail — one line per event, or the events as JSON.
import { flag, parseCommandArgs, stringOption, type OptionValues } from './args.js';
import { API_OPTIONS, apiEndpoint, isObject, limitOption, listAll, renderProblem, text } from './api.js';
import { ExitCode, oneLine, plural, UsageError, type CliIo } from './io.js';

const USAGE = `Usage: grantplane audit [--grant <id>] [--target <plane>/<project>/<domain> | <plane>/global] [--actor <subject>] [--limit <n>] [--json]

  Audit events, newest first: when, who, what, which grant or target, the IAM calls an apply made.
  Without a filter: the latest events of the whole trail. One filter at a time.

Options:
  --grant <id>       the events of one grant (submitted, approved, applied, revoked, expired …)
  --target <key>     the events of one target: prod/flytesnacks/staging, or prod/global
  --actor <subject>  the events one person or process caused (alice, applier, drift …)
  --limit <n>        at most this many events (default 50, following the API's pages)
  --api <url>        the API's base URL (default: $GRANTPLANE_API)
  --token <token>    bearer token, approver or admin (default: $GRANTPLANE_TOKEN, else $GRANTPLANE_TOKEN_FILE)
  --json             the events as the API answers them
  -h, --help         this text

Exit codes: 0 done, 1 the API refused (the reason is printed), 2 bad usage or an unreachable API.
`;

/** `prod/flytesnacks/staging` or `prod/global` (or the stored `prod#…` key) as the API's target key. */
export function targetKeyOption(given: string): string {
  const parts = given.includes('#') ? given.split('#') : given.split('/');
  if (
    parts.some((part) => part.trim() === '') ||
    (parts.length !== 3 && !(parts.length === 2 && parts[1] === 'global'))
  )
    throw new UsageError(
      `audit: --target names a pair or a plane's global target: <plane>/<project>/<domain> or <plane>/global (got "${given}")`,
    );
  return parts.join('#');
}

/** One event as a line: when, who, what, on what, how it went. */
export function auditLine(event: Record<string, unknown>): string {
  const subject = [
    typeof event.grantId === 'string' ? `grant ${event.grantId}` : '',
    typeof event.targetKey === 'string' ? `target ${event.targetKey.split('#').join('/')}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  const calls = Array.isArray(event.iamCalls) && event.iamCalls.length > 0 ? ` [${event.iamCalls.join(', ')}]` : '';
  const result = event.result === 'error' ? ' FAILED' : '';
  const detail = typeof event.detail === 'string' && event.detail !== '' ? ` — ${oneLine(event.detail)}` : '';
  return `${text(event.at)}  ${text(event.actor).padEnd(10)}  ${text(event.action).padEnd(22)}  ${subject}${calls}${result}${detail}`;
}

function filtersOf(values: OptionValues): Record<string, string> {
  const grant = stringOption(values, 'grant');
  const target = stringOption(values, 'target');
  const actor = stringOption(values, 'actor');
  const given = [grant, target, actor].filter((value) => value !== undefined);
  if (given.length > 1) throw new UsageError('audit: one filter at a time: --grant, --target or --actor');
  if (grant !== undefined) return { grantId: grant };
  if (target !== undefined) return { target: targetKeyOption(target) };
  if (actor !== undefined) return { actor };
  return {};
}

/** Runs `grantplane audit`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('audit', args, {
    ...API_OPTIONS,
    grant: { type: 'string' },
    target: { type: 'string' },
    actor: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (parsed.help) {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  const filters = filtersOf(parsed.values);
  const limit = limitOption('audit', parsed.values, 50);
  const endpoint = await apiEndpoint('audit', parsed.values, io, 'approver or admin');
  const listed = await listAll('audit', endpoint, '/v1/audit', filters, limit);
  if ('refused' in listed) {
    io.stderr(renderProblem('audit', listed.refused));
    return ExitCode.rejected;
  }
  const events = listed.items.filter(isObject);
  if (flag(parsed.values, 'json')) {
    io.stdout(`${JSON.stringify(events, null, 2)}\n`);
    return ExitCode.ok;
  }
  for (const event of events) io.stdout(`${auditLine(event)}\n`);
  io.stdout(`${events.length} ${plural(events.length, 'event')}${listed.more ? ' (more: raise --limit)' : ''}\n`);
  return ExitCode.ok;
}
