// GCP and Azure global grants end to end through the use cases (docs/gcp-azure.md): submit, approve,
// the applier converging the plane through the real @google-cloud/storage and
// @azure/arm-authorization clients on the local stand-ins (lib/local/cloud), the inventory in
// DynamoDB Local; a re-run writes nothing; a binding removed by hand is drift, repaired in enforce
// mode; revoking removes grantplane's bindings and nothing anyone else made.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyPendingTargets, applyTargets, type ApplierDeps } from '../../lib/app/applier.js';
import { runDriftCheck } from '../../lib/app/drift-run.js';
import { approveGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import { getTarget, listTargets } from '../../lib/app/targets.js';
import { makeMemoryPolicyTagCache } from '../../lib/app/drift-run.js';
import type { Identity } from '../../lib/domain/ports.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { startCloudStandIns, type CloudStandIns } from '../../lib/local/cloud/index.js';
import { silentLog } from '../helpers/applier.js';
import {
  AZURE_PLANE,
  FEATURES_CONTAINER,
  FEATURES_CONTAINER_SCOPE,
  FLYTE_WORKER_GSA,
  GCP_PLANE,
  KUBELET,
  SUBSCRIPTION,
  USER_FLYTE_GSA,
  USER_IDENTITY,
} from '../helpers/cloud-planes.js';
import { appDeps, type TestClock } from '../helpers/dynamo.js';

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };

const GSA = `serviceAccount:${USER_FLYTE_GSA}`;
const IDENTITY = USER_IDENTITY;
const TEAM = 'group:data-team@acme.example';
const WORKER = `serviceAccount:${FLYTE_WORKER_GSA}`;
const CONTAINER_SCOPE = FEATURES_CONTAINER_SCOPE;

const CONFIG = { dataPlanes: [GCP_PLANE, AZURE_PLANE] };

let cloud: CloudStandIns;
let deps: ApplierDeps & { clock: TestClock };

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  cloud = await startCloudStandIns({ gcs: { anyBucket: false }, anyResource: false });
});

afterAll(async () => {
  await cloud?.close();
});

beforeEach(async () => {
  deps = {
    ...(await appDeps(CONFIG)),
    log: silentLog(),
    iamFor: () => Promise.reject(new Error('no AWS plane')),
    cloudFor: cloud.source,
  };
});

const grant = async (id: string): Promise<GrantRecord> => {
  const found = await deps.grants.getGrant(id);
  if (found === null) throw new Error(`grant ${id} missing`);
  return found;
};

const approved = async (request: Record<string, unknown>): Promise<GrantRecord> => {
  const submitted = await submitGrant(deps, {
    request: { scope: { type: 'global' }, justification: 'training jobs', ...request },
    actor: alice,
  });
  return approveGrant(deps, { id: submitted.id, actor: bob });
};

const bucketWrites = (bucket: string) =>
  cloud.gcs.calls.filter((call) => call.bucket === bucket && call.method === 'PUT' && call.status === 200);
const armWrites = () => cloud.arm.calls.filter((call) => call.method !== 'GET');

