// docs/drift-and-expiry.md's walkthrough of a grant that expires, run as printed against `npm start`'s
// stack (only the API and IAM emulator addresses differ): submit with a 20-second expiry, approve,
// active with its policy attached, the drift run expires it, the policy is gone and the pair's uctl
// update drops the role. Its own file: the handlers wire to the first stack they meet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';
import { blockUnder, runInBash } from '../helpers/walkthrough.js';

const DEFAULT_API = 'API=http://127.0.0.1:8080';
const DEFAULT_IAM = /^IAM=http:\/\/127\.0\.0\.1:4600\b/m;

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack();
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('docs/drift-and-expiry.md walkthrough of a grant that expires (run in bash as printed)', () => {
  it('active with its policy attached, expired by the drift run, the policy removed, the role dropped from the pair', async () => {
    // Prepare: the block as a reader pastes it, pointed at this stack
    const block = blockUnder('docs/drift-and-expiry.md', '### Walkthrough: a grant that expires');
    expect(block.split('\n')[0]).toBe(DEFAULT_API); // npm start's default address
    expect(block).toMatch(DEFAULT_IAM); // GRANTPLANE_IAM_PORT=4600, as the paragraph starts it
    const script = block
      .replace(DEFAULT_API, `API=${e2e.stack.url}`)
      .replace(DEFAULT_IAM, `IAM=${e2e.stack.iamEndpoint}`);

    // Act
    const { stdout } = await runInBash(script);

    // Assess: each answer the comments in the block name, in order
    const lines = stdout.trim().split('\n');
    const id = /^grant ([0-9A-HJKMNP-TV-Z]{26})$/.exec(lines[0] ?? '')?.[1];
    expect(id, stdout).toBeDefined();
    expect(lines.slice(1, 5)).toEqual([
      'approved',
      'active',
      'attached: userflyterole grantplane-flytesnacks-staging-1',
      '1',
    ]);
    expect(lines[5]).toBe('expired');
    expect(Number(lines[6])).toBeGreaterThanOrEqual(5); // submitted, approved, applied, expired, removed
    expect(lines.slice(7)).toEqual([id, 'attached: userflyterole', 'null']);
  }, 150_000);
});
