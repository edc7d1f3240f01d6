// docs/cli.md's walkthrough without curl, run as printed against `npm start`'s stack (only the API
// address differs): request, list, approve, `updates run` with the stand-in uctl, revoke, `updates
// run` again, and the role gone from IAM. Its own file: the handlers wire to the first stack they meet.
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';
import { blockUnder, runInBash } from '../helpers/walkthrough.js';

const DEFAULT_API = 'export GRANTPLANE_API=http://127.0.0.1:8080';

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack();
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('docs/cli.md walkthrough without curl (run in bash as printed)', () => {
  it('requests, approves, runs and verifies the uctl update, revokes, runs the next one, the role is gone, and the audit trail tells it', async () => {
    // Prepare: the block as a reader pastes it, pointed at this stack
    const block = blockUnder('docs/cli.md', '### Walkthrough without curl');
    expect(block.split('\n')[0]).toBe(DEFAULT_API); // npm start's default address
    const script = block.replace(DEFAULT_API, `export GRANTPLANE_API=${e2e.stack.url}`);

    // Act
    const { stdout } = await runInBash(script);

    // Assess: what the paragraph under the block says it prints, in that order
    const id = /^([0-9A-HJKMNP-TV-Z]{26}) {2}pending-approval/m.exec(stdout)?.[1];
    expect(id, stdout).toBeDefined();
    const expected = [
      `${id}  pending-approval  prod flytesnacks/staging s3 acme-ml-data/team-a/ read`,
      `${id}  approved`,
      'prod flytesnacks/staging: imported no attributes',
      'prod flytesnacks/staging: uctl updated, verified, acknowledged',
      `${id}: active`,
      'history:',
      `${id}  revoking`,
      'prod flytesnacks/staging: uctl deleted, verified, acknowledged',
      `${id}: revoked`,
      'grant.revoked',
      `grant ${id}`,
    ];
    let from = 0;
    for (const line of expected) {
      const at = stdout.indexOf(line, from);
      expect(at, `"${line}" after offset ${from} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
      from = at + line.length;
    }
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ events$/); // the audit trail's count
    const gone = await e2e.iam.send(new GetRoleCommand({ RoleName: 'acme-flytesnacks-staging' })).then(
      () => 'still there',
      (error: { name?: string }) => error.name,
    );
    expect(gone).toBe('NoSuchEntityException');
  }, 150_000);
});