describe('"Enabling Google Cloud Storage": <UserFlyteGSA> as a principal on the bucket', () => {
  it("one grant: applied, re-applied with 0 writes, drifted and repaired, revoked — others' bindings untouched", async () => {
    cloud.gcs.addBucket('acme-research-data', [{ role: 'roles/storage.objectViewer', members: [TEAM] }]);
    const g = await approved({
      dataPlane: 'research-gcp',
      resource: { type: 'gcs', bucket: 'acme-research-data', access: 'read-write' },
    });
    expect(g.status).toBe('approved');

    // Applied: Storage Object Viewer and Storage Object Creator, next to the team's viewer binding.
    const [applied] = await applyTargets(deps, ['research-gcp#global']);
    expect(applied).toMatchObject({ outcome: 'applied' });
    expect(applied?.error).toBeUndefined();
    expect(applied?.iamCalls).toEqual([
      `setIamPolicy projects/_/buckets/acme-research-data +roles/storage.objectCreator ${GSA}`,
      `setIamPolicy projects/_/buckets/acme-research-data +roles/storage.objectViewer ${GSA}`,
    ]);
    expect((await grant(g.id)).status).toBe('active');
    expect(cloud.gcs.bindingsOf('acme-research-data')).toEqual([
      { role: 'roles/storage.objectViewer', members: [TEAM, GSA] },
      { role: 'roles/storage.objectCreator', members: [GSA] },
    ]);
    expect(await deps.cloud.listInventory('research-gcp')).toMatchObject([
      {
        resource: 'projects/_/buckets/acme-research-data',
        owned: [`roles/storage.objectCreator ${GSA}`, `roles/storage.objectViewer ${GSA}`],
      },
    ]);

    // Re-applied: one read, no write.
    const writesBefore = bucketWrites('acme-research-data').length;
    const [again] = await applyTargets(deps, ['research-gcp#global']);
    expect(again).toMatchObject({ outcome: 'unchanged', iamCalls: [] });
    expect(bucketWrites('acme-research-data')).toHaveLength(writesBefore);

    // Drifted: someone removes the creator binding by hand; detect reports it, enforce repairs it.
    cloud.gcs.edit('acme-research-data', (bindings) =>
      bindings.filter((b) => b.role !== 'roles/storage.objectCreator'),
    );
    const detected = await runDriftCheck({ ...deps, tagCache: makeMemoryPolicyTagCache() });
    expect(detected.targets).toEqual([
      {
        dataPlane: 'research-gcp',
        scope: { type: 'global' },
        status: 'drifted',
        differences: [`projects/_/buckets/acme-research-data: roles/storage.objectCreator ${GSA} missing`],
      },
      expect.objectContaining({ dataPlane: 'lab-azure', status: 'in-sync' }),
    ]);
    expect(await applyPendingTargets(deps)).toEqual([]); // detect mode: nothing repaired
    const enforced = await runDriftCheck({ ...deps, tagCache: makeMemoryPolicyTagCache() }, { mode: 'enforce' });
    expect(enforced.planes.find((p) => p.dataPlane === 'research-gcp')?.reapplied).toEqual(['research-gcp#global']);
    const [repair] = await applyPendingTargets(deps);
    expect(repair?.iamCalls).toEqual([
      `setIamPolicy projects/_/buckets/acme-research-data +roles/storage.objectCreator ${GSA}`,
    ]);
    const after = await runDriftCheck({ ...deps, tagCache: makeMemoryPolicyTagCache() });
    expect(after.targets[0]?.status).toBe('in-sync');

    // Revoked: grantplane's two bindings go, the team's stays; the inventory is empty.
    await revokeGrant(deps, { id: g.id, actor: alice });
    const [revoked] = await applyTargets(deps, ['research-gcp#global']);
    expect(revoked?.iamCalls).toEqual([
      `setIamPolicy projects/_/buckets/acme-research-data -roles/storage.objectCreator ${GSA}`,
      `setIamPolicy projects/_/buckets/acme-research-data -roles/storage.objectViewer ${GSA}`,
    ]);
    expect((await grant(g.id)).status).toBe('revoked');
    expect(cloud.gcs.bindingsOf('acme-research-data')).toEqual([
      { role: 'roles/storage.objectViewer', members: [TEAM] },
    ]);
    expect(await deps.cloud.listInventory('research-gcp')).toEqual([]);
  });

  it("a binding that was there before grantplane is not grantplane's: revoking leaves it", async () => {
    cloud.gcs.addBucket('acme-shared', [{ role: 'roles/storage.objectViewer', members: [GSA] }]);
    const g = await approved({
      dataPlane: 'research-gcp',
      resource: { type: 'gcs', bucket: 'acme-shared', access: 'read' },
    });
    const [applied] = await applyTargets(deps, ['research-gcp#global']);
    expect(applied?.iamCalls).toEqual([]);
    expect((await grant(g.id)).status).toBe('active');

    await revokeGrant(deps, { id: g.id, actor: alice });
    const [revoked] = await applyTargets(deps, ['research-gcp#global']);
    expect(revoked?.iamCalls).toEqual([]);
    expect((await grant(g.id)).status).toBe('revoked');
    expect(cloud.gcs.bindingsOf('acme-shared')).toEqual([{ role: 'roles/storage.objectViewer', members: [GSA] }]);
  });

  it('a bucket that does not exist fails the grant with the reason (nothing half-applied)', async () => {
    const g = await approved({
      dataPlane: 'research-gcp',
      resource: { type: 'gcs', bucket: 'acme-no-such-bucket', access: 'read' },
    });
    const [outcome] = await applyTargets(deps, ['research-gcp#global']);
    expect(outcome?.outcome).toBe('failed');
    const failed = await grant(g.id);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toMatch(/acme-no-such-bucket does not exist/);
    expect((await deps.cloud.getCloudState('research-gcp'))?.state).toBe('failed');
  });

  it('"Enabling Google Secret Manager": Secret Manager Secret Accessor for <UserFlyteGSA> on a secret in another project; re-applied with 0 writes; drifted and repaired through a concurrent edit; revoked', async () => {
    const SECRET = 'projects/111111111111/secrets/other-team';
    cloud.gcpIam.addResource(SECRET, [{ role: 'roles/secretmanager.admin', members: [TEAM] }]);
    const g = await approved({ dataPlane: 'research-gcp', resource: { type: 'gcp-secret', secret: SECRET } });
    const [applied] = await applyTargets(deps, ['research-gcp#global']);
    expect(applied?.iamCalls).toEqual([`setIamPolicy ${SECRET} +roles/secretmanager.secretAccessor ${GSA}`]);
    expect((await grant(g.id)).status).toBe('active');
    expect(cloud.gcpIam.bindingsOf(SECRET)).toEqual([
      { role: 'roles/secretmanager.admin', members: [TEAM] },
      { role: 'roles/secretmanager.secretAccessor', members: [GSA] },
    ]);
    const writes = () => cloud.gcpIam.calls.filter((c) => c.resource === SECRET && c.method === 'setIamPolicy');
    const before = writes().length;
    expect((await applyTargets(deps, ['research-gcp#global']))[0]).toMatchObject({
      outcome: 'unchanged',
      iamCalls: [],
    });
    expect(writes()).toHaveLength(before);

    // Drifted: the accessor binding removed by hand; enforce has the sweep put it back, and the
    // write that races another editor (ABORTED on its etag) is redone on a fresh read.
    cloud.gcpIam.edit(SECRET, (bindings) => bindings.filter((b) => b.role !== 'roles/secretmanager.secretAccessor'));
    const drift = await runDriftCheck({ ...deps, tagCache: makeMemoryPolicyTagCache() }, { mode: 'enforce' });
    expect(drift.targets.find((t) => t.dataPlane === 'research-gcp')?.differences).toEqual([
      `${SECRET}: roles/secretmanager.secretAccessor ${GSA} missing`,
    ]);
    cloud.gcpIam.beforeWrite(() =>
      cloud.gcpIam.edit(SECRET, (bindings) => [...bindings, { role: 'roles/secretmanager.viewer', members: [TEAM] }]),
    );
    const [repair] = await applyPendingTargets(deps);
    expect(repair?.iamCalls).toEqual([`setIamPolicy ${SECRET} +roles/secretmanager.secretAccessor ${GSA}`]);
    expect(cloud.gcpIam.calls.filter((c) => c.resource === SECRET && c.status === 409)).toHaveLength(1);
    expect(cloud.gcpIam.bindingsOf(SECRET)).toEqual([
      { role: 'roles/secretmanager.admin', members: [TEAM] },
      { role: 'roles/secretmanager.viewer', members: [TEAM] },
      { role: 'roles/secretmanager.secretAccessor', members: [GSA] },
    ]);

    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, ['research-gcp#global']);
    expect((await grant(g.id)).status).toBe('revoked');
    expect(cloud.gcpIam.bindingsOf(SECRET)).toEqual([
      { role: 'roles/secretmanager.admin', members: [TEAM] },
      { role: 'roles/secretmanager.viewer', members: [TEAM] },
    ]);
  });

  it('"Enabling Google Artifact Registry": Artifact Registry Reader for <FlyteWorkerGSA> on a repository in another project; a concurrent edit is kept', async () => {
    const REPO = 'projects/acme-shared-images/locations/us-central1/repositories/base';
    cloud.gcpIam.addResource(REPO);
    const g = await approved({ dataPlane: 'research-gcp', resource: { type: 'artifact-registry', repository: REPO } });
    const [applied] = await applyTargets(deps, ['research-gcp#global']);
    expect(applied?.iamCalls).toEqual([`setIamPolicy ${REPO} +roles/artifactregistry.reader ${WORKER}`]);
    expect((await grant(g.id)).status).toBe('active');
    // Someone edits the repository's policy; grantplane's revoke reads it fresh and keeps their binding.
    cloud.gcpIam.edit(REPO, (bindings) => [...bindings, { role: 'roles/artifactregistry.writer', members: [TEAM] }]);
    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, ['research-gcp#global']);
    expect((await grant(g.id)).status).toBe('revoked');
    expect(cloud.gcpIam.bindingsOf(REPO)).toEqual([{ role: 'roles/artifactregistry.writer', members: [TEAM] }]);
  });

  it("a secret that does not exist fails the grant with the API's reason", async () => {
    const g = await approved({
      dataPlane: 'research-gcp',
      resource: { type: 'gcp-secret', secret: 'projects/111111111111/secrets/no-such-secret' },
    });
    expect((await applyTargets(deps, ['research-gcp#global']))[0]?.outcome).toBe('failed');
    expect((await grant(g.id)).failureReason).toMatch(
      /secret projects\/111111111111\/secrets\/no-such-secret does not exist/,
    );
  });
});

