// Bucket IAM through the real @google-cloud/storage client against a stand-in speaking the JSON
// API's getIamPolicy / setIamPolicy (lib/local/cloud/gcs-iam-server.ts), as docs/gcp-azure.md
// describes converging: only grantplane's own bindings change, a concurrent change is retried on a
// fresh read and kept, and a converged bucket costs one read and no write.
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBucketPolicyGateway, PolicyResourceNotFoundError } from '../../lib/adapters/gcp/bucket-iam.js';
import { convergePolicy, MAX_POLICY_ATTEMPTS } from '../../lib/app/policy-bindings.js';
import { roleMember } from '../../lib/domain/cloud/iam-policy.js';
import { startGcsIamServer, type GcsIamServer } from '../../lib/local/cloud/gcs-iam-server.js';

const GSA = 'serviceAccount:acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com';
const VIEWER = roleMember('roles/storage.objectViewer', GSA);
const CREATOR = roleMember('roles/storage.objectCreator', GSA);
const TEAM = 'group:data-team@acme.example';

let server: GcsIamServer;
let gateway: ReturnType<typeof makeBucketPolicyGateway>;

beforeAll(async () => {
  server = await startGcsIamServer();
  gateway = makeBucketPolicyGateway(new Storage({ apiEndpoint: server.endpoint, projectId: 'acme-gcp-dataplane' }));
});

afterAll(async () => {
  await server?.close();
});

const writes = (bucket: string) => server.calls.filter((call) => call.bucket === bucket && call.method === 'PUT');

describe('bucket IAM read-modify-write (docs/gcp-azure.md)', () => {
  it('adds the desired bindings next to what others bound; a second run reads once and writes nothing', async () => {
    server.addBucket('acme-research-data', [{ role: 'roles/storage.objectViewer', members: [TEAM] }]);
    const first = await convergePolicy(
      gateway,
      'projects/_/buckets/acme-research-data',
      new Set([VIEWER, CREATOR]),
      new Set(),
    );
    expect(first).toMatchObject({ added: [CREATOR, VIEWER], removed: [], writes: 1, conflicts: 0 });
    expect(first.owned).toEqual([CREATOR, VIEWER]);
    expect(server.bindingsOf('acme-research-data')).toEqual([
      { role: 'roles/storage.objectViewer', members: [TEAM, GSA] },
      { role: 'roles/storage.objectCreator', members: [GSA] },
    ]);

    const again = await convergePolicy(
      gateway,
      'projects/_/buckets/acme-research-data',
      new Set([VIEWER, CREATOR]),
      new Set(first.owned),
    );
    expect(again).toMatchObject({ added: [], removed: [], reads: 1, writes: 0 });
    expect(writes('acme-research-data')).toHaveLength(1);
  });

  it('revoking removes only what grantplane added: the same role and member bound by someone else stays', async () => {
    // The viewer binding was there before grantplane (not in its inventory); it added the creator.
    server.addBucket('acme-shared', [{ role: 'roles/storage.objectViewer', members: [GSA, TEAM] }]);
    const granted = await convergePolicy(
      gateway,
      'projects/_/buckets/acme-shared',
      new Set([VIEWER, CREATOR]),
      new Set(),
    );
    expect(granted.added).toEqual([CREATOR]);
    expect(granted.owned).toEqual([CREATOR]);

    const revoked = await convergePolicy(gateway, 'projects/_/buckets/acme-shared', new Set(), new Set(granted.owned));
    expect(revoked).toMatchObject({ removed: [CREATOR], owned: [] });
    expect(server.bindingsOf('acme-shared')).toEqual([{ role: 'roles/storage.objectViewer', members: [GSA, TEAM] }]);
  });

  it('a change made between the read and the write is refused by its etag, read again and kept', async () => {
    server.addBucket('acme-busy');
    server.beforeWrite(() =>
      server.edit('acme-busy', (bindings) => [
        ...bindings,
        { role: 'roles/storage.admin', members: ['user:ops@acme.example'] },
      ]),
    );
    const outcome = await convergePolicy(gateway, 'projects/_/buckets/acme-busy', new Set([VIEWER]), new Set());
    expect(outcome).toMatchObject({ added: [VIEWER], reads: 2, writes: 2, conflicts: 1 });
    expect(
      server.calls.filter((call) => call.bucket === 'acme-busy').map((call) => `${call.method} ${call.status}`),
    ).toEqual(['GET 200', 'PUT 412', 'GET 200', 'PUT 200']);
    expect(server.bindingsOf('acme-busy')).toEqual([
      { role: 'roles/storage.admin', members: ['user:ops@acme.example'] },
      { role: 'roles/storage.objectViewer', members: [GSA] },
    ]);
  });

  it(`gives up after ${MAX_POLICY_ATTEMPTS} conflicting writes, having written nothing`, async () => {
    server.addBucket('acme-contended');
    let edits = 0;
    const contend = () => {
      edits += 1;
      server.edit('acme-contended', (bindings) => [
        ...bindings.filter((b) => b.role !== 'roles/storage.legacyBucketReader'),
        { role: 'roles/storage.legacyBucketReader', members: [`user:editor${edits}@acme.example`] },
      ]);
      if (edits < MAX_POLICY_ATTEMPTS) server.beforeWrite(contend);
    };
    server.beforeWrite(contend);
    await expect(
      convergePolicy(gateway, 'projects/_/buckets/acme-contended', new Set([VIEWER]), new Set()),
    ).rejects.toThrow(/changed 5 times while grantplane wrote it: nothing of this step was written/);
    expect(server.bindingsOf('acme-contended').some((binding) => binding.members.includes(GSA))).toBe(false);
  });

  it('leaves a conditional binding exactly as it was', async () => {
    const conditional = {
      role: 'roles/storage.objectViewer',
      members: [GSA],
      condition: { title: 'until 2027', expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' },
    };
    server.addBucket('acme-conditional', [conditional]);
    const outcome = await convergePolicy(gateway, 'projects/_/buckets/acme-conditional', new Set([VIEWER]), new Set());
    expect(outcome.added).toEqual([VIEWER]); // the conditional one is not the unconditional grant
    expect(server.bindingsOf('acme-conditional')).toEqual([
      conditional,
      { role: 'roles/storage.objectViewer', members: [GSA] },
    ]);
  });

  it('an unknown bucket is a clear error, not an empty policy', async () => {
    await expect(gateway.getPolicy('projects/_/buckets/acme-missing')).rejects.toBeInstanceOf(
      PolicyResourceNotFoundError,
    );
  });
});
