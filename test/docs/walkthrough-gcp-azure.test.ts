// docs/gcp-azure.md's walkthroughs, each run as printed against `npm start`'s stack (only the API and
// stand-in addresses differ). Cloud Storage: approve → active with the two bindings, a binding
// removed by hand → drift reported and repaired by the sweep (enforce), revoke → grantplane's
// bindings gone. Azure Blob Storage: approve → active with Storage Blob Data Contributor, the
// assignment deleted by hand → put back by the sweep under the same name, revoke → gone. Their own
// file: the handlers wire to the first stack they meet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';
import { blockUnder, runInBash } from '../helpers/walkthrough.js';

const DEFAULT_API = 'API=http://127.0.0.1:8080';
const DEFAULT_GCS = /^GCS=http:\/\/127\.0\.0\.1:4610\b/m;
const DEFAULT_ARM = /^ARM=https:\/\/127\.0\.0\.1:4612\b/m;
const CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const GSA = 'serviceAccount:acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com';

let e2e: E2eStack;
const saved = process.env.GRANTPLANE_APPLIER_SWEEP_SECONDS;

beforeAll(async () => {
  // A quick sweep, so the repair of step 4 comes in seconds (the docs say: up to the interval).
  process.env.GRANTPLANE_APPLIER_SWEEP_SECONDS = '2';
  e2e = await startE2eStack({ withDrift: true });
}, 90_000);

/**
 * The block under `heading` as a reader pastes it, its API and one stand-in address pointed at this
 * stack, run in bash: the lines it printed.
 */
async function runWalkthrough(heading: string, standIn: RegExp, variable: string, endpoint: string | undefined) {
  const block = blockUnder('docs/gcp-azure.md', heading);
  expect(block.split('\n')[0]).toBe(DEFAULT_API);
  expect(block).toMatch(standIn);
  expect(endpoint).toBeDefined();
  const script = block.replace(DEFAULT_API, `API=${e2e.stack.url}`).replace(standIn, `${variable}=${endpoint}`);
  const { stdout } = await runInBash(script);
  return { stdout, lines: stdout.trim().split('\n') };
}

afterAll(async () => {
  await e2e?.stop();
  if (saved === undefined) delete process.env.GRANTPLANE_APPLIER_SWEEP_SECONDS;
  else process.env.GRANTPLANE_APPLIER_SWEEP_SECONDS = saved;
});

describe('docs/gcp-azure.md walkthrough of a Cloud Storage grant ("Enabling Google Cloud Storage", run in bash as printed)', () => {
  it('active with Viewer and Creator, a removed binding reported and put back, revoked with nothing of grantplane left', async () => {
    // Act: the block as a reader pastes it, pointed at this stack
    const { stdout, lines } = await runWalkthrough(
      '## Walkthrough: a Cloud Storage grant on `npm start`',
      DEFAULT_GCS,
      'GCS',
      e2e.stack.cloudEndpoints?.gcs,
    );

    // Assess: each answer the comments in the block name, in order
    expect(lines[0], stdout).toMatch(/^grant [0-9A-HJKMNP-TV-Z]{26}$/);
    expect(lines.slice(1)).toEqual([
      'approved',
      'active',
      'roles: roles/storage.objectCreator roles/storage.objectViewer',
      'roles: roles/storage.objectViewer',
      '0',
      `projects/_/buckets/acme-research-data: roles/storage.objectCreator ${GSA} missing`,
      'roles: roles/storage.objectCreator roles/storage.objectViewer',
      'revoking',
      'revoked',
      'roles: none',
    ]);
  }, 150_000);
});

describe('docs/gcp-azure.md walkthrough of an Azure Blob Storage grant ("Enabling Azure Blob Storage", run in bash as printed)', () => {
  it('active with Storage Blob Data Contributor, a deleted assignment put back under its name, revoked with nothing left', async () => {
    // Act: the block as a reader pastes it, pointed at this stack
    const { stdout, lines } = await runWalkthrough(
      '## Walkthrough: an Azure Blob Storage grant on `npm start`',
      DEFAULT_ARM,
      'ARM',
      e2e.stack.cloudEndpoints?.arm,
    );

    // Assess: each answer the comments in the block name, in order
    expect(lines[0], stdout).toMatch(/^grant [0-9A-HJKMNP-TV-Z]{26}$/);
    expect(lines.slice(1), stdout).toEqual([
      'approved',
      'active',
      expect.stringMatching(new RegExp(`^assigned: ${CONTRIBUTOR} [0-9a-f-]{36}$`)),
      'applied',
      'assigned: none',
      '0',
      'same name',
      'revoking',
      'revoked',
      'assigned: none',
    ]);
  }, 150_000);
});
