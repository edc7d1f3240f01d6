// Section (b): packing efficiency (C3). For every target, the policies emitted are compared with
// the lower bound ceil(non-white-space statement characters / 6,144); goal: ≤ 1.1 overall.
import { parseConfig } from '../../lib/domain/config.js';
import { planGrants } from '../../lib/domain/engine.js';
import { BENCH_ACCOUNT, BENCH_REGION, benchConfig, grantFor, pairScope, seededRandom } from '../fixtures.js';
import { defineSection, median, timeRuns } from '../harness.js';

const POLICY_CHAR_LIMIT = 6144;
const TARGETS = 60;

const ACTION_SETS = [
  ['dynamodb:GetItem', 'dynamodb:Query'],
  ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
  ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream'],
];

/** An iam-statements grant with `width` resources of one service. */
function wideStatement(i: number, scope: Record<string, unknown>, width: number): Record<string, unknown> {
  const actions = ACTION_SETS[i % ACTION_SETS.length]!;
  const service = actions[0]!.split(':')[0]!;
  const resource = (k: number) =>
    service === 'dynamodb'
      ? `arn:aws:dynamodb:${BENCH_REGION}:${BENCH_ACCOUNT}:table/wide-${i}-${k}`
      : service === 'sqs'
        ? `arn:aws:sqs:${BENCH_REGION}:${BENCH_ACCOUNT}:queue-${i}-${k}`
        : `arn:aws:kinesis:${BENCH_REGION}:${BENCH_ACCOUNT}:stream/events-${i}-${k}`;
  return {
    dataPlane: 'prod',
    scope,
    resource: {
      type: 'iam-statements',
      statements: [
        { Effect: 'Allow', Action: actions, Resource: Array.from({ length: width }, (_, k) => resource(k)) },
      ],
    },
  };
}

export default defineSection({
  name: 'packing',
  description: `policies emitted ÷ lower bound over ${TARGETS} generated targets of 1–120 grants`,
  async run() {
    // A high quota so the bound, not the quota, decides the number of policies.
    const config = parseConfig(benchConfig({ maxPoliciesPerRole: 20 }));
    const random = seededRandom(20261123);
    const requests: Record<string, unknown>[] = [];
    let n = 0;
    for (let pair = 0; pair < TARGETS; pair += 1) {
      const count = 1 + Math.floor(random() * 120);
      for (let k = 0; k < count; k += 1) {
        // One grant in four is a hand-written statement of 1–40 resources, so statement sizes
        // range from ~100 to ~3,000 characters and the packer has real choices to make.
        requests.push(
          random() < 0.25
            ? wideStatement(n++, pairScope(pair), 1 + Math.floor(random() * 40))
            : grantFor(n++, pairScope(pair)),
        );
      }
    }
    const now = new Date();
    let result = planGrants({ config, requests, now });
    const times = await timeRuns(3, () => {
      result = planGrants({ config, requests, now });
    });

    let emitted = 0;
    let bound = 0;
    let worst = 1;
    for (const target of result.targets) {
      if (target.policies.length === 0) continue;
      const chars = target.policies
        .flatMap((policy) => policy.document.Statement)
        .reduce((sum, statement) => sum + JSON.stringify(statement).replace(/\s/g, '').length, 0);
      const targetBound = Math.max(1, Math.ceil(chars / POLICY_CHAR_LIMIT));
      emitted += target.policies.length;
      bound += targetBound;
      worst = Math.max(worst, target.policies.length / targetBound);
    }
    const notes =
      result.rejected.length > 0
        ? [
            `${result.rejected.length} of ${requests.length} grants rejected (first: ${JSON.stringify(result.rejected[0]?.errors[0])})`,
          ]
        : [];
    return {
      measurements: [
        { label: 'grants', value: requests.length, unit: '' },
        { label: 'policies emitted', value: emitted, unit: '' },
        { label: 'lower bound', value: bound, unit: 'policies' },
        { label: 'worst target', value: worst, unit: '× its bound' },
        { label: 'in-process planGrants (median of 3)', value: Math.round(median(times)), unit: 'ms' },
      ],
      ratios: [{ label: 'policies ÷ lower bound', value: bound === 0 ? 0 : emitted / bound, goal: { max: 1.1 } }],
      notes,
    };
  },
});
