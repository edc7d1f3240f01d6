// checkDrift against the IAM emulator with the real SDK (docs/drift-and-expiry.md report, A1 whole-plane read).
import { afterEach, describe, expect, it } from 'vitest';
import { checkDrift } from '../../lib/app/drift.js';
import { applyPlane, makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import { planGrants } from '../../lib/domain/engine.js';
import type { CompiledTarget } from '../../lib/domain/model.js';
import { type IamTestContext, startTestPlane, TEST_ACCOUNT_ID, testPlane } from '../helpers/iam.js';
import { GLOBAL_AND_PAIR_GRANTS } from '../domain/engine-fixtures.js';

const NOW = new Date('2026-11-23T00:00:00Z');
const clock = { now: () => NOW };
const { config, plane } = testPlane();
const GRANTS = GLOBAL_AND_PAIR_GRANTS;
const targets: CompiledTarget[] = planGrants({ config, requests: GRANTS, now: NOW }).targets;
const POLICY = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-flytesnacks-development-1`;
const GLOBAL_POLICY = `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane/grantplane-global-1`;
const ROLE = 'acme-flytesnacks-development';
const PAIR = { type: 'project-domain', project: 'flytesnacks', domain: 'development' };

let ctx: IamTestContext | undefined;
afterEach(async () => {
  await ctx?.stop();
  ctx = undefined;
});

async function applied(): Promise<IamTestContext> {
  ctx = await startTestPlane();
  await applyPlane(ctx.gateway, plane, targets);
  return ctx;
}

describe('checkDrift', () => {
  it('reports every target in-sync after an apply, with the injected clock, in one whole-plane read', async () => {
    const { gateway, emulator } = await applied();
    emulator.resetCalls();
    const report = await checkDrift(gateway, plane, targets, { clock });
    expect(report).toEqual({
      checkedAt: '2026-11-23T00:00:00.000Z',
      targets: [
        { dataPlane: 'prod', scope: { type: 'global' }, status: 'in-sync', differences: [] },
        { dataPlane: 'prod', scope: PAIR, status: 'in-sync', differences: [] },
      ],
    });
    // No per-role reads and no GetPolicyVersion: documents come with GetAccountAuthorizationDetails.
    const actions = emulator.calls.map((call) => call.action);
    expect(actions.filter((a) => a === 'GetAccountAuthorizationDetails').length).toBeGreaterThanOrEqual(1);
    expect(actions.filter((a) => ['GetRole', 'ListAttachedRolePolicies', 'GetPolicyVersion'].includes(a))).toEqual([]);
  });

  it('reports a detached policy', async () => {
    const { gateway } = await applied();
    await gateway.detachRolePolicy(ROLE, GLOBAL_POLICY);
    const report = await checkDrift(gateway, plane, targets, { clock });
    expect(report.targets[1]).toEqual({
      dataPlane: 'prod',
      scope: PAIR,
      status: 'drifted',
      differences: [`role ${ROLE}: policy ${GLOBAL_POLICY} is not attached`],
    });
    expect(report.targets[0]?.status).toBe('in-sync');
  });

  it('reports an edited document (a new default version made by hand)', async () => {
    const { gateway } = await applied();
    await gateway.createPolicyVersion(
      POLICY,
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-ml-data/*' }],
      },
      true,
    );
    const report = await checkDrift(gateway, plane, targets, { clock });
    expect(report.targets[1]?.differences).toEqual([
      'policy grantplane-flytesnacks-development-1: document (default version v2) differs from the compiled one',
    ]);
    expect(report.targets[1]?.status).toBe('drifted');
  });

  it('reports an edited trust policy', async () => {
    const { gateway } = await applied();
    const role = (await gateway.getRole(ROLE))!;
    const widened = JSON.parse(
      JSON.stringify(role.trustPolicy)
        .replace('StringEquals', 'StringLike')
        .replace('flytesnacks-development:default', '*'),
    ) as typeof role.trustPolicy;
    await gateway.updateAssumeRolePolicy(ROLE, widened);
    const report = await checkDrift(gateway, plane, targets, { clock });
    expect(report.targets[1]).toMatchObject({
      status: 'drifted',
      differences: [`role ${ROLE}: trust policy differs from the compiled one`],
    });
  });

  it('reports a deleted role as missing', async () => {
    const { gateway } = await applied();
    for (const policy of await gateway.listAttachedRolePolicies(ROLE)) await gateway.detachRolePolicy(ROLE, policy.arn);
    await gateway.deleteRole(ROLE);
    const report = await checkDrift(gateway, plane, targets, { clock });
    expect(report.targets[1]).toEqual({
      dataPlane: 'prod',
      scope: PAIR,
      status: 'missing',
      differences: [`role ${ROLE}: missing`],
    });
  });

  it('reports an extra grantplane-tagged role as orphaned, and ignores an untagged one', async () => {
    const { gateway } = await applied();
    const trustPolicy = (await gateway.getRole(ROLE))!.trustPolicy;
    await gateway.createRole({
      name: 'acme-ghost-staging',
      path: '/grantplane/',
      trustPolicy,
      permissionsBoundaryArn: null,
      tags: { 'managed-by': 'grantplane' },
    });
    await gateway.createRole({
      name: 'acme-handmade-staging',
      path: '/grantplane/',
      trustPolicy,
      permissionsBoundaryArn: null,
      tags: {},
    });
    const report = await checkDrift(gateway, plane, targets, { clock });
    expect(report.targets).toEqual([
      { dataPlane: 'prod', scope: { type: 'global' }, status: 'in-sync', differences: [] },
      { dataPlane: 'prod', scope: PAIR, status: 'in-sync', differences: [] },
      {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'ghost', domain: 'staging' },
        status: 'orphaned',
        differences: ['role acme-ghost-staging: grantplane-managed but not declared'],
      },
    ]);
  });

  it('a caller-kept cache is filled with the default documents (keyed by arn and version id)', async () => {
    const { gateway } = await applied();
    const cache = makePolicyDocumentCache();
    await checkDrift(gateway, plane, targets, { clock, cache });
    expect(cache.get(POLICY, 'v1')).toMatchObject({ Version: '2012-10-17' });
    expect(cache.get(POLICY, 'v2')).toBeUndefined();
  });
});
