// `grantplane apply` (docs/cli.md): reconcile IAM (mode aws) to exactly the declared grants, pruning
// what grantplane owns that is no longer declared. Prints each IAM call, a waiting line per role
// that waits for its uctl update, and a final `N changes` line; a second run prints `0 changes`.
import { makeIamClient } from '../adapters/iam/client.js';
import { makeIamGateway } from '../adapters/iam/gateway.js';
import { applyPlane, assertPlaneAccount, BlastRadiusError, PlaneAccountError } from '../app/reconcile.js';
import type { IamGateway } from '../domain/ports.js';
import type { AwsDataPlaneConfig } from '../domain/config.js';
import { planGrants } from '../domain/engine.js';
import type { PlanResult } from '../domain/model.js';
import { flag, type OptionValues, parseCommandArgs, stringOption } from './args.js';
import { loadConfigFile, loadGrantsFile } from './files.js';
import { type CliIo, ExitCode, oneLine, plural, UsageError } from './io.js';

const USAGE = `Usage: grantplane apply --config <file> --grants <file> [--dry-run] [--prune-roles] [--confirm-removal] [--plane <name>] [--verify-tags]

Reconciles AWS IAM to exactly these grants: creates and updates grantplane's roles and policies,
attaches them, and removes what grantplane manages that is no longer declared. It never touches
<AdminFlyteRole>, never changes the userflyterole policy, and on <UserFlyteRole> only attaches or
detaches grantplane's own policies. Credentials, region and endpoint come from the AWS SDK's
standard configuration (AWS_PROFILE, AWS_ENDPOINT_URL_IAM, ...).

Options:
  --config <file>   data plane configuration, YAML or JSON (default: $GRANTPLANE_CONFIG)
  --grants <file>   a JSON or YAML array of grant requests
  --dry-run         print the calls that would be made; change nothing
  --prune-roles     delete project-domain roles that are no longer declared (confirm first that
                    the pair's uctl update, which stops pointing at the role, has run)
  --confirm-removal apply even when it takes access from more than half of a plane's targets
                    that have access (and from more than two); without it such an apply
                    changes nothing and exits 1
  --plane <name>    apply only this data plane (default: every AWS plane)
  --verify-tags     also read the tags of every policy whose document is as declared (one
                    GetPolicy each) and restore them if someone changed them; by default
                    only policies that differ or that nothing declares have their tags read
  -h, --help        this text

Exit codes: 0 applied, 1 a grant was rejected or the removal guard held the apply (nothing
changed) or IAM refused a call, 2 bad usage / unreadable file / invalid configuration.
`;

/** Parsed `apply`/`drift` inputs: configuration, compiled plan, the AWS planes to work on. */
export interface PlaneRun {
  plan: PlanResult;
  planes: AwsDataPlaneConfig[];
}

/** Loads config and grants, compiles them, and picks the AWS planes (shared with `drift`). */
export function preparePlanes(command: string, values: OptionValues, io: CliIo): PlaneRun {
  const configPath = stringOption(values, 'config') ?? nonEmpty(io.env.GRANTPLANE_CONFIG);
  if (configPath === undefined)
    throw new UsageError(`${command}: --config <file> is required (see grantplane ${command} --help)`);
  const grantsPath = stringOption(values, 'grants');
  if (grantsPath === undefined || grantsPath === '')
    throw new UsageError(`${command}: --grants <file> is required (see grantplane ${command} --help)`);
  const config = loadConfigFile(configPath, io.cwd);
  const requests = loadGrantsFile(grantsPath, io.cwd);
  // The real clock enters at the boundary; the engine never reads it.
  const plan = planGrants({ config, requests, now: new Date() });
  const only = stringOption(values, 'plane');
  const planes = config.dataPlanes.filter(
    (plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws' && (only === undefined || plane.name === only),
  );
  if (only !== undefined && planes.length === 0)
    throw new UsageError(`${command}: --plane ${only} is not an AWS data plane of the configuration`);
  return { plan, planes };
}

/** Prints why the grants were refused: one line per violation, `grants[i] path: code message`. */
export function printRejected(plan: PlanResult, io: CliIo): void {
  for (const rejected of plan.rejected) {
    for (const error of rejected.errors)
      io.stderr(`grants[${rejected.index}] ${error.path}: ${error.code}: ${oneLine(error.message)}\n`);
  }
}

/**
 * The planes these credentials act in (one GetRole each, before any write). A plane in another
 * account is skipped with a warning: one set of credentials reaches one account, and writing a
 * plane's roles into another plane's account would be wrong in every way (seed 003: one cluster
 * per account). The Lambda applier reaches other accounts through `applierRoleArn`; the CLI runs
 * once per account (`--plane`). Fails when no plane is reachable.
 */
export async function reachablePlanes(
  iam: IamGateway,
  planes: AwsDataPlaneConfig[],
  io: CliIo,
): Promise<AwsDataPlaneConfig[]> {
  const reachable: AwsDataPlaneConfig[] = [];
  const refused: string[] = [];
  for (const plane of planes) {
    try {
      await assertPlaneAccount(iam, plane);
      reachable.push(plane);
    } catch (error: unknown) {
      if (!(error instanceof PlaneAccountError)) throw error;
      refused.push(error.message);
      const hint = plane.applierRoleArn === undefined ? '' : ' (the CLI does not assume applierRoleArn)';
      io.stderr(
        `grantplane: warning: skipped ${oneLine(error.message)}${hint}; run with that account's credentials and --plane ${plane.name}\n`,
      );
    }
  }
  if (reachable.length === 0)
    throw new PlaneAccountError(refused.join('; ') || 'no AWS data plane in the configuration');
  return reachable;
}

/** Whether IAM failed for want of credentials (nothing was called: a re-run needs them first). */
const missingCredentials = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message));

