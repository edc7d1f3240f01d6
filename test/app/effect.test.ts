// A grant says whether it is in effect yet and what is still to be done by whom (status `active`
// means IAM holds it): a pair's grant waits for its uctl update, a cross-account ECR grant for its
// repository policy — now a tracked infrastructure update, listed and acknowledged like uctl ones.
import { describe, expect, it } from 'vitest';
import { applyPendingTargets } from '../../lib/app/applier.js';
import { acknowledgeAttributeUpdate, listAttributeUpdates } from '../../lib/app/attributes.js';
import { approveGrant, getGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import { acknowledgeInfrastructureUpdate, listInfrastructureUpdates } from '../../lib/app/infrastructure.js';
import { getTarget as getAnyTarget, type TargetView } from '../../lib/app/targets.js';
import type { Identity } from '../../lib/domain/ports.js';
import { eachTestApplier, type ApplierTestDeps } from '../helpers/applier.js';

/** An AWS plane's target (these tests' planes are all AWS). */
const getTarget = async (...args: Parameters<typeof getAnyTarget>) => (await getAnyTarget(...args)) as TargetView;

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };
const admin: Identity = { sub: 'carol', roles: ['admin'] };

const REPO = 'arn:aws:ecr:us-west-2:210987654321:repository/shared-models';

let deps: ApplierTestDeps;
eachTestApplier((fresh) => (deps = fresh.deps));

const activeGrant = async (request: Record<string, unknown>) => {
  const submitted = await submitGrant(deps, {
    request: { dataPlane: 'prod', justification: 'x', ...request },
    actor: alice,
  });
  await approveGrant(deps, { id: submitted.id, actor: bob });
  await applyPendingTargets(deps);
  return submitted.id;
};

describe('grant effect (in effect yet, and what remains)', () => {
  it('a pair grant is active before it is in effect: its uctl update is pending; after the ack it is in effect', async () => {
    // Prepare
    const id = await activeGrant({
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
    });
    const [update] = (await listAttributeUpdates(deps, { status: 'pending' })).items;

    // Act
    const before = await getGrant(deps, { id });
    await acknowledgeAttributeUpdate(deps, { id: update?.id ?? '', actor: admin });
    const after = await getGrant(deps, { id });

    // Assess
    expect(before.status).toBe('active');
    expect(before.effect).toMatchObject({
      inEffect: false,
      pending: [{ kind: 'uctl-update', id: update?.id, by: 'an operator with uctl access to the cluster' }],
    });
    expect(after.effect).toMatchObject({ inEffect: true, pending: [] });
    expect(after.effect?.since).toBeDefined();
  }, 60_000);

  it('a cross-account ECR grant waits for its repository policy, a tracked update acknowledged by an admin; a revoke records its removal', async () => {
    // Prepare: a global S3 grant (so the plane has a global target) and the ECR grant
    await activeGrant({ scope: { type: 'global' }, resource: { type: 's3', bucket: 'acme-shared', access: 'read' } });
    const id = await activeGrant({ scope: { type: 'global' }, resource: { type: 'ecr', repositoryArn: REPO } });

    // Act
    const pending = (await listInfrastructureUpdates(deps, { status: 'pending' })).items;
    const before = await getGrant(deps, { id });
    const global = await getTarget(deps, { dataPlane: 'prod', scope: { type: 'global' } });
    const acked = await acknowledgeInfrastructureUpdate(deps, { id: pending[0]?.id ?? '', actor: admin });
    const after = await getGrant(deps, { id });
    await revokeGrant(deps, { id, actor: admin });
    const removal = (await listInfrastructureUpdates(deps, { status: 'pending' })).items;

    // Assess
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      dataPlane: 'prod',
      kind: 'ecr-repository-policy',
      repositoryArn: REPO,
      accountId: '210987654321',
      status: 'pending',
    });
    expect(JSON.stringify(pending[0]?.policy)).toContain(
      'arn:aws:iam::123456789012:role/unionai-acme-flyteworker-node-group',
    );
    expect(before.status).toBe('active');
    expect(before.effect).toMatchObject({
      inEffect: false,
      pending: [{ kind: 'ecr-repository-policy', id: pending[0]?.id, by: 'the owner of account 210987654321' }],
    });
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'carol' });
    expect(after.effect).toMatchObject({ inEffect: true, pending: [] });
    expect(removal).toEqual([expect.objectContaining({ repositoryArn: REPO, policy: null, status: 'pending' })]);
    expect(global.infrastructureUpdates?.map((update) => update.id)).toEqual([pending[0]?.id]);
    const audit = await deps.audit.listAudit({ actor: 'carol' }, { limit: 20 });
    expect(audit.items.map((event) => event.action)).toContain('infrastructure-update.acknowledged');
  }, 60_000);

  it('warns on a uctl update of a pair whose attributes were never imported, not on one whose attributes are configured (C5)', async () => {
    // Prepare: flytesnacks/production has attributes in the configuration; flytesnacks/staging none
    await activeGrant({
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
    });
    await activeGrant({
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'production' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
    });

    // Act
    const updates = (await listAttributeUpdates(deps, { status: 'pending' })).items;

    // Assess
    const byDomain = Object.fromEntries(updates.map((update) => [update.domain, update]));
    expect(byDomain['staging']?.warning).toMatch(
      /never imported: `uctl update` replaces its whole attribute map.*uctl get cluster-resource-attribute -p flytesnacks -d staging/,
    );
    expect(byDomain['production']?.warning).toBeUndefined();
    expect(byDomain['production']?.yaml).toContain('projectQuotaCpu: "64"');
  }, 60_000);

  it('refuses to acknowledge an update a newer one replaced (409) and an unknown id (404)', async () => {
    // Prepare: the first update, then the grant goes and a removal replaces it
    const id = await activeGrant({ scope: { type: 'global' }, resource: { type: 'ecr', repositoryArn: REPO } });
    const [first] = (await listInfrastructureUpdates(deps, {})).items;
    await revokeGrant(deps, { id, actor: admin });

    // Act / Assess
    await expect(acknowledgeInfrastructureUpdate(deps, { id: first?.id ?? '', actor: admin })).rejects.toMatchObject({
      code: 'infrastructure-update.superseded',
    });
    await expect(acknowledgeInfrastructureUpdate(deps, { id: 'prod:nope', actor: admin })).rejects.toMatchObject({
      code: 'infrastructure-update.not-found',
    });
  }, 60_000);
});
