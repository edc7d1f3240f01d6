// Generated, deterministic inputs for the benchmarks: a one-plane configuration and grant sets of
// any size spread over many project-domain pairs, using every resource kind the engine compiles.

import { grantRequestSchema } from '../lib/domain/grant.js';
import type { Scope } from '../lib/domain/model.js';
import { targetKey, type GrantRecord } from '../lib/domain/records.js';

export const BENCH_ACCOUNT = '123456789012';
export const BENCH_REGION = 'us-west-2';
export const BENCH_DOMAINS = ['development', 'staging', 'production', 'sandbox'] as const;

/** A configuration with one AWS plane serving any project in four domains. */
export function benchConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataPlanes: [
      {
        name: 'prod',
        cloud: 'aws',
        accountId: BENCH_ACCOUNT,
        region: BENCH_REGION,
        orgPrefix: 'acme',
        oidcProvider: 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
        domains: [...BENCH_DOMAINS],
        projects: '*',
        ...overrides,
      },
    ],
  };
}

/** The project-domain pair number `pair` (0-based): projects of four domains each. */
export function pairScope(pair: number): { type: 'project-domain'; project: string; domain: string } {
  const project = `proj-${String(Math.floor(pair / BENCH_DOMAINS.length)).padStart(4, '0')}`;
  return { type: 'project-domain', project, domain: BENCH_DOMAINS[pair % BENCH_DOMAINS.length]! };
}

/** A 6-character Secrets Manager suffix derived from `n` (letters and digits, as AWS makes them). */
function suffix(n: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  let rest = n * 7919 + 104729;
  for (let i = 0; i < 6; i += 1) {
    out += alphabet[rest % alphabet.length];
    rest = Math.floor(rest / alphabet.length) + i * 31;
  }
  return out;
}

/** The i-th grant on `scope`: rotates through S3 (read, read-write with prefix), secrets (name, ARN) and DynamoDB statements. */
export function grantFor(i: number, scope: Record<string, unknown>): Record<string, unknown> {
  const base = { dataPlane: 'prod', scope, justification: `bench grant ${i}` };
  switch (i % 5) {
    case 0:
      return { ...base, resource: { type: 's3', bucket: `acme-data-${i % 97}`, access: 'read' } };
    case 1:
      return {
        ...base,
        resource: { type: 's3', bucket: `acme-work-${i % 89}`, prefix: `team-${i}/`, access: 'read-write' },
      };
    case 2:
      return { ...base, resource: { type: 'secretsmanager', secretName: `apps/service-${i}/token` } };
    case 3:
      return {
        ...base,
        resource: {
          type: 'secretsmanager',
          secretArn: `arn:aws:secretsmanager:${BENCH_REGION}:${BENCH_ACCOUNT}:secret:db/credentials-${i}-${suffix(i)}`,
        },
      };
    default:
      return {
        ...base,
        resource: {
          type: 'iam-statements',
          statements: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:GetItem', 'dynamodb:Query'],
              Resource: [`arn:aws:dynamodb:${BENCH_REGION}:${BENCH_ACCOUNT}:table/runs-${i}`],
            },
          ],
        },
      };
  }
}

/** `count` grants spread round-robin over `pairs` project-domain pairs, plus none global. */
export function generateGrants(count: number, pairs: number): Record<string, unknown>[] {
  const grants: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i += 1) grants.push(grantFor(i, pairScope(i % pairs)));
  return grants;
}

/** A small seeded PRNG (mulberry32), so generated sets are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th grant on `scope` as the store keeps an `active` one (seeded straight into a table). */
export function activeGrant(i: number, scope: Scope, id: string): GrantRecord {
  const { dataPlane: _named, ...request } = grantRequestSchema.parse(grantFor(i, scope));
  const dataPlane = 'prod';
  const at = new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
  return {
    ...request,
    id,
    dataPlane,
    targetKey: targetKey(dataPlane, scope),
    status: 'active',
    requester: 'seed',
    source: 'api',
    createdAt: at,
    updatedAt: at,
    approvedBy: 'seed-approver',
    history: [
      { status: 'pending-approval', at, actor: 'seed' },
      { status: 'approved', at, actor: 'seed-approver' },
      { status: 'active', at, actor: 'grantplane' },
    ],
    version: 3,
  };
}
