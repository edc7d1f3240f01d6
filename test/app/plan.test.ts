// POST /v1/plan's use case (docs/api.md): a dry run of new requests on top of the stored desired
// state, on DynamoDB Local; nothing is written.
import { beforeAll, describe, expect, it } from 'vitest';
import { submitGrant } from '../../lib/app/grants.js';
import { planAgainstDesiredState } from '../../lib/app/plan.js';
import type { Identity } from '../../lib/domain/ports.js';
import { appDeps } from '../helpers/dynamo.js';

let deps: Awaited<ReturnType<typeof appDeps>>;
const alice: Identity = { sub: 'alice', roles: ['requester'] };

const s3 = (project: string, domain: string, bucket: string) => ({
  dataPlane: 'prod',
  scope: { type: 'project-domain', project, domain },
  resource: { type: 's3', bucket, access: 'read' },
});

beforeAll(async () => {
  deps = await appDeps();
  // Prepare: one desired grant (auto-approved domain) gives prod#flytesnacks#development a target
  await submitGrant(deps, { request: s3('flytesnacks', 'development', 'acme-ml-data'), actor: alice });
});

describe('planAgainstDesiredState', () => {
  it('numbers accepted and rejected entries by the new requests only, and says create or update', async () => {
    // Act
    const plan = await planAgainstDesiredState(deps, [
      s3('flytesnacks', 'development', 'acme-more-data'),
      s3('flytesnacks', 'staging', 'union-metadata'),
      s3('newproject', 'staging', 'acme-ml-data'),
    ]);
    // Assess
    expect(plan.accepted.map((entry) => entry.index)).toEqual([0, 2]);
    expect(plan.rejected).toEqual([
      { index: 1, errors: [expect.objectContaining({ path: 'resource.bucket', code: 's3.internal-bucket' })] },
    ]);
    expect(plan.changes).toEqual([
      expect.objectContaining({ targetKey: 'prod#flytesnacks#development', change: 'update' }),
      expect.objectContaining({ targetKey: 'prod#newproject#staging', change: 'create' }),
    ]);
    expect(plan.targets.map((target) => target.scope)).toEqual(plan.changes.map((change) => change.scope));
  });

  it('shows a target a duplicate request lands in as unchanged (R9), and leaves others out', async () => {
    const plan = await planAgainstDesiredState(deps, [s3('flytesnacks', 'development', 'acme-ml-data')]);
    expect(plan.accepted).toEqual([{ index: 0 }]);
    expect(plan.changes).toEqual([
      expect.objectContaining({ targetKey: 'prod#flytesnacks#development', change: 'unchanged' }),
    ]);
  });

  it('writes nothing: the stored targets are as before', async () => {
    const before = await deps.targets.listTargets('prod');
    await planAgainstDesiredState(deps, [s3('other', 'staging', 'acme-ml-data')]);
    expect(await deps.targets.listTargets('prod')).toEqual(before);
  });
});
