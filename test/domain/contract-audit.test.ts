// Regressions found by the contract audit (DESIGN §2–§5, §7 exercised from outside): each test is
// named after the section whose rule the engine broke.
import { describe, expect, it } from 'vitest';
import { planGrants } from '../../lib/domain/engine.js';
import { NOW, config, pair, prodPlane, s3 } from './engine-fixtures.js';

describe('DESIGN §4 R1 / §5 C2: one namespace <project>-<domain>, one role', () => {
  // Domains with a "-" let two pairs spell the same namespace: a-b/c and a/b-c are both "a-b-c",
  // and would both compile to role acme-a-b-c and policy grantplane-a-b-c-1 with different documents.
  const cfg = config(prodPlane({ domains: ['c', 'b-c'] }));
  const requests = [
    { scope: pair('a', 'b-c'), resource: s3('acme-two', 'read-write') },
    { scope: pair('a-b', 'c'), resource: s3('acme-one') },
    { scope: pair('a', 'b-c'), resource: s3('acme-three') },
  ];

  it('keeps the pair first in canonical order and refuses the later one on scope.project', () => {
    const result = planGrants({ config: cfg, requests, now: NOW });

    // "a\u0001b-c" sorts before "a-b\u0001c": pair a/b-c keeps the namespace.
    expect(result.accepted.map((grant) => grant.index)).toEqual([0, 2]);
    expect(result.rejected).toEqual([
      {
        index: 1,
        errors: [expect.objectContaining({ path: 'scope.project', code: 'scope.namespace-collision' })],
      },
    ]);
    expect(result.rejected[0]?.errors[0]?.message).toContain('"a-b-c"');
    const roles = result.targets.map((target) => target.role.name);
    expect(roles).toEqual(['acme-a-b-c']);
    expect(result.targets[0]?.scope).toEqual({ type: 'project-domain', project: 'a', domain: 'b-c' });
  });

  it('decides the same whatever the order of the requests', () => {
    const forward = planGrants({ config: cfg, requests, now: NOW });
    const backward = planGrants({ config: cfg, requests: [...requests].reverse(), now: NOW });

    expect(JSON.stringify(backward.targets)).toBe(JSON.stringify(forward.targets));
    expect(backward.rejected.map((grant) => grant.index)).toEqual([1]);
  });

  it('leaves pairs whose namespaces differ alone', () => {
    const result = planGrants({
      config: cfg,
      requests: [
        { scope: pair('a', 'c'), resource: s3('acme-one') },
        { scope: pair('a', 'b-c'), resource: s3('acme-two') },
      ],
      now: NOW,
    });
    expect(result.rejected).toEqual([]);
    expect(result.targets.map((target) => target.role.name)).toEqual(['acme-a-b-c', 'acme-a-c']);
  });
});
