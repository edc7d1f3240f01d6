// `grantplane attributes import` (docs/cli.md "Importing the pairs' attributes"): a pair's uctl
// update replaces its whole attribute map, so before grantplane writes one, the keys set there
// today (quotas …) must be known. This reads them — by running `uctl get cluster-resource-attribute`
// for each pair, or from files of its output — and imports them in bulk through the API.
import { flag, parseActionArgs, stringOption } from './args.js';
import { API_OPTIONS, apiEndpoint, callApi, isObject, listAll, renderProblem, text, type ApiEndpoint } from './api.js';
import { loadAttributesFile } from './files.js';
import { ExitCode, oneLine, plural, UsageError, type CliIo } from './io.js';
import { getPairArgs, notFound, runUctl, uctlOf } from './uctl.js';

const USAGE = `Usage: grantplane attributes import --plane <name> [--project <p> --domain <d>] [--from <path>] [--dry-run] [--json]

Imports the pairs' current cluster resource attributes, so no uctl update grantplane writes resets
a key nobody imported (uctl update replaces a pair's whole attribute map).

  Without --from: runs uctl get cluster-resource-attribute -p <project> -d <domain> for every pair
  the plane has a target for (or the one pair --project/--domain name). A pair uctl has nothing
  for is imported as empty: nothing to keep.
  With --from: reads what uctl get printed from a file or a folder of files instead (several
  outputs in one YAML stream, or one file per pair).

Options:
  --plane <name>        the data plane the pairs belong to (required)
  --project, --domain   one pair only
  --from <path>         files of uctl get's output instead of running uctl
  --dry-run             print what would be imported; change nothing
  --uctl-config <file>  passed to every uctl call as --config (default: uctl's own, e.g. $UCTL_CONFIG)
  --api <url>           the API's base URL (default: $GRANTPLANE_API)
  --token <token>       bearer token, admin (default: $GRANTPLANE_TOKEN, else $GRANTPLANE_TOKEN_FILE)
  --json                the outcome per pair as JSON
  -h, --help            this text

uctl is $GRANTPLANE_UCTL when set, else \`uctl\` on PATH; on a plane whose updates name flytectl
(binding: flytectl), $GRANTPLANE_FLYTECTL, else \`flytectl\`.
Exit codes: 0 every pair imported, 1 a pair could not be read or the API refused one (the others
are imported), 2 bad usage or an unreachable API.
`;

interface Pair {
  project: string;
  domain: string;
}

interface Outcome extends Pair {
  result: 'imported' | 'would-import' | 'failed';
  attributes?: Record<string, string>;
  /** Target keys whose desired state the import rewrote (their uctl updates follow). */
  changed?: string[];
  detail?: string;
}

/**
 * The plane's project-domain pairs that have a target (the pairs grantplane writes uctl updates
 * for), at most `limit` targets read, and the tool its updates name (flytectl on a Flyte OSS plane).
 */
async function targetPairs(
  endpoint: ApiEndpoint,
  plane: string,
  io: CliIo,
  limit?: number,
): Promise<{ pairs: Pair[]; tool: 'uctl' | 'flytectl' } | null> {
  const listed = await listAll('attributes import', endpoint, '/v1/targets', { dataPlane: plane }, limit);
  if ('refused' in listed) {
    io.stderr(renderProblem('attributes import (listing the targets)', listed.refused));
    return null;
  }
  let tool: 'uctl' | 'flytectl' = 'uctl';
  const pairs = listed.items.flatMap((target) => {
    const desired = target.desired;
    const uctl = isObject(desired) && isObject(desired.uctl) ? desired.uctl : undefined;
    if (typeof uctl?.command === 'string' && uctl.command.startsWith('flytectl ')) tool = 'flytectl';
    const scope = target.scope;
    return isObject(scope) && typeof scope.project === 'string' && typeof scope.domain === 'string'
      ? [{ project: scope.project, domain: scope.domain }]
      : [];
  });
  return { pairs, tool };
}

/** What uctl get prints for the pair, as attributes; a pair uctl has nothing for has none. */
async function readWithUctl(
  pair: Pair,
  uctl: ReturnType<typeof uctlOf>,
  io: CliIo,
): Promise<Record<string, string> | string> {
  const ran = await runUctl(uctl, [...getPairArgs(pair.project, pair.domain), '-o', 'yaml'], io.env);
  if (notFound(ran)) return {};
  if (ran.code !== 0) return `uctl get exited ${ran.code}: ${oneLine(ran.output).slice(0, 300)}`;
  try {
    const { parseUctlAttributes } = await import('../app/attributes.js');
    const parsed = await parseUctlAttributes(ran.output);
    if (
      (parsed.project !== undefined && parsed.project !== pair.project) ||
      (parsed.domain !== undefined && parsed.domain !== pair.domain)
    )
      return `uctl get printed ${parsed.project ?? '?'}/${parsed.domain ?? '?'} for ${pair.project}/${pair.domain}`;
    return parsed.attributes;
  } catch (error: unknown) {
    const errors = (error as { errors?: { message?: string }[] }).errors;
    return `uctl get printed something that is not a pair's attributes: ${errors?.[0]?.message ?? String(error)}`;
  }
}

