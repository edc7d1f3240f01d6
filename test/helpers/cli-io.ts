// The CLI's io (lib/cli/io.ts) in memory: what a command wrote to stdout and stderr, with `env` as its environment.
import type { CliIo } from '../../lib/cli/io.js';

export function captureIo(env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    cwd: process.cwd(),
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}
