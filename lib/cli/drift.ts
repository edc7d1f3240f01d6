// `grantplane drift` (docs/cli.md, docs/drift-and-expiry.md): compare IAM with the declared grants and list differences.
// Exit 0 when none, 3 when anything drifted, is missing or orphaned. Reads only.
import { makeIamClient } from '../adapters/iam/client.js';
import { makeIamGateway } from '../adapters/iam/gateway.js';
import { checkPlaneDrift } from '../app/drift.js';
import type { DriftReport, DriftTarget } from '../domain/reconcile/index.js';
import { iamFailure, preparePlanes, printRejected, reachablePlanes } from './apply.js';
import { choiceOption, flag, parseCommandArgs } from './args.js';
import { type CliIo, ExitCode, plural, UsageError } from './io.js';

const USAGE = `Usage: grantplane drift --config <file> --grants <file> [--format text|json] [--plane <name>] [--verify-tags]

Reads grantplane's roles and policies in IAM (one whole-plane read) and lists where they differ
from the declared grants: drifted (a document, trust policy, attachment or tag differs), missing
(a declared role or policy does not exist), orphaned (grantplane-tagged, declared nowhere).
Changes nothing.

Options:
  --config <file>      data plane configuration, YAML or JSON (default: $GRANTPLANE_CONFIG)
  --grants <file>      a JSON or YAML array of grant requests
  --format text|json   text (default): the differences; json: the drift report
  --plane <name>       check only this data plane (default: every AWS plane)
  --verify-tags        also read the tags of every policy whose document is as declared (one
                       GetPolicy each); by default only policies that differ or that nothing
                       declares have their tags read
  -h, --help           this text

Exit codes: 0 no drift, 1 a grant was rejected or IAM refused a read, 2 bad usage / unreadable
file / invalid configuration, 3 drift found.
`;

const scopeText = (target: DriftTarget): string =>
  target.scope.type === 'global'
    ? `${target.dataPlane} global`
    : `${target.dataPlane} ${target.scope.project}/${target.scope.domain}`;

/** The report as text: one header per target that is not in sync, one line per difference. */
export function renderDriftText(report: DriftReport): string {
  const lines: string[] = [];
  for (const target of report.targets) {
    if (target.status === 'in-sync') continue;
    lines.push(`${scopeText(target)}: ${target.status}`);
    for (const difference of target.differences) lines.push(`  - ${difference}`);
  }
  const inSync = report.targets.filter((target) => target.status === 'in-sync').length;
  const differing = report.targets.length - inSync;
  lines.push(
    differing === 0 ? `no drift (${inSync} targets in sync)` : `${differing} targets differ, ${inSync} in sync`,
  );
  return `${lines.join('\n')}\n`;
}

/** Runs `grantplane drift`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('drift', args, {
    config: { type: 'string' },
    grants: { type: 'string' },
    plane: { type: 'string' },
    format: { type: 'string' },
    'verify-tags': { type: 'boolean' },
  });
  if (parsed.help) {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`drift: unexpected argument "${parsed.positionals[0]}"`);
  const format = choiceOption('drift', parsed.values, 'format', ['text', 'json'] as const, 'text');
  const { plan, planes } = preparePlanes('drift', parsed.values, io);
  if (plan.rejected.length > 0) {
    printRejected(plan, io);
    io.stderr(
      `grantplane: drift refused: ${plan.rejected.length} ${plural(plan.rejected.length, 'grant')} rejected; the declared state is not well defined (grantplane plan shows the details)\n`,
    );
    return ExitCode.rejected;
  }
  const client = makeIamClient();
  try {
    const iam = makeIamGateway(client);
    const report: DriftReport = { checkedAt: new Date().toISOString(), targets: [] };
    for (const plane of await reachablePlanes(iam, planes, io)) {
      report.targets.push(
        ...(await checkPlaneDrift(iam, plane, plan.targets, undefined, flag(parsed.values, 'verify-tags'))),
      );
    }
    io.stdout(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderDriftText(report));
    return report.targets.some((target) => target.status !== 'in-sync') ? ExitCode.drifted : ExitCode.ok;
  } catch (error: unknown) {
    io.stderr(`grantplane: drift failed: ${iamFailure(error)}\n`);
    return ExitCode.rejected;
  } finally {
    client.destroy();
  }
}
