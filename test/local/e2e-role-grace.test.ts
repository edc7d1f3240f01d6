// A3 on the local stack, as issue "running pods never lose their role" asks: the grace period has
// passed and the pair's uctl update is not acknowledged → the role still exists, holding only
// userflyterole (and the plane's global policies), and the drift run raises the alert (the
// report's rolesWaitingPastGrace, counted in RolesWaitingPastGrace); after the ack the role goes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetRoleCommand, ListAttachedRolePoliciesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startE2eStack, TOKENS, type E2eStack } from '../helpers/local-stack.js';

const ROLE = 'acme-flytesnacks-staging';
const repo = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'grantplane-grace-'));
let e2e: E2eStack;

const { alice, bob, admin } = TOKENS;
const call = (method: string, path: string, bearer: string, body?: unknown) => e2e.call(method, path, bearer, body);

const roleExists = async (): Promise<boolean> => {
  try {
    await e2e.iam.send(new GetRoleCommand({ RoleName: ROLE }));
    return true;
  } catch (error: unknown) {
    if (error instanceof NoSuchEntityException) return false;
    throw error;
  }
};

beforeAll(async () => {
  // The shipped example config with a grace period of 0 minutes: past it as soon as the role waits.
  const example = readFileSync(join(repo, 'grantplane.config.yaml'), 'utf8');
  const configPath = join(dir, 'grace.yaml');
  writeFileSync(
    configPath,
    example.replace('    projects: "*"\n', '    projects: "*"\n    roleDeletionGraceMinutes: 0\n'),
  );
  e2e = await startE2eStack({ configPath });
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('local stack: a role past its grace period', () => {
  it('keeps the role with only userflyterole and raises the alert while the update is unacknowledged; the ack deletes it', async () => {
    // Prepare: an active pair grant, revoked; its removal update left unrun
    const submitted = await call('POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
      justification: 'training jobs read features',
    });
    const id = String(submitted.json.id);
    expect((await call('POST', `/v1/grants/${id}/approve`, bob, {})).status).toBe(200);
    await eventually('active', async () =>
      (await call('GET', `/v1/grants/${id}`, alice)).json.status === 'active' ? true : undefined,
    );
    expect((await call('DELETE', `/v1/grants/${id}`, alice)).status).toBe(202);
    const removal = await eventually('the removal uctl update', async () => {
      const list = await call('GET', '/v1/attribute-updates?status=pending', bob);
      return (list.json.items as { id: string; roleArn: string | null }[]).find((update) => update.roleArn === null);
    });

    await eventually('the role to wait', async () =>
      (await call('GET', '/v1/targets/prod/flytesnacks/staging', alice)).json.state === 'waiting-uctl'
        ? true
        : undefined,
    );

    // Act: the schedule's run, past the grace period
    expect((await call('POST', '/v1/drift-checks', admin)).status).toBe(202);
    const report = await call('GET', '/v1/drift-checks/latest', bob);

    // Assess: the role is still there, holding only userflyterole; the alert names it
    expect(await roleExists()).toBe(true);
    const attached = await e2e.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE }));
    expect(attached.AttachedPolicies?.map((policy) => policy.PolicyName)).toEqual(['userflyterole']);
    expect(report.json.rolesWaitingPastGrace).toEqual([
      expect.objectContaining({ dataPlane: 'prod', targetKey: 'prod#flytesnacks#staging', roleName: ROLE }),
    ]);
    const drifted = (report.json.targets as { scope: { project?: string }; status: string }[]).find(
      (target) => target.scope.project === 'flytesnacks',
    );
    expect(drifted?.status).toBe('removing');

    // Act: the operator runs the update and acknowledges it
    expect((await call('POST', `/v1/attribute-updates/${removal.id}/ack`, admin)).status).toBe(200);

    // Assess
    await eventually('the role to be deleted', async () => ((await roleExists()) ? undefined : true));
    expect((await call('POST', '/v1/drift-checks', admin)).status).toBe(202);
    expect((await call('GET', '/v1/drift-checks/latest', bob)).json.rolesWaitingPastGrace).toEqual([]);
  }, 120_000);
});
