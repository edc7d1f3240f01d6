// docs/git-sync.md git sync, end to end on the local stack (docs/api.md): "grants belong to their source … identical
// grants from two sources compile once, and the access stays while either remains". Two repositories
// sync the same grant over HTTP; the applier (fed by the table stream) puts it into the IAM emulator;
// one repository drops it → its grant is revoked but the statement is still in IAM; the other drops
// it too → the statement is gone.
import { GetPolicyCommand, GetPolicyVersionCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import { eventually, startE2eStack, type E2eStack } from '../helpers/local-stack.js';

const ROLE = 'acme-flytesnacks-staging';
const BUCKET = 'acme-two-sources';
let e2e: E2eStack;

const ci = mintLocalToken({ sub: 'ci-bot', roles: ['admin'] }, DEV_JWT_SECRET);

const call = (method: string, path: string, body?: unknown) => e2e.call(method, path, ci, body);

const statusOf = async (id: string): Promise<unknown> => (await call('GET', `/v1/grants/${id}`)).json.status;

/** The default-version documents of the grantplane policies attached to the pair's role, as text. */
const grantplaneDocuments = async (): Promise<string> => {
  const attached = await e2e.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE }));
  const documents: string[] = [];
  for (const policy of attached.AttachedPolicies ?? []) {
    if (!policy.PolicyArn?.includes(':policy/grantplane/')) continue;
    const read = await e2e.iam.send(new GetPolicyCommand({ PolicyArn: policy.PolicyArn }));
    const version = await e2e.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policy.PolicyArn, VersionId: read.Policy?.DefaultVersionId }),
    );
    documents.push(decodeURIComponent(version.PolicyVersion?.Document ?? ''));
  }
  return documents.join('\n');
};

const grant = {
  dataPlane: 'prod',
  scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
  resource: { type: 's3', bucket: BUCKET, prefix: 'shared/', access: 'read' },
  justification: 'declared by two repositories',
};

beforeAll(async () => {
  e2e = await startE2eStack();
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('docs/git-sync.md git sync: grants belong to their source (local stack, IAM emulator)', () => {
  it('the same grant from two sources: IAM access stays while either declares it, and goes with the last', async () => {
    const a = await call('PUT', '/v1/sources/repo-a/grants', { grants: [grant], revision: 'a1' });
    const b = await call('PUT', '/v1/sources/repo-b/grants', { grants: [grant], revision: 'b1' });
    expect([a.status, b.status]).toEqual([200, 200]);
    const idA = String((a.json.added as { id: string }[])[0]?.id);
    const idB = String((b.json.added as { id: string }[])[0]?.id);
    expect(idA).not.toBe(idB); // two grants, one per source

    await eventually('both grants to become active', async () =>
      (await statusOf(idA)) === 'active' && (await statusOf(idB)) === 'active' ? true : undefined,
    );
    // Compiled once (R9): one statement resource for the two grants.
    expect((await grantplaneDocuments()).split(`arn:aws:s3:::${BUCKET}/shared/*`)).toHaveLength(2);

    // repo-a stops declaring it (its only grant: the prune guard needs confirmPrune).
    const dropA = await call('PUT', '/v1/sources/repo-a/grants?confirmPrune=true', { grants: [], revision: 'a2' });
    expect(dropA.status).toBe(200);
    expect((dropA.json.removed as { id: string }[]).map((removed) => removed.id)).toEqual([idA]);
    expect(dropA.json.unchanged).toEqual([]);
    await eventually("repo-a's grant to end", async () => ((await statusOf(idA)) === 'revoked' ? true : undefined));
    expect(await statusOf(idB)).toBe('active');
    expect(await grantplaneDocuments()).toContain(`arn:aws:s3:::${BUCKET}/shared/*`);

    // repo-b drops it too: now nothing declares it and the statement leaves IAM.
    const dropB = await call('PUT', '/v1/sources/repo-b/grants?confirmPrune=true', { grants: [], revision: 'b2' });
    expect(dropB.status).toBe(200);
    await eventually("repo-b's grant to end", async () => ((await statusOf(idB)) === 'revoked' ? true : undefined));
    expect(await grantplaneDocuments()).not.toContain(BUCKET);
  }, 90_000);
});
