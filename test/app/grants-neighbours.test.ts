// The submit/approve quota check plans a project-domain request with its neighbours only (the
// plane's global grants and the pairs spelling its namespace), not the whole plane. Property: for
// any desired set, the engine's verdict on the new request — rejection, acceptance, note codes, and
// which desired grants it would push out of the quota (C3) — is the same as with the whole plane.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neighboursOf } from '../../lib/app/grants.js';
import { planGrants } from '../../lib/domain/engine.js';
import { parseConfig } from '../../lib/domain/config.js';
import type { GrantRecord } from '../../lib/domain/ports.js';

const NOW = new Date('2026-11-23T00:00:00.000Z');
const configOf = (maxPoliciesPerRole: number) =>
  parseConfig({
    dataPlanes: [
      {
        name: 'p',
        cloud: 'aws',
        accountId: '123456789012',
        region: 'us-west-2',
        orgPrefix: 'acme',
        oidcProvider: 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
        domains: ['c', 'b-c', 'prod'],
        projects: '*',
        maxPoliciesPerRole,
      },
    ],
  });

// Projects and domains chosen so that a-b/c and a/b-c spell the same namespace (collision rule).
const scopeArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ type: 'global' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('project-domain' as const),
      project: fc.constantFrom('a', 'a-b', 'x', 'x-prod'),
      domain: fc.constantFrom('c', 'b-c', 'prod'),
    }),
  },
);
const requestArb = fc.record({
  dataPlane: fc.constant('p'),
  scope: scopeArb,
  resource: fc.record({
    type: fc.constant('s3' as const),
    bucket: fc.constantFrom('acme-one', 'acme-two', 'acme-three'),
    prefix: fc.constantFrom('a/', 'b/', 'c/d/'),
    access: fc.constantFrom('read', 'read-write'),
  }),
  justification: fc.constant('property test'),
});

type Request = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** What checkAgainstPlane reads from a plan: the new request's verdict and the grants it displaces. */
const verdict = (config: ReturnType<typeof configOf>, existing: Request[], request: Request) => {
  const plan = planGrants({ config, requests: [...existing, request], now: NOW });
  const baseline = planGrants({ config, requests: existing, now: NOW });
  const index = existing.length;
  const before = new Set(baseline.rejected.map((entry) => entry.index));
  return {
    rejected: plan.rejected.find((entry) => entry.index === index)?.errors ?? null,
    accepted: plan.accepted.find((entry) => entry.index === index) !== undefined,
    notes: plan.notes.filter((note) => note.index === index).map((note) => note.code),
    displaced: plan.rejected
      .filter((entry) => entry.index < index && !before.has(entry.index))
      .map((entry) => JSON.stringify(existing[entry.index]))
      .sort(),
  };
};

describe('neighboursOf (the quota check plans one namespace, not the plane)', () => {
  it('gives the same verdict on a new request as planning the whole plane (C1, C3, R9, namespace collisions)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4),
        fc.array(requestArb, { maxLength: 14 }),
        requestArb,
        (max, existing, request) => {
          const config = configOf(max);
          const keep = neighboursOf(request);
          const neighbours = existing.filter((grant) => keep(grant as unknown as GrantRecord));
          expect(verdict(config, neighbours, request)).toEqual(verdict(config, existing, request));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps the whole plane for a global request or a scope it cannot read', () => {
    const keepGlobal = neighboursOf({ scope: { type: 'global' } });
    const keepJunk = neighboursOf({ scope: 'x' });
    const pairGrant = { scope: { type: 'project-domain', project: 'x', domain: 'c' } } as GrantRecord;
    expect([keepGlobal(pairGrant), keepJunk(pairGrant)]).toEqual([true, true]);
  });
});
