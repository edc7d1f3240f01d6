// docs/api.md's walkthrough, then README's first one, run as printed: its shell block, pasted into bash against `npm start`'s
// stack (only the API address differs: the stack here listens on a free port). What it prints is what
// the paragraph under the block says it prints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';
import { blockUnder, runInBash } from '../helpers/walkthrough.js';
const DEFAULT_API = 'API=http://127.0.0.1:8080';

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack();
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('docs/api.md and README walkthroughs (run in bash as printed)', () => {
  it('api.md: grant id, 403, approved, active, target, uctl file, revoke, audit; then README: approved, active, the update waiting', async () => {
    // Prepare: the block as a reader pastes it, pointed at this stack
    const block = blockUnder('docs/api.md', '### Walkthrough: submit → approve → active → uctl update → revoke');
    expect(block.split('\n')[0]).toBe(DEFAULT_API); // npm start's default address
    const script = block.replace(DEFAULT_API, `API=${e2e.stack.url}`);

    // Act
    const { stdout } = await runInBash(script);

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
    expect(Number(lines.at(-1))).toBeGreaterThanOrEqual(5); // submitted, approved, applied, revoked, removed

    // Then README's first walkthrough, on the same stack: the pair is free again after the revoke
    const readme = blockUnder('README.md', '## A first walkthrough');
    expect(readme.split('\n')[0]).toBe(`export GRANTPLANE_${DEFAULT_API}`);
    const first = await runInBash(
      readme.replace(`export GRANTPLANE_${DEFAULT_API}`, `export GRANTPLANE_API=${e2e.stack.url}`),
    );
    const readmeId = /^[0-9A-Z]{26}/m.exec(first.stdout)?.[0];
    expect(first.stdout).toContain(`${readmeId}  approved`);
    expect(first.stdout).toContain(`${readmeId}: active`);
    expect(first.stdout).toMatch(
      /prod flytesnacks\/staging {2}arn:aws:iam::123456789012:role\/grantplane\/acme-flytesnacks-staging {2}pending/,
    );
  }, 150_000);
});
