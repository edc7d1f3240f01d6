// `grantplane plan` (docs/cli.md): validate and compile a grants file against a configuration and
// print the plan. Exit 0 when nothing is rejected, 1 when something is, 2 on bad input.
import { planGrants } from '../domain/engine.js';
import { choiceOption, parseCommandArgs, stringOption } from './args.js';
import { loadAttributesFile, loadConfigFile, loadGrantsFile } from './files.js';
import type { GrantplaneConfig } from '../domain/config.js';
import { ExitCode, UsageError, type CliIo } from './io.js';
import { renderPlanText } from './plan-text.js';
import { API_OPTIONS, apiEndpoint } from './api.js';
import { liveDiff, renderLiveDiff, type LiveDiff } from './plan-live.js';

const USAGE = `Usage: grantplane plan --config <file> --grants <file> [--format json|text|markdown] [--attributes <path>]
                       [--api <url> [--source <name>]]

Validates grant requests against the documented rules and compiles them into the IAM roles,
policies and uctl attribute files they need. Nothing is changed anywhere.

Options:
  --config <file>      data plane configuration, YAML or JSON (default: $GRANTPLANE_CONFIG)
  --grants <file>      a JSON or YAML array of grant requests (or an object {"grants": [...]})
  --format <f>         json (default): the plan as JSON; text or markdown: the review, in Markdown for a
                       pull-request comment (each grant's access, justification, ticket, expiry)
  --attributes <path>  current cluster resource attributes per pair: what uctl get
                       cluster-resource-attribute -p P -d D prints, as it prints it (several in one
                       YAML stream or JSON list), or a mapping keyed "<dataPlane>/<project>/<domain>"
                       ("<project>/<domain>" with a single AWS plane); or a folder of such files,
                       with a subfolder per plane (attributes/prod/…); for those pairs they replace
                       the configuration's attributes in the uctl files
  --api <url>          also show what the grants change against the live desired state of the
                       API there (per target: access added and removed, what becomes broader);
                       the token as for every API command (--token, $GRANTPLANE_TOKEN, …)
  --source <name>      with --api: the git source these grants are the whole set of; also list the
                       grants its sync would remove (an admin token: the sync's dry run)
  --token <token>      bearer token for --api
  -h, --help           this text

Exit codes: 0 all accepted, 1 something rejected, 2 bad usage / unreadable file / invalid configuration.
`;

/** Runs `grantplane plan`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('plan', args, {
    config: { type: 'string' },
    grants: { type: 'string' },
    format: { type: 'string' },
    attributes: { type: 'string' },
    ...API_OPTIONS,
    source: { type: 'string' },
  });
  if (parsed.help) {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`plan: unexpected argument "${parsed.positionals[0]}"`);
  const configPath = stringOption(parsed.values, 'config') ?? nonEmpty(io.env.GRANTPLANE_CONFIG);
  if (configPath === undefined) throw new UsageError('plan: --config <file> is required (see grantplane plan --help)');
  const grantsPath = stringOption(parsed.values, 'grants');
  if (grantsPath === undefined || grantsPath === '') {
    throw new UsageError('plan: --grants <file> is required (see grantplane plan --help)');
  }
  const format = choiceOption('plan', parsed.values, 'format', ['json', 'text', 'markdown'] as const, 'json');
  const attributesPath = stringOption(parsed.values, 'attributes');

  const config = loadConfigFile(configPath, io.cwd);
  const requests = loadGrantsFile(grantsPath, io.cwd);
  const attributes =
    attributesPath === undefined
      ? undefined
      : planeKeyedAttributes(config, attributesPath, loadAttributesFile(attributesPath, io.cwd));

  // The real clock enters here, at the boundary; the engine itself never reads it.
  const result = planGrants({ config, requests, now: new Date(), ...(attributes ? { attributes } : {}) });

  const api = stringOption(parsed.values, 'api');
  const source = stringOption(parsed.values, 'source');
  if (source !== undefined && api === undefined)
    throw new UsageError('plan: --source compares against a live API: pass --api <url> too');
  let live: LiveDiff | undefined;
  if (api !== undefined) {
    const endpoint = await apiEndpoint('plan --api', parsed.values, io, 'any');
    live = await liveDiff(endpoint, requests, source);
  }
  io.stdout(
    format === 'json'
      ? `${JSON.stringify(live === undefined ? result : { ...result, live }, null, 2)}\n`
      : renderPlanText(result, requests, live === undefined ? [] : renderLiveDiff(live)),
  );
  return result.rejected.length > 0 ? ExitCode.rejected : ExitCode.ok;
}

/**
 * The engine keys imported attributes `<dataPlane>/<project>/<domain>`; a file may leave the plane
 * out when the configuration has exactly one AWS plane (the common single-cluster case).
 */
export function planeKeyedAttributes(
  config: GrantplaneConfig,
  path: string,
  attributes: Record<string, Record<string, string>>,
): Record<string, Record<string, string>> {
  const awsPlanes = config.dataPlanes.filter((plane) => plane.cloud === 'aws').map((plane) => plane.name);
  const result: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const parts = key.split('/');
    if (parts.length === 3 && awsPlanes.includes(parts[0] ?? '')) {
      result[key] = value;
    } else if (parts.length === 2 && awsPlanes.length === 1) {
      result[`${awsPlanes[0]}/${key}`] = value;
    } else {
      const form = awsPlanes.length === 1 ? '"<project>/<domain>" or ' : '';
      throw new UsageError(
        `attributes file ${path}: key "${key}" must be ${form}"<dataPlane>/<project>/<domain>" with an AWS plane of the configuration (${awsPlanes.join(', ')}); for what uctl get prints, put the file in a folder named after its plane (attributes/${awsPlanes[0] ?? 'prod'}/…) and pass the folder`,
      );
    }
  }
  return result;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
