// Property tests of the engine (docs/rules.md–docs/rules.md): planGrants never throws; whatever it accepts
// compiles to documents within IAM's limits that pass R7 and actually allow what was granted;
// and the same grants in any order compile to byte-identical output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planGrants } from '../../lib/domain/engine.js';
import type { CompiledTarget, PlanResult, PolicyStatement } from '../../lib/domain/model.js';
import { userFlyteRolePolicyArn } from '../../lib/domain/compile/arns.js';
import { iamSize, MAX_MANAGED_POLICY_CHARS } from '../../lib/domain/compile/pack.js';
import { checkPolicyStatements } from '../../lib/domain/rules/guardrails.js';
import { validateGrantRequest, type ValidGrant } from '../../lib/domain/rules/validate.js';
import type { NormStatement } from '../../lib/domain/compile/statements.js';
import { ACCOUNT, NOW, OTHER_ACCOUNT, config, prodPlane } from './engine-fixtures.js';

const configs = [
  config(prodPlane()),
  config(
    prodPlane({ maxPoliciesPerRole: 3, permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/b` }),
    prodPlane({ name: 'dev', accountId: OTHER_ACCOUNT, projects: ['p1', 'p2'] }),
    {
      name: 'gcp',
      cloud: 'gcp',
      region: 'us-central1',
      domains: ['development'],
      projects: '*',
    },
  ),
  config(prodPlane({ maxPoliciesPerRole: 2, orgPrefix: 'a-very-long-organisation-prefix' })),
];

// Mostly plausible requests (so that many are accepted, merged and packed), some broken ones.
const project = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('p1', 'p2', 'flytesnacks') },
  fc.constantFrom('Bad_Project', 'x'.repeat(60), `q${'z'.repeat(49)}`),
  fc.string({ maxLength: 8 }),
);
const domain = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('development', 'staging', 'production') },
  fc.constant('qa'),
);
const scope = fc.oneof(fc.constant({ type: 'global' }), {
  weight: 3,
  arbitrary: fc.record({ type: fc.constant('project-domain'), project, domain }),
});
const bucket = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('acme-data', 'acme-ml', 'b1', 'shared.data') },
  fc.constantFrom('union-meta', 'Bad..Bucket'),
);
const s3 = fc.record(
  {
    type: fc.constant('s3'),
    bucket,
    prefix: fc.constantFrom('team-a/', 'team-b/', '', 'x*', 'deep/path/'),
    access: fc.constantFrom('read', 'read-write'),
  },
  { requiredKeys: ['type', 'bucket', 'access'] },
);
const region = fc.oneof({ weight: 4, arbitrary: fc.constant('us-west-2') }, fc.constant('eu-west-1'));
const account = fc.oneof({ weight: 4, arbitrary: fc.constant(ACCOUNT) }, fc.constant(OTHER_ACCOUNT));
const secretArn = fc
  .tuple(region, account, fc.constantFrom('db-AbC123', 'team-a/*', 'nosuffix', 'api-key-Zz9999', '*'))
  .map(([r, a, rest]) => `arn:aws:secretsmanager:${r}:${a}:secret:${rest}`);
const secret = fc.oneof(
  fc.record({ type: fc.constant('secretsmanager'), secretArn }),
  fc.record({ type: fc.constant('secretsmanager'), secretName: fc.constantFrom('db', 'team-a/api', 'bad name') }),
);
const ecr = fc.record({
  type: fc.constant('ecr'),
  repositoryArn: fc.tuple(region, account).map(([r, a]) => `arn:aws:ecr:${r}:${a}:repository/app`),
});
const action = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      's3:GetObject',
      's3:PutObject',
      's3:Get*',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'sqs:SendMessage',
      'kms:Decrypt',
    ),
  },
  fc.constantFrom('iam:PassRole', 's3:PutBucketPolicy', 'nope:Nothing'),
);
const resource = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      'arn:aws:s3:::acme-data/*',
      'arn:aws:s3:::acme-data',
      `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/t1`,
      `arn:aws:sqs:us-west-2:${ACCOUNT}:q`,
      `arn:aws:kms:us-west-2:${ACCOUNT}:key/k`,
    ),
  },
  fc.constant('*'),
);
const condition = fc.constantFrom(
  undefined,
  undefined,
  { StringEquals: { 'aws:RequestedRegion': 'us-west-2' } },
  { StringLike: { 's3:prefix': ['a/*'] } },
  { StringLike: { 's3:prefix': ['b/*'] } },
  { StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } },
  { StringNotEquals: { 'aws:SourceVpc': 'vpc-2' } },
);
const statement = fc
  .tuple(
    fc.oneof(action, fc.array(action, { minLength: 1, maxLength: 4 })),
    fc.oneof(resource, fc.array(resource, { minLength: 1, maxLength: 3 })),
    condition,
  )
  .map(([Action, Resource, Condition]) =>
    Condition === undefined ? { Effect: 'Allow', Action, Resource } : { Effect: 'Allow', Action, Resource, Condition },
  );
const statements = fc.record({
  type: fc.constant('iam-statements'),
  statements: fc.array(statement, { minLength: 1, maxLength: 3 }),
});
// Large grants on few targets, so that packing splits policies and quotas are reached.
const bulk = fc.record({
  type: fc.constant('iam-statements'),
  statements: fc.array(
    fc
      .tuple(fc.constantFrom('dynamodb:GetItem', 'dynamodb:Query'), fc.integer({ min: 0, max: 2000 }))
      .map(([Action, n]) => ({
        Effect: 'Allow',
        Action,
        Resource: `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/team-table-${n}`,
      })),
    { minLength: 10, maxLength: 60 },
  ),
});
const expiresAt = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(undefined, '2026-12-01T00:00:00Z') },
  fc.constantFrom('2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'tomorrow'),
);
const dataPlane = fc.oneof(
  { weight: 6, arbitrary: fc.constant('prod') },
  fc.constantFrom(undefined, 'dev', 'gcp', 'nope'),
);
const grant = fc
  .record({
    dataPlane,
    scope,
    resource: fc.oneof({ weight: 3, arbitrary: s3 }, secret, ecr, { weight: 2, arbitrary: statements }, bulk),
    expiresAt,
  })
  .map((request) => Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)));
const mixedList = fc.array(fc.oneof({ weight: 12, arbitrary: grant }, { weight: 1, arbitrary: fc.anything() }), {
  maxLength: 40,
});
// Many large grants on two targets: several policies per role, and the quota boundary.
const heavyList = fc.array(
  fc.record({
    dataPlane: fc.constant('prod'),
    scope: fc.constantFrom({ type: 'global' }, { type: 'project-domain', project: 'p1', domain: 'development' }),
    resource: bulk,
  }),
  { minLength: 1, maxLength: 14 },
);
const requestList = fc.oneof({ weight: 3, arbitrary: mixedList }, heavyList);
const configIndex = fc.integer({ min: 0, max: configs.length - 1 });

const statementsOf = (target: CompiledTarget): PolicyStatement[] =>
  target.policies.flatMap((policy) => policy.document.Statement);
const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

type Condition = Record<string, Record<string, string | string[]>>;
const isPositive = (operator: string): boolean => !operator.includes('Not') && !operator.startsWith('ForAllValues:');

/** Whether `candidate`'s condition is no stricter than `wanted` (IAM ORs the values of one key of a positive operator). */
function conditionAllows(candidate: Condition | undefined, wanted: Condition | undefined): boolean {
  if (candidate === undefined) return true;
  if (wanted === undefined) return false;
  if (JSON.stringify(Object.keys(candidate).sort()) !== JSON.stringify(Object.keys(wanted).sort())) return false;
  return Object.entries(wanted).every(([operator, keys]) => {
    const block = candidate[operator] ?? {};
    if (JSON.stringify(Object.keys(block).sort()) !== JSON.stringify(Object.keys(keys).sort())) return false;
    return Object.entries(keys).every(([key, value]) => {
      const have = list(block[key]).slice().sort();
      const want = list(value).slice().sort();
      return isPositive(operator)
        ? want.every((entry) => have.includes(entry))
        : JSON.stringify(have) === JSON.stringify(want);
    });
  });
}

/** Whether some statement allows (action, resource) under at most the condition of the grant. */
function allows(
  available: readonly PolicyStatement[],
  wanted: { action: string; resource: string; condition?: Condition },
): boolean {
  return available.some((candidate) => {
    if (!list(candidate.Action).includes(wanted.action)) return false;
    const resources = list(candidate.Resource);
    if (!resources.includes(wanted.resource) && !resources.includes('*')) return false;
    return conditionAllows(candidate.Condition, wanted.condition);
  });
}

/** Whether a compiled (action, resource, condition) is granted by the target's accepted grant statements (no over-grant). */
function granted(
  sources: readonly NormStatement[],
  compiled: { action: string; resource: string; condition?: Condition },
): boolean {
  const matching = sources.filter(
    (source) =>
      source.actions.includes(compiled.action) &&
      (source.resources.includes(compiled.resource) || source.resources.includes('*')),
  );
  if (matching.some((source) => conditionAllows(source.condition, compiled.condition))) return true;
  // A positive single-key condition may be the union of several grants' values.
  const condition = compiled.condition;
  if (condition === undefined) return false;
  const operators = Object.keys(condition);
  const operator = operators[0] ?? '';
  const keys = Object.keys(condition[operator] ?? {});
  if (operators.length !== 1 || keys.length !== 1 || !isPositive(operator)) return false;
  const key = keys[0] ?? '';
  return list(condition[operator]?.[key]).every((value) =>
    matching.some((source) => conditionAllows(source.condition, { [operator]: { [key]: [value] } })),
  );
}

function run(index: number, requests: unknown[]): PlanResult {
  return planGrants({ config: configs[index] ?? configs[0]!, requests, now: NOW });
}

describe('planGrants properties', () => {
  it('never throws nor fails internally, and answers every request exactly once', () => {
    fc.assert(
      fc.property(configIndex, fc.array(fc.anything(), { maxLength: 20 }), requestList, (index, junk, requests) => {
        const all = [...junk, ...requests];
        const result = run(index, all);
        const answered = [
          ...result.accepted.map((grant) => grant.index),
          ...result.rejected.map((grant) => grant.index),
        ].sort((a, b) => a - b);
        expect(answered).toEqual(all.map((_, i) => i));
        for (const rejected of result.rejected) {
          expect(rejected.errors.length).toBeGreaterThan(0);
          // The engine's last-resort catch must never be what answered.
          expect(rejected.errors.map((error) => error.code)).not.toContain('engine.internal-error');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('compiles accepted grants into documents within IAM limits that pass the guardrails and allow what was granted', () => {
    fc.assert(
      fc.property(configIndex, requestList, (index, requests) => {
        const cfg = configs[index] ?? configs[0]!;
        const result = run(index, requests);
        for (const target of result.targets) {
          const plane = cfg.dataPlanes.find((candidate) => candidate.name === target.dataPlane);
          const max = plane?.cloud === 'aws' ? plane.maxPoliciesPerRole : 0;
          expect(target.role.name.length).toBeLessThanOrEqual(64);
          // <UserFlyteRole> also carries userflyterole.
          expect(target.attachedPolicyArns.length + (target.role.managed ? 0 : 1)).toBeLessThanOrEqual(max);
          if (target.role.trustPolicy !== null)
            expect(iamSize(JSON.stringify(target.role.trustPolicy))).toBeLessThanOrEqual(2048);
          for (const policy of target.policies) {
            expect(policy.name.length).toBeLessThanOrEqual(128);
            expect(iamSize(JSON.stringify(policy.document))).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARS);
            expect(checkPolicyStatements(policy.document.Statement, 'compiled')).toEqual([]);
          }
        }
        const sourcesByTarget = new Map<string, NormStatement[]>();
        const targetKey = (plane: string, scope: ValidGrant['scope']) =>
          scope.type === 'global' ? `${plane}/` : `${plane}/${scope.project}/${scope.domain}`;
        for (const { index: at } of result.accepted) {
          const validated = validateGrantRequest(cfg, requests[at], NOW);
          expect(validated.ok).toBe(true);
          if (!validated.ok || validated.grant === undefined) continue;
          const key = targetKey(validated.grant.plane.name, validated.grant.scope);
          sourcesByTarget.set(key, [...(sourcesByTarget.get(key) ?? []), ...validated.grant.statements]);
          const { plane, scope } = validated.grant;
          const global = result.targets.find(
            (target) => target.dataPlane === plane.name && target.scope.type === 'global',
          );
          const own =
            scope.type === 'global'
              ? undefined
              : result.targets.find(
                  (target) =>
                    target.dataPlane === plane.name &&
                    target.scope.type === 'project-domain' &&
                    target.scope.project === scope.project &&
                    target.scope.domain === scope.domain,
                );
          const available = [
            ...(global === undefined ? [] : statementsOf(global)),
            ...(own === undefined ? [] : statementsOf(own)),
          ];
          for (const granted of validated.grant.statements) {
            for (const action of granted.actions) {
              for (const resource of granted.resources) {
                const wanted =
                  granted.condition === undefined
                    ? { action, resource }
                    : { action, resource, condition: granted.condition };
                expect(allows(available, wanted)).toBe(true);
              }
            }
          }
        }
        // C2: every pair with an accepted grant that compiles to statements has its own role,
        // carrying userflyterole and every global policy of its plane (even when those already allow it all).
        for (const { index: at } of result.accepted) {
          const validated = validateGrantRequest(cfg, requests[at], NOW);
          if (
            !validated.ok ||
            validated.grant === undefined ||
            validated.grant.scope.type === 'global' ||
            validated.grant.statements.length === 0
          )
            continue;
          const { plane, scope } = validated.grant;
          const own = result.targets.find(
            (target) =>
              target.dataPlane === plane.name &&
              target.scope.type === 'project-domain' &&
              target.scope.project === scope.project &&
              target.scope.domain === scope.domain,
          );
          expect(own, `${plane.name}/${scope.project}/${scope.domain}`).toBeDefined();
          const globalArns =
            result.targets
              .find((target) => target.dataPlane === plane.name && target.scope.type === 'global')
              ?.policies.map((policy) => policy.arn) ?? [];
          expect(own?.attachedPolicyArns.slice(0, 1 + globalArns.length)).toEqual([
            userFlyteRolePolicyArn(plane),
            ...globalArns,
          ]);
        }
        // No over-grant: everything a target allows comes from that target's accepted grants.
        for (const target of result.targets) {
          const sources = sourcesByTarget.get(targetKey(target.dataPlane, target.scope)) ?? [];
          for (const compiled of statementsOf(target)) {
            for (const action of list(compiled.Action)) {
              for (const resource of list(compiled.Resource)) {
                const wanted =
                  compiled.Condition === undefined
                    ? { action, resource }
                    : { action, resource, condition: compiled.Condition };
                expect(granted(sources, wanted), JSON.stringify(wanted)).toBe(true);
              }
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('compiles the same grants in any order to identical targets, policies, uctl files and infrastructure', () => {
    fc.assert(
      fc.property(
        configIndex,
        requestList.chain((requests) =>
          fc.tuple(
            fc.constant(requests),
            fc.shuffledSubarray(
              requests.map((_, i) => i),
              { minLength: requests.length },
            ),
          ),
        ),
        (index, [requests, order]) => {
          const first = run(index, requests);
          const shuffled = run(
            index,
            order.map((i) => requests[i]),
          );
          expect(JSON.stringify(shuffled.targets)).toBe(JSON.stringify(first.targets));
          expect(JSON.stringify(shuffled.infrastructure)).toBe(JSON.stringify(first.infrastructure));
          const acceptedOriginal = new Set(first.accepted.map((grant) => grant.index));
          expect(new Set(shuffled.accepted.map((grant) => order[grant.index]))).toEqual(acceptedOriginal);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is byte-identical when run twice on the same input', () => {
    fc.assert(
      fc.property(configIndex, requestList, (index, requests) => {
        expect(JSON.stringify(run(index, requests))).toBe(JSON.stringify(run(index, requests)));
      }),
      { numRuns: 50 },
    );
  });
});