describe('"Enabling Azure Blob Storage": Storage Blob Data Contributor for the userflyterole identity, scoped to the container', () => {
  it('one grant: applied under its deterministic name, re-applied with 0 writes, drifted and repaired, revoked', async () => {
    const g = await approved({
      dataPlane: 'lab-azure',
      resource: { ...FEATURES_CONTAINER, access: 'read-write' },
    });
    const [applied] = await applyTargets(deps, ['lab-azure#global']);
    expect(applied?.outcome).toBe('applied');
    expect(applied?.iamCalls).toEqual([
      expect.stringMatching(
        new RegExp(
          `^PUT roleAssignment [0-9a-f-]{36} \\(Storage Blob Data Contributor\\) at ${CONTAINER_SCOPE.replace(/[/.]/g, '\\$&')}$`,
        ),
      ),
    ]);
    expect((await grant(g.id)).status).toBe('active');
    const [assignment] = [...cloud.arm.assignments.values()];
    expect(assignment).toMatchObject({ scope: CONTAINER_SCOPE, principalId: IDENTITY });
    expect(assignment?.roleDefinitionId).toMatch(/ba92f5b4-2d11-453d-a403-e96b0029c9fe$/);

    const before = armWrites().length;
    expect((await applyTargets(deps, ['lab-azure#global']))[0]).toMatchObject({ outcome: 'unchanged', iamCalls: [] });
    expect(armWrites()).toHaveLength(before);

    // Someone deletes it in the portal: drift; enforce puts it back under the same name.
    cloud.arm.assignments.clear();
    const drift = await runDriftCheck({ ...deps, tagCache: makeMemoryPolicyTagCache() }, { mode: 'enforce' });
    expect(drift.targets.find((t) => t.dataPlane === 'lab-azure')).toMatchObject({
      status: 'drifted',
      differences: [`${CONTAINER_SCOPE}: Storage Blob Data Contributor for ${IDENTITY} missing`],
    });
    const [repair] = await applyPendingTargets(deps);
    expect(repair?.iamCalls).toEqual([expect.stringContaining(`PUT roleAssignment ${assignment?.name}`)]);

    // Revoked: grantplane's assignment deleted; one someone else made for another principal stays.
    cloud.arm.assign({
      scope: CONTAINER_SCOPE,
      name: '0f0f0f0f-1111-4222-8333-444455556666',
      roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`,
      principalId: KUBELET,
    });
    await revokeGrant(deps, { id: g.id, actor: alice });
    const [revoked] = await applyTargets(deps, ['lab-azure#global']);
    expect(revoked?.iamCalls).toEqual([`DELETE roleAssignment ${assignment?.name} at ${CONTAINER_SCOPE}`]);
    expect((await grant(g.id)).status).toBe('revoked');
    expect([...cloud.arm.assignments.values()].map((a) => a.name)).toEqual(['0f0f0f0f-1111-4222-8333-444455556666']);
  });

  it('"Enabling Azure Container Registry (ACR)": AcrPull for the kubelet identity on a registry in another subscription of the tenant', async () => {
    const g = await approved({
      dataPlane: 'lab-azure',
      resource: {
        type: 'acr',
        registryId:
          '/subscriptions/3c7d0f25-6a4b-4e8c-9d2f-1b0a9f8e7d6c/resourceGroups/images/providers/Microsoft.ContainerRegistry/registries/acmeimages',
      },
    });
    const [applied] = await applyTargets(deps, ['lab-azure#global']);
    expect(applied?.iamCalls).toEqual([expect.stringContaining('(AcrPull) at /subscriptions/')]);
    expect((await grant(g.id)).status).toBe('active');
    expect(
      [...cloud.arm.assignments.values()].some(
        (a) => a.principalId === KUBELET && a.roleDefinitionId.endsWith('7f951dda-4ed3-4680-a7ca-43fe172d538d'),
      ),
    ).toBe(true);
  });
  it('"Enabling Azure Key Vault": Key Vault Secrets User for the userflyterole identity, scoped to the secret; revoked again', async () => {
    const g = await approved({
      dataPlane: 'lab-azure',
      resource: { type: 'azure-key-vault', resourceGroup: 'secrets', vault: 'acmevault', secret: 'api-token' },
    });
    const [applied] = await applyTargets(deps, ['lab-azure#global']);
    expect(applied?.iamCalls).toEqual([
      expect.stringMatching(/\(Key Vault Secrets User\) at .*\/vaults\/acmevault\/secrets\/api-token$/),
    ]);
    expect((await grant(g.id)).status).toBe('active');
    const made = [...cloud.arm.assignments.values()].find((a) => a.scope.endsWith('/secrets/api-token'));
    expect(made).toMatchObject({ principalId: IDENTITY });
    expect(made?.roleDefinitionId).toMatch(/4633458b-17de-408a-b874-0445c86b69e6$/);

    await revokeGrant(deps, { id: g.id, actor: alice });
    await applyTargets(deps, ['lab-azure#global']);
    expect((await grant(g.id)).status).toBe('revoked');
    expect([...cloud.arm.assignments.values()].some((a) => a.scope.endsWith('/secrets/api-token'))).toBe(false);
  });
});

describe("GET /v1/targets on GCP and Azure planes (docs/api.md): the plane's one target, <plane>#global", () => {
  it('pending before the applier runs, then applied with its bindings and inventory; listed in key order beside AWS targets; 404 before any grant', async () => {
    await expect(getTarget(deps, { dataPlane: 'lab-azure', scope: { type: 'global' } })).rejects.toMatchObject({
      code: 'target.not-found',
    });
    await expect(
      getTarget(deps, {
        dataPlane: 'lab-azure',
        scope: { type: 'project-domain', project: 'p', domain: 'development' },
      }),
    ).rejects.toThrow(
      'No target lab-azure#p#development: on Azure planes grantplane applies global grants only; see /v1/targets/lab-azure/global',
    );
    cloud.gcs.addBucket('acme-listed', []);
    await approved({ dataPlane: 'research-gcp', resource: { type: 'gcs', bucket: 'acme-listed', access: 'read' } });
    await approved({
      dataPlane: 'lab-azure',
      resource: { ...FEATURES_CONTAINER, access: 'read' },
    });
    expect(await getTarget(deps, { dataPlane: 'research-gcp', scope: { type: 'global' } })).toEqual({
      targetKey: 'research-gcp#global',
      dataPlane: 'research-gcp',
      cloud: 'gcp',
      scope: { type: 'global' },
      state: 'pending',
      bindings: [
        expect.objectContaining({
          resource: 'projects/_/buckets/acme-listed',
          role: 'roles/storage.objectViewer',
          member: GSA,
        }),
      ],
      inventory: [],
    });

    await applyTargets(deps, ['research-gcp#global', 'lab-azure#global']);
    expect(await getTarget(deps, { dataPlane: 'research-gcp', scope: { type: 'global' } })).toMatchObject({
      state: 'applied',
      lastAppliedAt: expect.any(String),
      inventory: [{ resource: 'projects/_/buckets/acme-listed', owned: [`roles/storage.objectViewer ${GSA}`] }],
    });
    const azure = await getTarget(deps, { dataPlane: 'lab-azure', scope: { type: 'global' } });
    expect(azure).toMatchObject({
      state: 'applied',
      bindings: [
        expect.objectContaining({ resource: CONTAINER_SCOPE, role: 'Storage Blob Data Reader', member: IDENTITY }),
      ],
      inventory: [{ resource: CONTAINER_SCOPE, owned: [expect.stringMatching(/^[0-9a-f-]{36}$/)] }],
    });

    // Listed in key order, paged like every list; filtered to one plane.
    const all = await listTargets(deps);
    expect(all.items.map((item) => item.targetKey)).toEqual(['lab-azure#global', 'research-gcp#global']);
    const first = await listTargets(deps, {}, { limit: 1 });
    expect(first.items.map((item) => item.targetKey)).toEqual(['lab-azure#global']);
    expect(first.nextCursor).toBeDefined();
    const second = await listTargets(deps, {}, { limit: 1, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ targetKey: 'research-gcp#global' })] });
    expect((await listTargets(deps, { dataPlane: 'lab-azure' })).items).toEqual([azure]);
  });
});
