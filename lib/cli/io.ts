// The CLI's only contact with the process: output streams, environment and working directory.
// Commands take a CliIo so tests can run them in-process and capture what they print.

/** What a command may touch of the outside world. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Exit codes shared by every command (docs/cli.md). */
export const ExitCode = {
  ok: 0,
  /** plan: something was rejected. */
  rejected: 1,
  /** bad usage, unreadable files, invalid configuration. */
  usage: 2,
  /** drift: IAM differs from the declared grants. */
  drifted: 3,
} as const;

/**
 * Bad usage, an unreadable file or an invalid configuration: `main` prints the message as one
 * line on stderr and exits 2. The message must say what to fix.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The real process as a CliIo. */
export function processIo(): CliIo {
  guardStdout();
  return {
    stdout: (text) => {
      if (!stdoutClosed) process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

let stdoutClosed = false;
let stdoutGuarded = false;

// `grantplane plan | head` closes the pipe early: Node then emits EPIPE as an unhandled 'error'
// event (a stack trace and exit 1). The reader chose to stop reading, so drop the rest quietly.
function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      stdoutClosed = true;
      return;
    }
    process.stderr.write(`grantplane: cannot write output: ${oneLine(error.message)}\n`);
    process.exitCode = ExitCode.usage;
  });
}

/** The word for `count` of a thing: `grant` for 1, `grants` otherwise. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

/** Collapses any message to one line, so no error ever spreads over several lines of a CI log. */
export function oneLine(message: string): string {
  return message.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/** Recognises lib/domain/config.ts's ConfigError without importing the domain eagerly. */
export function isConfigError(error: unknown): error is Error & { key: string } {
  return (
    error instanceof Error &&
    (error.name === 'ConfigError' || error.constructor.name === 'ConfigError') &&
    typeof (error as { key?: unknown }).key === 'string'
  );
}

/** `<key>: <message>`, without repeating the key when the message already starts with it. */
export function configErrorText(error: Error & { key: string }): string {
  const message = oneLine(error.message);
  if (error.key === '' || message.startsWith(error.key)) return message;
  return `${error.key}: ${message}`;
}