/** The pairs of --from's files, all of --plane. */
function pairsFromFiles(path: string, plane: string, io: CliIo): Map<string, Record<string, string>> {
  const pairs = new Map<string, Record<string, string>>();
  for (const [key, attributes] of Object.entries(loadAttributesFile(path, io.cwd))) {
    const parts = key.split('/');
    if (parts.length === 3 && parts[0] !== plane)
      throw new UsageError(`attributes import: ${path} holds ${key}, which is not of --plane ${plane}`);
    pairs.set(parts.slice(-2).join('/'), attributes);
  }
  return pairs;
}

async function importPair(
  endpoint: ApiEndpoint,
  plane: string,
  pair: Pair,
  attributes: Record<string, string>,
): Promise<Outcome> {
  const answer = await callApi('attributes import', endpoint, {
    method: 'PUT',
    path: `/v1/attributes/${[plane, pair.project, pair.domain].map(encodeURIComponent).join('/')}`,
    body: { project: pair.project, domain: pair.domain, attributes },
  });
  if (answer.status !== 200 || !isObject(answer.body))
    return { ...pair, result: 'failed', attributes, detail: renderProblem('import', answer).trim() };
  const recompute = answer.body.recompute;
  const changed = isObject(recompute) && Array.isArray(recompute.changed) ? recompute.changed.map(String) : [];
  return { ...pair, result: 'imported', attributes, changed };
}

function line(plane: string, outcome: Outcome): string {
  const names = Object.keys(outcome.attributes ?? {});
  const what =
    names.length === 0 ? 'no attributes' : `${names.length} ${plural(names.length, 'attribute')} (${names.join(', ')})`;
  const pair = `${plane} ${outcome.project}/${outcome.domain}`;
  if (outcome.result === 'would-import') return `would import ${pair}: ${what}`;
  const changed =
    outcome.changed === undefined || outcome.changed.length === 0
      ? ''
      : `; uctl file rewritten for ${outcome.changed.map((key) => key.split('#').join('/')).join(', ')}`;
  return `${pair}: imported ${what}${changed}`;
}

/** Runs `grantplane attributes`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseActionArgs(
    'attributes',
    args,
    {
      ...API_OPTIONS,
      plane: { type: 'string' },
      project: { type: 'string' },
      domain: { type: 'string' },
      from: { type: 'string' },
      'uctl-config': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { action, rest: extra, values } = parsed;
  if (action !== 'import') throw new UsageError(`attributes: unknown action "${action}" (import)`);
  if (extra.length > 0) throw new UsageError(`attributes import: unexpected argument "${extra[0]}"`);
  const plane = stringOption(values, 'plane');
  if (plane === undefined)
    throw new UsageError('attributes import: name the data plane: grantplane attributes import --plane <name>');
  const [project, domain] = [stringOption(values, 'project'), stringOption(values, 'domain')];
  if ((project === undefined) !== (domain === undefined))
    throw new UsageError('attributes import: --project and --domain go together (one pair)');
  const from = stringOption(values, 'from');
  const dryRun = flag(values, 'dry-run');
  const json = flag(values, 'json');
  const endpoint = await apiEndpoint('attributes import', values, io, 'admin');

  // Which pairs, and what each has today
  const read = new Map<string, Record<string, string> | string>();
  if (from !== undefined) {
    for (const [key, attributes] of pairsFromFiles(from, plane, io))
      if (project === undefined || key === `${project}/${domain}`) read.set(key, attributes);
  } else {
    const known = await targetPairs(endpoint, plane, io, project === undefined ? undefined : 10);
    if (known === null) return ExitCode.rejected;
    const pairs = project === undefined ? known.pairs : [{ project, domain: domain ?? '' }];
    const uctl = uctlOf(values, io, known.tool);
    for (const pair of pairs) read.set(`${pair.project}/${pair.domain}`, await readWithUctl(pair, uctl, io));
  }

  const outcomes: Outcome[] = [];
  for (const [key, attributes] of read) {
    const [pairProject = '', pairDomain = ''] = key.split('/');
    const pair = { project: pairProject, domain: pairDomain };
    const outcome: Outcome =
      typeof attributes === 'string'
        ? { ...pair, result: 'failed', detail: attributes }
        : dryRun
          ? { ...pair, result: 'would-import', attributes }
          : await importPair(endpoint, plane, pair, attributes);
    outcomes.push(outcome);
    if (json) continue;
    if (outcome.result === 'failed')
      io.stderr(`grantplane: ${plane} ${key}: ${outcome.detail ?? 'failed'}; not imported\n`);
    else io.stdout(`${line(plane, outcome)}\n`);
  }
  const failed = outcomes.filter((outcome) => outcome.result === 'failed').length;
  if (json) io.stdout(`${JSON.stringify(outcomes, null, 2)}\n`);
  else {
    const done = outcomes.length - failed;
    const verb = dryRun ? 'would be imported' : 'imported';
    io.stdout(
      `${done} ${plural(done, 'pair')} ${verb}${failed > 0 ? `, ${failed} failed` : ''}${outcomes.length === 0 && from === undefined ? ` (${text(plane)} has no project-domain target yet: name a pair with --project and --domain)` : ''}\n`,
    );
  }
  return failed > 0 ? ExitCode.rejected : ExitCode.ok;
}
