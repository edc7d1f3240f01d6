// Section: no ceiling per plane (docs/data-model.md). A plane of 50,000 desired grants (8 per
// project-domain pair, bulk-loaded as the store lays them out: each grant and its member item, and
// each pair's unit item with its version and its inline copies of the pair's grants)
// takes one more: submitted, approved, planned and applied to IAM, at the cost of any other
// approval. The plane once kept every desired grant's id in one item, which DynamoDB refused to
// grow past about 15,500 grants. Also printed: what the applier's repair pass costs on such a
// plane (it reads and plans the whole plane), the one path that still grows with it.
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import {
  ITEM_TYPE,
  grantItem,
  inlineBytes,
  inlineCopy,
  inlineName,
  keys,
  memberItem,
} from '../../lib/adapters/dynamodb/items.js';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { applyTargets, type ApplierLog } from '../../lib/app/applier.js';
import { approveGrant, submitGrant } from '../../lib/app/grants.js';
import { parseConfig, type AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { planDesired } from '../../lib/domain/desired.js';
import { targetKey, unitOf, type GrantRecord } from '../../lib/domain/records.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { startIamEmulator } from '../../lib/local/iam-emulator/index.js';
import { emulatorIamSource } from '../../lib/local/loops.js';
import { ulidIds } from '../../lib/wiring/http.js';
import { buildApplierDeps } from '../../lib/wiring/applier.js';
import { activeGrant, BENCH_ACCOUNT, benchConfig, grantFor, pairScope } from '../fixtures.js';
import { defineSection } from '../harness.js';
import { countedClient } from '../lib-dynamo.js';
import { ms } from '../lib-stats.js';

const GRANTS = Number(process.env.GRANTPLANE_BENCH_CAPACITY ?? '50000');
const PER_PAIR = 8;
const silent: ApplierLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const progress = (message: string) => process.stderr.write(`  … ${message}\n`);

export default defineSection({
  name: 'plane-capacity',
  description: `one more approval in a plane of ${GRANTS.toLocaleString('en-US')} desired grants, and the repair pass on it`,
  async run() {
    const dynamo = await startDynamoDbLocal({ port: 0 });
    const emulator = await startIamEmulator({ port: 0, accountId: BENCH_ACCOUNT });
    const { client, counter } = countedClient(dynamo.endpoint);
    try {
      const table = 'grantplane-bench-capacity';
      await ensureTable(client, table);
      const config = parseConfig(benchConfig());
      const plane = config.dataPlanes[0] as AwsDataPlaneConfig;
      emulator.seedDataPlane(plane);
      const deps = buildApplierDeps({
        client,
        tableName: table,
        config,
        iamFor: emulatorIamSource(emulator.endpoint),
        log: silent,
      });
      const doc = makeDocumentClient(client);
      const ids = ulidIds();
      const pairs = Math.ceil(GRANTS / PER_PAIR);
      progress(`writing ${GRANTS} active grants over ${pairs} pairs`);
      const seedStart = performance.now();
      let batch: Record<string, unknown>[] = [];
      const flush = async () => {
        for (let start = 0; start < batch.length; start += 25)
          await doc.send(
            new BatchWriteCommand({
              RequestItems: { [table]: batch.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
        batch = [];
      };
      const units = new Map<string, GrantRecord[]>();
      for (let i = 0; i < GRANTS; i += 1) {
        const scope = pairScope(i % pairs);
        const grant = activeGrant(i, scope, ids.next());
        batch.push(grantItem(grant), memberItem(grant, unitOf(scope)));
        const unit = units.get(unitOf(scope));
        if (unit === undefined) units.set(unitOf(scope), [grant]);
        else unit.push(grant);
        if (batch.length >= 1_000) await flush();
        if ((i + 1) % 10_000 === 0) progress(`${i + 1} grants written`);
      }
      // Each unit as its grants' transactions leave it: one version per grant, the copies complete.
      for (const [unit, members] of units) {
        batch.push({
          ...keys.unit('prod', unit),
          type: ITEM_TYPE.unit,
          dataPlane: 'prod',
          unit,
          version: members.length,
          inlineVersion: members.length,
          inlineBytes: members.reduce((sum, grant) => sum + inlineBytes(grant.id, inlineCopy(grant)), 0),
          targetKeys: new Set([members[0]!.targetKey]),
          ...Object.fromEntries(members.map((grant) => [inlineName(grant.id), inlineCopy(grant)])),
        });
        if (batch.length >= 1_000) await flush();
      }
      await flush();
      const seedMs = performance.now() - seedStart;

      // One more grant on a pair that already holds 8, through the use cases; then the applier.
      const scope = pairScope(pairs - 1);
      const actorA = { sub: 'alice', roles: ['requester' as const] };
      const actorB = { sub: 'bob', roles: ['approver' as const] };
      counter.itemsRead = 0;
      const start = performance.now();
      const submitted = await submitGrant(deps, { request: grantFor(GRANTS + 1, scope), actor: actorA });
      await approveGrant(deps, { id: submitted.id, actor: actorB });
      const key = targetKey('prod', scope);
      const outcomes = await applyTargets(deps, [key]);
      const elapsed = performance.now() - start;
      const readForApproval = counter.itemsRead;
      const grant = await deps.grants.getGrant(submitted.id);
      const target = await deps.targets.getTarget(key);
      if (grant?.status !== 'active')
        throw new Error(`the ${GRANTS + 1}th grant is ${grant?.status ?? 'missing'}: ${JSON.stringify(outcomes)}`);
      const statementsOf = (policies: readonly { document: { Statement: unknown } }[] = []) =>
        policies.reduce((sum, policy) => sum + (policy.document.Statement as unknown[]).length, 0);
      const statements = statementsOf(target?.desired?.policies);

      // The repair pass on this plane: read every unit, target and member, and plan them.
      progress('whole-plane read and plan (the repair pass)');
      counter.itemsRead = 0;
      const repairStart = performance.now();
      const snapshot = await deps.planes.getPlaneSnapshot('prod');
      const readMs = performance.now() - repairStart;
      const planStart = performance.now();
      const planned = planDesired(config, 'prod', snapshot.grants, snapshot.attributes, new Date());
      const planMs = performance.now() - planStart;
      const expected = statementsOf(planned.targets.get(key)?.policies);
      return {
        measurements: [
          { label: 'desired grants in the plane', value: snapshot.grants.length, unit: 'grants' },
          { label: 'bulk load', value: Math.round(seedMs / 1000), unit: 's' },
          { label: 'submit + approve + apply of one more grant', value: ms(elapsed), unit: 'ms' },
          { label: 'DynamoDB items read for it (API + applier)', value: readForApproval, unit: 'items' },
          { label: "statements in its pair's policies", value: statements, unit: `(${PER_PAIR} seeded grants + 1)` },
          { label: 'repair pass: whole-plane read', value: ms(readMs), unit: `ms (${counter.itemsRead} items)` },
          { label: 'repair pass: whole-plane plan', value: ms(planMs), unit: `ms (${planned.targets.size} targets)` },
        ],
        ratios: [
          {
            label: `the ${(GRANTS + 1).toLocaleString('en-US')}th grant's pair, statements compiled / what whole-plane planning gives it`,
            value: statements / Math.max(1, expected),
            goal: { min: 1, max: 1 },
          },
        ],
        notes: [
          'bulk-loaded grants have no targets yet (the repair pass would create them); the approval plans and applies its own pair only',
        ],
      };
    } finally {
      client.destroy();
      await emulator.stop();
      await dynamo.stop();
    }
  },
});