/** What IAM's failure was, and for missing credentials what to do about them. */
export function iamFailure(error: unknown): string {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (!missingCredentials(error)) return message;
  return `${message}: no AWS credentials for IAM; set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the plane's account, or AWS_ENDPOINT_URL_IAM to the IAM emulator \`npm start\` prints`;
}

/** Runs `grantplane apply`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('apply', args, {
    config: { type: 'string' },
    grants: { type: 'string' },
    plane: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'prune-roles': { type: 'boolean' },
    'confirm-removal': { type: 'boolean' },
    'verify-tags': { type: 'boolean' },
  });
  if (parsed.help) {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`apply: unexpected argument "${parsed.positionals[0]}"`);
  const dryRun = flag(parsed.values, 'dry-run');
  const pruneRoles = flag(parsed.values, 'prune-roles');
  const { plan, planes } = preparePlanes('apply', parsed.values, io);
  if (plan.rejected.length > 0) {
    // Applying a subset would prune what the rejected grants were meant to keep: refuse outright.
    printRejected(plan, io);
    io.stderr(
      `grantplane: apply refused: ${plan.rejected.length} ${plural(plan.rejected.length, 'grant')} rejected; nothing was changed (grantplane plan shows the details)\n`,
    );
    return ExitCode.rejected;
  }

  const client = makeIamClient();
  try {
    const iam = makeIamGateway(client);
    const reachable = await reachablePlanes(iam, planes, io);
    const prefix = (plane: AwsDataPlaneConfig): string => (reachable.length > 1 ? `[${plane.name}] ` : '');
    let changes = 0;
    for (const plane of reachable) {
      const result = await applyPlane(iam, plane, plan.targets, {
        dryRun,
        pruneRoles,
        confirmRemoval: flag(parsed.values, 'confirm-removal'),
        verifyTags: flag(parsed.values, 'verify-tags'),
        onAction: (line) => io.stdout(`${prefix(plane)}${line}\n`),
      });
      if (dryRun) for (const line of result.actions) io.stdout(`${prefix(plane)}would ${line}\n`);
      for (const role of result.waitingRoles) {
        io.stdout(
          `${prefix(plane)}waiting ${role}: no longer declared; it is deleted by apply --prune-roles once its pair's uctl update has run\n`,
        );
      }
      for (const note of result.notes) io.stdout(`${prefix(plane)}note: ${note}\n`);
      changes += result.changes;
    }
    // Always `N changes` (also `1 changes`): CI scripts match the contract's line literally; a dry
    // run says what it would do.
    io.stdout(dryRun ? `dry run: nothing was changed\n${changes} changes would be made\n` : `${changes} changes\n`);
    return ExitCode.ok;
  } catch (error: unknown) {
    if (error instanceof UsageError) throw error;
    if (error instanceof BlastRadiusError) {
      io.stderr(`grantplane: apply held: ${oneLine(error.message)}\n`);
      return ExitCode.rejected;
    }
    const rerun = missingCredentials(error) ? '' : ' (a re-run continues where this one stopped)';
    io.stderr(`grantplane: apply failed: ${iamFailure(error)}${rerun}\n`);
    return ExitCode.rejected;
  } finally {
    client.destroy();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
