// Planning units (docs/data-model.md): a pair grant's change is planned with its unit (the pairs
// spelling its namespace) and the plane's global grants only, not the whole plane. Properties: for
// any desired set, (1) the engine's verdict on a new request — rejection, acceptance, note codes,
// and which desired grants it would push out of the quota (C3) — and (2) a unit's compiled targets
// and refusals are the same as planning the whole plane gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globalVerdictSuffices, planDesired } from '../../lib/domain/desired.js';
import { planGrants } from '../../lib/domain/engine.js';
import { parseConfig } from '../../lib/domain/config.js';
import { GLOBAL_UNIT, targetKey, unitOf, type GrantRecord } from '../../lib/domain/records.js';

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

/** The grants a unit recompute or a pair submit reads: the global unit's and the request's unit's. */
const inUnitOf =
  (scope: Request['scope']) =>
  (grant: { scope: Request['scope'] }): boolean =>
    scope.type === 'global' || [GLOBAL_UNIT, unitOf(scope)].includes(unitOf(grant.scope));

const recordOf = (request: Request, index: number): GrantRecord => ({
  ...request,
  id: `G${String(index).padStart(3, '0')}`,
  targetKey: targetKey(request.dataPlane, request.scope),
  status: index % 5 === 4 ? 'revoking' : 'active',
  requester: 'alice',
  source: 'api',
  createdAt: 't',
  updatedAt: 't',
  history: [],
  version: 1,
});

describe('planning units (a pair change plans its namespace and the global grants, not the plane)', () => {
  it('give the same verdict on a new request as planning the whole plane (C1, C3, R9, namespace collisions)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4),
        fc.array(requestArb, { maxLength: 14 }),
        requestArb,
        (max, existing, request) => {
          const config = configOf(max);
          const neighbours = existing.filter(inUnitOf(request.scope));
          expect(verdict(config, neighbours, request)).toEqual(verdict(config, existing, request));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('give a global request the whole plane’s verdict from the global grants alone whenever it adds no global policy (C1, C3)', () => {
    const globalRequest = requestArb.map((request) => ({ ...request, scope: { type: 'global' as const } }));
    let decidedAlone = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4),
        fc.array(requestArb, { maxLength: 14 }),
        globalRequest,
        (max, existing, request) => {
          const config = configOf(max);
          const global = existing.filter((grant) => grant.scope.type === 'global');
          const withRequest = planGrants({ config, requests: [...global, request], now: NOW });
          const withoutRequest = planGrants({ config, requests: global, now: NOW });
          if (!globalVerdictSuffices(withRequest, withoutRequest, global.length, 'p')) return; // the whole plane decides
          decidedAlone += 1;
          expect(verdict(config, global, request)).toEqual(verdict(config, existing, request));
        },
      ),
      { numRuns: 400 },
    );
    // The shortcut is the common case, so the property above is exercised, not vacuous.
    expect(decidedAlone).toBeGreaterThan(100);
  });

  it('compile a unit to the same targets and refusals as planning the whole plane', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 4), fc.array(requestArb, { maxLength: 16 }), (max, requests) => {
        const config = configOf(max);
        const grants = requests.map(recordOf);
        const whole = planDesired(config, 'p', grants, [], NOW);
        for (const unit of new Set(grants.filter((g) => g.scope.type !== 'global').map((g) => unitOf(g.scope)))) {
          const members = grants.filter((g) => [GLOBAL_UNIT, unit].includes(unitOf(g.scope)));
          const narrowed = planDesired(config, 'p', members, [], NOW);
          const ofUnit = (plan: typeof whole) =>
            [...plan.targets].filter(([, target]) => target.scope.type !== 'global' && unitOf(target.scope) === unit);
          expect(ofUnit(narrowed)).toEqual(ofUnit(whole));
          expect(narrowed.refused.get(unit)).toEqual(whole.refused.get(unit));
          expect(narrowed.targets.get('p#global')).toEqual(whole.targets.get('p#global'));
        }
      }),
      { numRuns: 300 },
    );
  });
});
