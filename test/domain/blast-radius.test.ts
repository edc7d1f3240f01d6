// A6's measure on compiled targets: what a change takes away, action by resource; a re-packed or
// widened target loses nothing; global policies count once, on the global target.
import { describe, expect, it } from 'vitest';
import { planGrants } from '../../lib/domain/engine.js';
import type { CompiledTarget } from '../../lib/domain/model.js';
import { blastRadius, proposalHash, tripsBlastRadius } from '../../lib/domain/reconcile/blast-radius.js';
import { targetKey } from '../../lib/domain/records.js';
import { GLOBAL, NOW, config, pair, s3 } from './engine-fixtures.js';

const cfg = config();

/** Compiled targets by key for these (scope, resource) requests. */
const targets = (requests: { scope: unknown; resource: unknown }[]): Map<string, CompiledTarget | null> => {
  const plan = planGrants({
    config: cfg,
    requests: requests.map((request) => ({ dataPlane: 'prod', justification: 'x', ...request })),
    now: NOW,
  });
  expect(plan.rejected).toEqual([]);
  return new Map(plan.targets.map((target) => [targetKey('prod', target.scope), target]));
};

describe('blastRadius (A6)', () => {
  it('trips above half of the targets with access and above two, never at two or at half', () => {
    expect(tripsBlastRadius(3, 4)).toBe(true);
    expect(tripsBlastRadius(2, 4)).toBe(false);
    expect(tripsBlastRadius(2, 3)).toBe(false); // more than half, but not more than two
    expect(tripsBlastRadius(3, 6)).toBe(false);
    expect(tripsBlastRadius(4, 6)).toBe(true);
  });

  it('counts a target that loses any action on any resource, and names what it loses', () => {
    // Prepare
    const before = targets([
      { scope: pair('a', 'staging'), resource: s3('acme-a', 'read-write') },
      { scope: pair('b', 'staging'), resource: s3('acme-b') },
    ]);
    const after = targets([{ scope: pair('a', 'staging'), resource: s3('acme-a') }]);

    // Act
    const radius = blastRadius(before, new Map([...after, ['prod#b#staging', null]]));

    // Assess
    expect(radius.withAccess).toBe(2);
    expect(radius.losses.map((loss) => [loss.targetKey, loss.removed])).toEqual([
      ['prod#a#staging', ['s3:putobject on arn:aws:s3:::acme-a/*']],
      ['prod#b#staging', ['s3:getobject on arn:aws:s3:::acme-b/*', 's3:listbucket on arn:aws:s3:::acme-b']],
    ]);
    expect(radius.trips).toBe(false);
  });

  it('sees no loss in a target that only gains, or in a pair when only the global target changes', () => {
    // Prepare
    const before = targets([
      { scope: GLOBAL, resource: s3('acme-shared') },
      { scope: pair('a', 'staging'), resource: s3('acme-a') },
    ]);
    const after = targets([
      { scope: GLOBAL, resource: s3('acme-other') },
      { scope: pair('a', 'staging'), resource: s3('acme-a') },
      { scope: pair('a', 'staging'), resource: s3('acme-a2') },
    ]);

    // Act
    const radius = blastRadius(before, after);

    // Assess: the global target lost acme-shared; pair a lost nothing
    expect(radius.losses.map((loss) => loss.targetKey)).toEqual(['prod#global']);
  });

  it('does not count a loss an admin released with the same proposed state, and counts it again if the proposal moved', () => {
    // Prepare
    const before = targets([{ scope: pair('a', 'staging'), resource: s3('acme-a') }]);
    const after = new Map<string, CompiledTarget | null>([['prod#a#staging', null]]);

    // Act
    const released = blastRadius(before, after, new Map([['prod#a#staging', proposalHash(null)]]));
    const moved = blastRadius(before, after, new Map([['prod#a#staging', 'something-else']]));

    // Assess
    expect(released.losses).toEqual([]);
    expect(moved.losses.map((loss) => loss.targetKey)).toEqual(['prod#a#staging']);
  });
});
