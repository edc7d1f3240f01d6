// Running a walkthrough of the docs as a reader does: its shell block, pasted into bash in the
// repository's folder, with the project's `npx grantplane` on PATH.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The fenced block under `heading` in a markdown file. */
export const blockUnder = (file: string, heading: string): string => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`${file} has no heading "${heading}"`);
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(from));
  if (match?.[1] === undefined) throw new Error(`${file}: no sh block under "${heading}"`);
  return match[1];
};

/** Runs `script` in bash (-euo pipefail) in the repository's folder; rejects on a non-zero exit. */
export const runInBash = (script: string, env: Record<string, string> = {}) => {
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [join(ROOT, 'node_modules/.bin'), process.env.PATH].join(delimiter),
    ...env,
  };
  delete environment.GRANTPLANE_LOCAL_JWT_SECRET; // the local stack signs with its development secret
  return promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: ROOT,
    env: environment,
    timeout: 120_000,
  });
};
