// `grantplane <command>`: dispatches to command modules loaded lazily, so `grantplane token`
// never pays for loading the engine, and a command still being written does not break the others.
// Every failure is one line on stderr — never a stack trace — because CI logs are read by people.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../domain/errors.js';
import { ExitCode, UsageError, configErrorText, isConfigError, oneLine, processIo, type CliIo } from './io.js';

/** What every command module exports. */
export interface CommandModule {
  run(args: string[], io: CliIo): Promise<number>;
}

interface CommandEntry {
  /** Module basename next to this file (imported as `./<module>.js`). */
  module: string;
  summary: string;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  plan: { module: 'plan', summary: 'validate and compile grants; print the plan (JSON or Markdown)' },
  apply: { module: 'apply', summary: 'reconcile IAM to exactly the declared grants' },
  drift: { module: 'drift', summary: 'list differences between IAM and the declared grants' },
  sync: { module: 'sync', summary: "send a repository's complete set of grants to the API" },
  token: { module: 'token', summary: 'mint a local development token for the local stack' },
  grants: { module: 'grants', summary: 'request, list, show, approve, reject and revoke grants through the API' },
  updates: { module: 'updates', summary: 'list, run (through uctl, verified) and acknowledge uctl updates' },
  attributes: {
    module: 'attributes',
    summary: "import the pairs' current cluster resource attributes (uctl get) in bulk",
  },
  audit: { module: 'audit', summary: 'who did what to which grant or target, newest first' },
};

const USAGE = `Usage: grantplane <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, entry]) => `  ${name.padEnd(10)} ${entry.summary}`)
  .join('\n')}

Run \`grantplane <command> --help\` for a command's options, \`grantplane --version\` for the version.
Exit codes: 0 ok, 1 plan rejected something, 2 bad usage / unreadable file / invalid configuration, 3 drift found.
`;

/** The version package.json gives (the CLI runs from its repository or its installed package). */
function version(): string {
  const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error: unknown) {
    return reportError(error, io);
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    if (first === undefined) {
      io.stderr(USAGE);
      return ExitCode.usage;
    }
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`grantplane ${version()}\n`);
    return ExitCode.ok;
  }
  if (first === 'help') {
    if (rest[0] === undefined) {
      io.stdout(USAGE);
      return ExitCode.ok;
    }
    return dispatch([rest[0], '--help'], io);
  }
  const entry = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (entry === undefined) {
    throw new UsageError(
      `unknown command "${first}" (commands: ${Object.keys(COMMANDS).join(', ')}; see grantplane --help)`,
    );
  }
  const command = await loadCommand(first, entry);
  return command.run(rest, io);
}

async function loadCommand(name: string, entry: CommandEntry): Promise<CommandModule> {
  // Check the file first: an ERR_MODULE_NOT_FOUND raised *inside* an existing command is a bug
  // to report, not a command that is "not available".
  const present = ['.ts', '.js'].some((ext) =>
    existsSync(fileURLToPath(new URL(`./${entry.module}${ext}`, import.meta.url))),
  );
  if (!present) throw new UsageError(`command "${name}" is not available yet in this build`);
  const loaded: unknown = await import(`./${entry.module}.js`);
  if (!isCommandModule(loaded)) throw new Error(`command module ${entry.module} does not export run(args, io)`);
  return loaded;
}

function isCommandModule(value: unknown): value is CommandModule {
  return typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function';
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`grantplane: ${oneLine(error.message)}\n`);
    return ExitCode.usage;
  }
  if (isConfigError(error)) {
    // A configuration rejected by the domain outside files.ts (which wraps it itself).
    io.stderr(`grantplane: config error: ${configErrorText(error)}\n`);
    return ExitCode.usage;
  }
  if (error instanceof EngineError) {
    io.stderr(
      `grantplane: engine error (nothing was planned or changed; please report it): ${oneLine(error.message)}\n`,
    );
    return ExitCode.usage;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  io.stderr(`grantplane: unexpected error: ${oneLine(message)}\n`);
  return ExitCode.usage;
}
