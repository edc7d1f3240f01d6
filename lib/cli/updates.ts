// `grantplane updates list|run|ack` (docs/cli.md "uctl updates"): the pairs' pending uctl updates,
// from the API, run where uctl works. `run` writes each pending update's file, runs its uctl
// command (update with --force, so newer uctl asks nothing; or delete), reads the pair back with
// `uctl get cluster-resource-attribute -p <project> -d <domain>` and acknowledges the update only
// when the pair now names the expected role (or no role, when the update drops it). An update that
// fails or does not verify stays pending: the next run tries it again, and the role it stops
// pointing at is never deleted before that.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeUpdate } from '../domain/records.js';
import { flag, parseActionArgs, stringOption } from './args.js';
import { API_OPTIONS, apiEndpoint, callApi, isObject, listAll, renderProblem, type ApiEndpoint } from './api.js';
import { ExitCode, oneLine, plural, UsageError, type CliIo } from './io.js';
import { getPairArgs, notFound, runUctl, uctlOf, type Ran, type Uctl } from './uctl.js';

const USAGE = `Usage: grantplane updates list [--status pending|acknowledged] [--json]
       grantplane updates run [--plane <name>] [--project <p> --domain <d>] [--dry-run] [--json]
       grantplane updates ack <id>

The uctl updates that make a project-domain grant take effect (or stop pointing a pair at a role).

  list       the updates (default: pending ones — the newest of each pair)
  run        for each pending update: write its file, run its uctl command, read the pair back with
             uctl get cluster-resource-attribute, and acknowledge it only when the pair names the
             expected role; --dry-run prints the commands and changes nothing
  ack <id>   acknowledge an update run by other means

Options:
  --api <url>           the API's base URL (default: $GRANTPLANE_API)
  --token <token>       bearer token (default: $GRANTPLANE_TOKEN, else the file $GRANTPLANE_TOKEN_FILE
                        names); list needs any role, run and ack need admin
  --plane, --project, --domain   run only these updates
  --uctl-config <file>  passed to every uctl call as --config (default: uctl's own, e.g. $UCTL_CONFIG)
  --json                machine-readable output
  -h, --help            this text

uctl is $GRANTPLANE_UCTL when set, else \`uctl\` on PATH; an update naming flytectl (a Flyte OSS
plane, binding: flytectl) runs $GRANTPLANE_FLYTECTL, else \`flytectl\`.
Exit codes: 0 done (every update run and acknowledged, or nothing pending), 1 an update failed or
did not verify (it stays pending) or the API refused, 2 bad usage or an unreachable API.
`;

/** An update as the API answers it (the fields the runner reads). */
type Update = Pick<
  AttributeUpdate,
  'id' | 'dataPlane' | 'project' | 'domain' | 'roleArn' | 'yaml' | 'command' | 'status'
>;

const isUpdate = (value: unknown): value is Update =>
  isObject(value) &&
  typeof value.id === 'string' &&
  typeof value.dataPlane === 'string' &&
  typeof value.project === 'string' &&
  typeof value.domain === 'string' &&
  typeof value.yaml === 'string' &&
  typeof value.command === 'string' &&
  (typeof value.roleArn === 'string' || value.roleArn === null);

interface Outcome {
  id: string;
  pair: string;
  result: 'acknowledged' | 'would-run' | 'failed';
  commands: string[];
  /** What ran, as a person says it: `uctl updated`, `uctl deleted`, `flytectl updated` … */
  did?: string;
  detail?: string;
}

/** Every update with this status, all pages. */
async function listUpdates(endpoint: ApiEndpoint, status: string, io: CliIo): Promise<Update[] | null> {
  const listed = await listAll('updates', endpoint, '/v1/attribute-updates', { status });
  if ('refused' in listed) {
    io.stderr(renderProblem('updates list', listed.refused));
    return null;
  }
  return listed.items.filter(isUpdate);
}

/**
 * The update's tool (uctl, or flytectl on a Flyte OSS plane) and arguments with its file at `file`
 * (update gets --force: newer versions ask otherwise).
 */
