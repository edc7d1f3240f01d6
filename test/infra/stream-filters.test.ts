// The applier's stream filters (infra) against the applier's own reading of a record
// (lib/app/applier-stream.ts): no record the applier would act on is filtered out, and the
// records that are most of the table's writes (audit, leases, deliveries …) never wake it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ITEM_TYPE } from '../../lib/adapters/dynamodb/items.js';
import { targetsOfRecord, type StreamRecordLike } from '../../lib/wiring/applier.js';
import { GRANT_STATUSES } from '../../lib/domain/records.js';
import { APPLIER_STREAM_FILTERS } from '../../infra/stacks/stateless-stack.js';
import { matchesFilter } from '../deployed/harness.js';

const patterns = APPLIER_STREAM_FILTERS.map(
  (filter) => JSON.parse(String(filter['pattern'])) as Parameters<typeof matchesFilter>[0],
);
const passes = (record: unknown): boolean => patterns.some((pattern) => matchesFilter(pattern, record));

const image = fc.record(
  {
    type: fc.constantFrom(...Object.values(ITEM_TYPE)).map((S) => ({ S })),
    status: fc.constantFrom(...GRANT_STATUSES, 'pending', 'acknowledged').map((S) => ({ S })),
    targetKey: fc.constantFrom('prod#global', 'prod#flytesnacks#development').map((S) => ({ S })),
    id: fc.constant({ S: 'g-1' }),
    dataPlane: fc.constant({ S: 'prod' }),
    project: fc.constant({ S: 'flytesnacks' }),
    domain: fc.constant({ S: 'development' }),
    desiredVersion: fc.integer({ min: 0, max: 3 }).map((n) => ({ N: String(n) })),
    unit: fc.constantFrom('GLOBAL', 'NS#flytesnacks-development').map((S) => ({ S })),
    compiled: fc.integer({ min: 0, max: 3 }).map((n) => ({ N: String(n) })),
    targetKeys: fc.constant({ SS: ['prod#flytesnacks#development'] }),
  },
  { requiredKeys: ['type'] },
);

describe('applier stream filters', () => {
  it('let through every record the applier acts on (docs/applier.md: target, unit and attribute-update changes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('INSERT', 'MODIFY', 'REMOVE' as const),
        image,
        fc.option(image, { nil: undefined }),
        (eventName, NewImage, OldImage) => {
          const record: StreamRecordLike = { eventName, dynamodb: { NewImage, ...(OldImage ? { OldImage } : {}) } };
          if (targetsOfRecord(record).length > 0) expect(passes(record)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('keep audit, lease, delivery, idempotency and active-grant writes away from the applier', () => {
    for (const type of [
      'audit',
      'lease',
      'delivery',
      'drift-report',
      'source',
      'plane',
      'ticket-link',
      'member',
      'grant',
    ]) {
      expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: { type: { S: type } } } }), type).toBe(false);
    }
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: { pk: { S: 'idempotency#fn' } } } })).toBe(false);
    expect(
      passes({ eventName: 'MODIFY', dynamodb: { NewImage: { type: { S: 'grant' }, status: { S: 'active' } } } }),
    ).toBe(false);
    expect(passes({ eventName: 'REMOVE', dynamodb: { OldImage: { type: { S: 'target' } } } })).toBe(false);
  });
});
