// docs/api.md's walkthrough, run as printed: its shell block, pasted into bash against `npm start`'s
// stack (only the API address differs: the stack here listens on a free port). What it prints is what
// the paragraph under the block says it prints.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_API = 'API=http://127.0.0.1:8080';

/** The fenced block under `heading` in a markdown file. */
const blockUnder = (file: string, heading: string): string => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`${file} has no heading "${heading}"`);
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(from));
  if (match?.[1] === undefined) throw new Error(`${file}: no sh block under "${heading}"`);
  return match[1];
};

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack();
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('docs/api.md walkthrough (run in bash as printed)', () => {
  it('prints the grant id, 403, approved, active, the target, the uctl file, then the revoke and its audit', async () => {
    // Prepare: the block as a reader pastes it, pointed at this stack
    const block = blockUnder('docs/api.md', '### Walkthrough: submit → approve → active → uctl update → revoke');
    expect(block.split('\n')[0]).toBe(DEFAULT_API); // npm start's default address
    const script = block.replace(DEFAULT_API, `API=${e2e.stack.url}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: [join(ROOT, 'node_modules/.bin'), process.env.PATH].join(delimiter),
    };
    delete env.GRANTPLANE_LOCAL_JWT_SECRET;

    // Act
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    });

    // Assess: the one-word answers in the order the paragraph names them
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^grant [0-9A-HJKMNP-TV-Z]{26}$/);
    const words = lines.filter((line) => /^[a-z-]+$|^\d{3}$/.test(line));
    expect(words).toEqual([
      '403',
      'approved',
      'active',
      'acknowledged',
      'revoking',
      'revoked',
      'waiting-uctl',
      'acknowledged',
    ]);
    const target = JSON.parse(lines.find((line) => line.startsWith('{')) ?? '{}') as Record<string, unknown>;
    expect(JSON.stringify(target)).toContain('system:serviceaccount:flytesnacks-staging:default');
    expect(target).toMatchObject({ desired: { role: { name: 'acme-flytesnacks-staging', path: '/grantplane/' } } });
    expect(stdout).toContain(
      'defaultUserRoleValue: "arn:aws:iam::123456789012:role/grantplane/acme-flytesnacks-staging"',
    );
    expect(Number(lines.at(-1))).toBeGreaterThanOrEqual(5); // submitted, approved, applied, revoked, removed;
  }, 150_000);
});