function commandArgs(update: Update, file: string): { tool: 'uctl' | 'flytectl'; args: string[] } {
  const [tool, ...args] = update.command.split(/\s+/).filter(Boolean);
  if (
    (tool !== 'uctl' && tool !== 'flytectl') ||
    args[1] !== 'cluster-resource-attribute' ||
    !['update', 'delete'].includes(args[0] ?? '')
  )
    throw new UsageError(`updates: update ${update.id} has a command this runner does not know: ${update.command}`);
  const replaced = args.map((arg, i) => (args[i - 1] === '--attrFile' ? file : arg));
  return { tool, args: [...replaced, ...(args[0] === 'update' ? ['--force'] : [])] };
}

/** The attributes a file or a `get` sets, or null when the text is not a pair's attributes. */
const attributesIn = async (text: string): Promise<Record<string, string> | null> => {
  const { parseUctlAttributes } = await import('../app/attributes.js');
  try {
    return (await parseUctlAttributes(text)).attributes;
  } catch {
    return null;
  }
};

/**
 * Whether `get` shows the pair exactly as the update's file leaves it (update replaces the whole
 * map): `null` when it does, else what differs. A delete is verified by "not found".
 */
async function mismatch(update: Update, got: Ran): Promise<string | null> {
  const wanted = (await attributesIn(update.yaml)) ?? {};
  if (Object.keys(wanted).length === 0 && update.command.split(/\s+/)[1] === 'delete')
    return notFound(got) ? null : `the pair still has attributes: ${oneLine(got.output).slice(0, 300)}`;
  if (got.code !== 0) return `get exited ${got.code}: ${oneLine(got.output).slice(0, 300)}`;
  const shown = await attributesIn(got.output);
  if (shown === null) return `get printed no attributes: ${oneLine(got.output).slice(0, 300)}`;
  const keys = [...new Set([...Object.keys(wanted), ...Object.keys(shown)])].sort();
  const differ = keys.filter((key) => wanted[key] !== shown[key]);
  if (differ.length === 0) return null;
  return `get shows ${differ
    .map((key) => `${key}=${shown[key] ?? '(unset)'} where the file has ${wanted[key] ?? '(unset)'}`)
    .join(', ')}`;
}

