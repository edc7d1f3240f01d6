// A thin layer over node:util parseArgs: parse errors become UsageError (exit 2, one line), and
// every command gets `--help` for free.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ExitCode, UsageError, type CliIo } from './io.js';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export type ParsedArgs = { help: true } | { help: false; values: OptionValues; positionals: string[] };

/** Parses a command's arguments strictly; `--help`/`-h` anywhere asks for the usage text. */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  allowPositionals = false,
): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals,
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    // parseArgs messages end with advice about '--' that does not apply here; keep the first sentence.
    const first = message.split('. To specify')[0] ?? message;
    throw new UsageError(`${command}: ${first} (see grantplane ${command} --help)`, { cause: error });
  }
  if (parsed.values.help === true) return { help: true };
  return { help: false, values: parsed.values as OptionValues, positionals: parsed.positionals };
}

/** A string option, or undefined when it was not given. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string option the command cannot run without. */
export function requiredString(command: string, values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value === '') {
    throw new UsageError(`${command}: --${name} <value> is required (see grantplane ${command} --help)`);
  }
  return value;
}

/** A boolean flag. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A string option restricted to a few values. */
export function choiceOption<T extends string>(
  command: string,
  values: OptionValues,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = stringOption(values, name);
  if (value === undefined) return fallback;
  const match = choices.find((choice) => choice === value);
  if (match === undefined) {
    throw new UsageError(`${command}: --${name} must be one of ${choices.join(', ')} (got "${value}")`);
  }
  return match;
}

/**
 * `grantplane <command> <action> …`: the options parsed, `--help` printed (exit 0), a missing action
 * answered with the usage on stderr (exit 2); otherwise the action, the arguments after it and the
 * option values.
 */
export function parseActionArgs(
  command: string,
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  usage: string,
  io: Pick<CliIo, 'stdout' | 'stderr'>,
): { action: string; rest: string[]; values: OptionValues } | number {
  const parsed = parseCommandArgs(command, args, options, true);
  if (parsed.help) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const [action, ...rest] = parsed.positionals;
  if (action === undefined) {
    io.stderr(usage);
    return ExitCode.usage;
  }
  return { action, rest, values: parsed.values };
}