async function runOne(
  update: Update,
  options: { tools: Record<'uctl' | 'flytectl', Uctl>; dryRun: boolean; endpoint: ApiEndpoint; io: CliIo },
): Promise<Outcome> {
  const pair = `${update.dataPlane} ${update.project}/${update.domain}`;
  const dir = mkdtempSync(join(tmpdir(), 'grantplane-uctl-'));
  try {
    const file = join(dir, 'cluster_resource_attributes.yaml');
    writeFileSync(file, update.yaml);
    const { tool, args: apply } = commandArgs(update, file);
    const uctl = options.tools[tool];
    const check = getPairArgs(update.project, update.domain);
    const commands = [apply, check].map((args) => [uctl.binary, ...args, ...uctl.config].join(' '));
    if (options.dryRun) return { id: update.id, pair, result: 'would-run', commands };
    const ran = await runUctl(uctl, apply, options.io.env);
    if (ran.code !== 0)
      return {
        id: update.id,
        pair,
        result: 'failed',
        commands,
        detail: `${tool} exited ${ran.code}: ${oneLine(ran.output)}`,
      };
    const got = await runUctl(uctl, check, options.io.env);
    const differs = await mismatch(update, got);
    if (differs !== null)
      return { id: update.id, pair, result: 'failed', commands, detail: `not verified: ${tool} ${differs}` };
    const acked = await callApi('updates', options.endpoint, {
      method: 'POST',
      path: `/v1/attribute-updates/${encodeURIComponent(update.id)}/ack`,
    });
    if (acked.status !== 200)
      return { id: update.id, pair, result: 'failed', commands, detail: renderProblem('ack', acked).trim() };
    return {
      id: update.id,
      pair,
      result: 'acknowledged',
      commands,
      did: `${tool} ${apply[0] === 'delete' ? 'deleted' : 'updated'}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `grantplane updates`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseActionArgs(
    'updates',
    args,
    {
      ...API_OPTIONS,
      status: { type: 'string' },
      plane: { type: 'string' },
      project: { type: 'string' },
      domain: { type: 'string' },
      'uctl-config': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { action, rest } = parsed;
  const json = flag(parsed.values, 'json');
  if (action === 'list') {
    const status = stringOption(parsed.values, 'status') ?? 'pending';
    if (status !== 'pending' && status !== 'acknowledged')
      throw new UsageError(`updates list: --status is pending or acknowledged, got "${status}"`);
    const updates = await listUpdates(await apiEndpoint('updates list', parsed.values, io, 'any'), status, io);
    if (updates === null) return ExitCode.rejected;
    if (json) io.stdout(`${JSON.stringify(updates, null, 2)}\n`);
    else {
      for (const u of updates)
        io.stdout(
          `${u.id}  ${u.dataPlane} ${u.project}/${u.domain}  ${u.roleArn ?? '(drops the role)'}  ${u.status}\n`,
        );
      io.stdout(`${updates.length} ${status} ${plural(updates.length, 'update')}\n`);
    }
    return ExitCode.ok;
  }
  if (action === 'ack') {
    const id = rest[0];
    if (id === undefined) throw new UsageError('updates ack: name the update: grantplane updates ack <id>');
    const endpoint = await apiEndpoint('updates ack', parsed.values, io, 'admin');
    const answer = await callApi('updates', endpoint, {
      method: 'POST',
      path: `/v1/attribute-updates/${encodeURIComponent(id)}/ack`,
    });
    if (answer.status !== 200) {
      io.stderr(renderProblem('updates ack', answer));
      return ExitCode.rejected;
    }
    io.stdout(json ? `${JSON.stringify(answer.body, null, 2)}\n` : `acknowledged ${id}\n`);
    return ExitCode.ok;
  }
  if (action !== 'run') throw new UsageError(`updates: unknown action "${action}" (list, run, ack)`);
  const [plane, project, domain] = ['plane', 'project', 'domain'].map((key) => stringOption(parsed.values, key));
  if ((project === undefined) !== (domain === undefined))
    throw new UsageError('updates run: --project and --domain go together (one pair)');
  const dryRun = flag(parsed.values, 'dry-run');
  const endpoint = await apiEndpoint('updates run', parsed.values, io, 'admin');
  const tools = { uctl: uctlOf(parsed.values, io), flytectl: uctlOf(parsed.values, io, 'flytectl') };
  const pending = await listUpdates(endpoint, 'pending', io);
  if (pending === null) return ExitCode.rejected;
  const chosen = pending.filter(
    (u) =>
      (plane === undefined || u.dataPlane === plane) &&
      (project === undefined || (u.project === project && u.domain === domain)),
  );
  const outcomes: Outcome[] = [];
  for (const update of chosen) {
    const outcome = await runOne(update, { tools, dryRun, endpoint, io });
    outcomes.push(outcome);
    if (json) continue;
    if (outcome.result === 'would-run') {
      io.stdout(`would run for ${outcome.pair} (${outcome.id}):\n${outcome.commands.map((c) => `  ${c}\n`).join('')}`);
    } else if (outcome.result === 'acknowledged') {
      io.stdout(`${outcome.pair}: ${outcome.did ?? 'uctl updated'}, verified, acknowledged ${outcome.id}\n`);
    } else io.stderr(`grantplane: ${outcome.pair}: ${outcome.detail ?? 'failed'}; ${outcome.id} stays pending\n`);
  }
  const failed = outcomes.filter((o) => o.result === 'failed').length;
  if (json) io.stdout(`${JSON.stringify(outcomes, null, 2)}\n`);
  else {
    const done = outcomes.length - failed;
    const verb = dryRun ? 'would run' : 'acknowledged';
    io.stdout(`${done} ${plural(done, 'update')} ${verb}${failed > 0 ? `, ${failed} failed (still pending)` : ''}\n`);
  }
  return failed > 0 ? ExitCode.rejected : ExitCode.ok;
}
