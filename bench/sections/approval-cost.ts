// Section: what one change costs as its plane grows (docs/data-model.md, planning units). For each
// plane size N (10, 500, 2,000, 5,000 active grants: a few global grants, the rest 8 per
// project-domain pair, every target applied in the IAM emulator) a requester submits a grant to an
// existing pair and an approver approves it through the real grants handler; the applier is fed
// from the table's real stream (DynamoDB Local's GetRecords, as the event source mapping delivers
// it) until the grant is active. Counted per approval: DynamoDB requests and items read (API and
// applier, on their own clients), engine runs and the requests they planned, IAM calls, wall time;
// cold (new clients and handlers for each approval: a new container) and warm (one container),
// each the median of 5, after a warm-up that JIT-compiles the process. Goal:
// the cost of one approval flat in N (5,000 ÷ 10 ≤ 1.5), one engine run per approval, a cold
// submit ≤ 2× one raw transaction.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { makeHandler } from '../../functions/http/grants.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { auditItem, grantItem, keys } from '../../lib/adapters/dynamodb/items.js';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { applyPendingTargets, applyTargets, type ApplierLog } from '../../lib/app/applier.js';
import { recomputePlaneTargets } from '../../lib/app/targets.js';
import { parseConfig, type AwsDataPlaneConfig, type GrantplaneConfig } from '../../lib/domain/config.js';
import { engineRuns } from '../../lib/domain/engine.js';
import { GLOBAL_UNIT, unitOf, type GrantRecord } from '../../lib/domain/records.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { startIamEmulator, type IamEmulator } from '../../lib/local/iam-emulator/index.js';
import { emulatorIamSource } from '../../lib/local/loops.js';
import { toLambdaRecord } from '../../lib/local/stream-poller.js';
import { buildDeps, ulidIds } from '../../lib/wiring/http.js';
import { buildApplierDeps, targetsOfRecord } from '../../lib/wiring/applier.js';
import { activeGrant, BENCH_ACCOUNT, benchConfig, grantFor, pairScope } from '../fixtures.js';
import { defineSection, median, type BenchMeasurement, type BenchRatio } from '../harness.js';
import { apiGatewayEvent, lambdaContext } from '../lib-apigw.js';
import { countedClient } from '../lib-dynamo.js';
import { ms } from '../lib-stats.js';

const SIZES = [10, 500, 2_000, 5_000] as const;
const GLOBAL_GRANTS = 2;
const PER_PAIR = 8;
/** Approvals per figure (each figure is their median). */
const RUNS = 5;
const ACTIVE_PASSES = 20;
/** Cold submits (and raw transactions beside them) per figure: short, so more of them for a steady median. */
const SUBMIT_ROUNDS = 25;
const alice = { sub: 'alice', groups: ['requester'] };
const bob = { sub: 'bob', groups: ['approver'] };
const silent: ApplierLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sizes = (): readonly number[] =>
  process.env.GRANTPLANE_BENCH_SIZES === undefined ? SIZES : process.env.GRANTPLANE_BENCH_SIZES.split(',').map(Number);
/** Progress on stderr, so a long seeding is visibly alive (the report goes to stdout). */
const progress = (message: string) => process.stderr.write(`  … ${message}\n`);

/** Reads a table's stream from where it last stopped, every shard, as Lambda would receive it. */
function streamReader(streams: DynamoDBStreamsClient, streamArn: string) {
  const last = new Map<string, string | undefined>();
  return async (): Promise<DynamoDBRecord[]> => {
    const records: DynamoDBRecord[] = [];
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards;
    for (const shard of shards ?? []) {
      const id = shard.ShardId!;
      const after = last.get(id);
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: id,
            ...(after === undefined
              ? { ShardIteratorType: 'TRIM_HORIZON' }
              : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const got: _Record[] = page.Records ?? [];
        for (const record of got) records.push(toLambdaRecord(record, streamArn, 'us-east-1'));
        if (got.length > 0) last.set(id, got[got.length - 1]!.dynamodb?.SequenceNumber);
        if (got.length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  };
}

interface PlaneFixture {
  table: string;
  config: GrantplaneConfig;
  plane: AwsDataPlaneConfig;
  emulator: IamEmulator;
  pairs: number;
  readStream: () => Promise<DynamoDBRecord[]>;
  /** A seeded pair grant (the raw transaction's template). */
  template: GrantRecord;
  /** Reads a grant's status on a client of its own (the benchmark's polling is not the applier's cost). */
  statusOf: (id: string) => Promise<GrantRecord | null>;
  stop: () => Promise<void>;
}

/** N active grants in one plane, written through the store, planned once and applied by the sweep. */
async function seedPlane(endpoint: string, streams: DynamoDBStreamsClient, size: number): Promise<PlaneFixture> {
  const table = `grantplane-bench-approval-${size}`;
  const setup = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  await ensureTable(setup, table);
  const config = parseConfig(benchConfig());
  const plane = config.dataPlanes[0] as AwsDataPlaneConfig;
  const emulator = await startIamEmulator({ port: 0, accountId: BENCH_ACCOUNT });
  emulator.seedDataPlane(plane);
  const deps = buildApplierDeps({
    client: setup,
    tableName: table,
    config,
    iamFor: emulatorIamSource(emulator.endpoint),
    log: silent,
  });
  const ids = ulidIds();
  const pairs = Math.ceil((size - GLOBAL_GRANTS) / PER_PAIR);
  progress(`N=${size}: writing ${size} grants over ${pairs} pairs`);
  let template: GrantRecord | undefined;
  for (let i = 0; i < size; i += 1) {
    const scope = i < GLOBAL_GRANTS ? { type: 'global' as const } : pairScope((i - GLOBAL_GRANTS) % pairs);
    const grant = activeGrant(i, scope, ids.next());
    if (i === GLOBAL_GRANTS) template = grant;
    await deps.grants.createGrant(grant, {
      id: ids.next(),
      at: grant.createdAt,
      actor: 'seed',
      action: 'grant.created',
      grantId: grant.id,
      targetKey: grant.targetKey,
      result: 'ok',
    });
  }
  progress(`N=${size}: planning the plane`);
  const recompute = await recomputePlaneTargets(deps, 'prod');
  if (Object.keys(recompute.refused).length > 0)
    throw new Error(`seeded grants refused: ${JSON.stringify(Object.entries(recompute.refused)[0])}`);
  progress(`N=${size}: applying ${pairs + 1} targets`);
  const outcomes = await applyPendingTargets(deps);
  const failed = outcomes.filter((outcome) => outcome.outcome === 'failed');
  if (failed.length > 0) throw new Error(`seeding apply failed: ${failed[0]!.targetKey}: ${failed[0]!.error ?? ''}`);
  const streamArn = (await setup.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`table ${table} has no stream`);
  const readStream = streamReader(streams, streamArn);
  progress(`N=${size}: reading the stream to its end`);
  await readStream(); // everything the seeding wrote: already applied
  return {
    table,
    config,
    plane,
    emulator,
    pairs,
    readStream,
    template: template!,
    statusOf: (id) => deps.grants.getGrant(id),
    stop: async () => {
      setup.destroy();
      await emulator.stop();
    },
  };
}

interface ApprovalCost {
  submitMs: number;
  approveToActiveMs: number;
  apiRequests: number;
  apiItems: number;
  applierRequests: number;
  applierItems: number;
  engineRunsSubmit: number;
  engineRunsApproval: number;
  plannedApproval: number;
  iamCalls: number;
}

/** Fresh clients and handlers on one plane: what a new Lambda container runs. */
function containers(endpoint: string, fixture: PlaneFixture) {
  const api = countedClient(endpoint);
  const applier = countedClient(endpoint);
  const handler = makeHandler(buildDeps({ client: api.client, tableName: fixture.table, config: fixture.config }), {
    auth: parseAuthEnv({}),
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  const applierDeps = buildApplierDeps({
    client: applier.client,
    tableName: fixture.table,
    config: fixture.config,
    iamFor: emulatorIamSource(fixture.emulator.endpoint),
    log: silent,
  });
  const destroy = () => {
    api.client.destroy();
    applier.client.destroy();
  };
  return { api, applier, handler, applierDeps, destroy };
}

async function approveOnce(
  fixture: PlaneFixture,
  running: ReturnType<typeof containers>,
  run: number,
): Promise<ApprovalCost> {
  const { api, applier, handler, applierDeps } = running;
  const call = async (caller: typeof alice, method: string, path: string, body?: unknown) => {
    const result = await handler(apiGatewayEvent({ method, path, caller, body }), lambdaContext());
    if ((result.statusCode ?? 500) >= 300)
      throw new Error(`${method} ${path} answered ${result.statusCode}: ${result.body}`);
    return JSON.parse(result.body ?? '{}') as { id: string; status: string };
  };
  const scope = pairScope((run * 7) % fixture.pairs);
  const request = grantFor(100_000 + run, scope);
  let start = performance.now();
  let engine = engineRuns();
  const submitted = await call(alice, 'POST', '/v1/grants', request);
  const submitMs = performance.now() - start;
  const engineRunsSubmit = engineRuns().runs - engine.runs;
  if (submitted.status !== 'pending-approval') throw new Error(`submitted grant is ${submitted.status}`);

  const apiBefore = { ...api.counter };
  const applierBefore = { ...applier.counter };
  engine = engineRuns();
  fixture.emulator.resetCalls();
  start = performance.now();
  await call(bob, 'POST', `/v1/grants/${submitted.id}/approve`, { comment: 'bench' });
  let approveToActiveMs = 0;
  for (let pass = 0; pass < ACTIVE_PASSES; pass += 1) {
    const records = await fixture.readStream();
    const keys = new Set(records.flatMap(targetsOfRecord));
    if (keys.size > 0) await applyTargets(applierDeps, [...keys]);
    if (approveToActiveMs === 0) {
      const grant = await fixture.statusOf(submitted.id);
      if (grant?.status === 'active') approveToActiveMs = performance.now() - start;
      else if (grant?.status === 'failed')
        throw new Error(`grant ${submitted.id} failed: ${grant.failureReason ?? ''}`);
    } else if (records.length === 0) break;
  }
  if (approveToActiveMs === 0) throw new Error(`grant ${submitted.id} not active after ${ACTIVE_PASSES} stream passes`);
  const after = engineRuns();
  const iamCalls = fixture.emulator.calls.filter((c) => c.fault === undefined).length;
  const counted = {
    apiRequests: api.counter.requests - apiBefore.requests,
    apiItems: api.counter.itemsRead - apiBefore.itemsRead,
    applierRequests: applier.counter.requests - applierBefore.requests,
    applierItems: applier.counter.itemsRead - applierBefore.itemsRead,
  };
  // Not measured: the grant is revoked and removed again, so every approval meets its pair as the
  // seeding left it (8 grants), at every plane size, however many runs share a pair.
  await call(alice, 'DELETE', `/v1/grants/${submitted.id}`);
  for (let pass = 0; pass < ACTIVE_PASSES; pass += 1) {
    const keys = new Set((await fixture.readStream()).flatMap(targetsOfRecord));
    if (keys.size > 0) await applyTargets(applierDeps, [...keys]);
    if ((await fixture.statusOf(submitted.id))?.status === 'revoked') break;
  }
  await fixture.readStream();
  return {
    submitMs,
    approveToActiveMs,
    ...counted,
    engineRunsSubmit,
    engineRunsApproval: after.runs - engine.runs,
    plannedApproval: after.requests - engine.requests,
    iamCalls,
  };
}

/**
 * What a submit stores (the grant and its audit event) as one raw TransactWriteItems on a cold
 * client; with `reads`, first the read a submit makes before it (its unit's and the global unit's
 * items, with their inline copies of the desired grants, and the pair's attributes, in one
 * strongly consistent BatchGetItem): the floor of the submit's data access with no handler, no
 * validation and no engine around it.
 */
async function rawSubmit(endpoint: string, table: string, template: GrantRecord, reads: boolean): Promise<number> {
  const { client } = countedClient(endpoint);
  const doc = makeDocumentClient(client);
  const ids = ulidIds();
  const grant = { ...template, id: ids.next() };
  const start = performance.now();
  if (reads && grant.scope.type === 'project-domain') {
    const { project, domain } = grant.scope;
    await doc.send(
      new BatchGetCommand({
        RequestItems: {
          [table]: {
            Keys: [
              keys.unit(grant.dataPlane, GLOBAL_UNIT),
              keys.unit(grant.dataPlane, unitOf(grant.scope)),
              keys.attributes(grant.dataPlane, project, domain),
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
  }
  await doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: table, Item: grantItem(grant), ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: table,
            Item: auditItem({
              id: ids.next(),
              at: grant.createdAt,
              actor: 'bench',
              action: 'grant.submitted',
              grantId: grant.id,
              targetKey: grant.targetKey,
              result: 'ok',
            }),
          },
        },
      ],
    }),
  );
  const elapsed = performance.now() - start;
  client.destroy();
  return elapsed;
}

/**
 * One submit on a fresh container (a new Lambda container): wall time and the API's DynamoDB
 * requests and items read. Left pending, so the plane's desired grants stay as seeded.
 */
async function submitOnce(
  fixture: PlaneFixture,
  endpoint: string,
  body: Record<string, unknown>,
): Promise<{ ms: number; requests: number; items: number }> {
  const fresh = containers(endpoint, fixture);
  try {
    const start = performance.now();
    const result = await fresh.handler(
      apiGatewayEvent({ method: 'POST', path: '/v1/grants', caller: alice, body }),
      lambdaContext(),
    );
    const elapsed = performance.now() - start;
    if (result.statusCode !== 201) throw new Error(`submit answered ${result.statusCode}: ${result.body}`);
    return { ms: elapsed, requests: fresh.api.counter.requests, items: fresh.api.counter.itemsRead };
  } finally {
    fresh.destroy();
  }
}

/** A grant on a pair that has 8, its role applied. */
const pairSubmitOnce = (fixture: PlaneFixture, endpoint: string, run: number) =>
  submitOnce(fixture, endpoint, grantFor(300_000 + run, pairScope((run * 7) % fixture.pairs)));

/**
 * A read grant on a new bucket: its statements join the plane's global policy, so it is decided
 * with the global grants alone.
 */
const globalSubmitOnce = (fixture: PlaneFixture, endpoint: string, run: number) =>
  submitOnce(fixture, endpoint, grantFor(5 * (200 + run), { type: 'global' }));

/** The median of each figure over several submits. */
const submitMedians = (runs: readonly { ms: number; requests: number; items: number }[]) => ({
  ms: median(runs.map((run) => run.ms)),
  requests: median(runs.map((run) => run.requests)),
  items: median(runs.map((run) => run.items)),
});

/** The median of each figure over several approvals. */
const medians = (runs: readonly ApprovalCost[]): ApprovalCost =>
  Object.fromEntries(
    (Object.keys(runs[0]!) as (keyof ApprovalCost)[]).map((key) => [key, median(runs.map((cost) => cost[key]))]),
  ) as unknown as ApprovalCost;

const sumOf = (cost: ApprovalCost) => ({
  requests: cost.apiRequests + cost.applierRequests,
  items: cost.apiItems + cost.applierItems,
});

export default defineSection({
  name: 'approval-cost',
  description: `one submit + approval → active at ${SIZES.join(', ')} active grants in the plane (grants handler, table stream → applier, IAM emulator), cold and warm`,
  async run() {
    const SIZES = sizes();
    const measurements: BenchMeasurement[] = [];
    const ratios: BenchRatio[] = [];
    const cold: Record<number, ApprovalCost> = {};
    const warm: Record<number, ApprovalCost> = {};
    const rawCold: Record<number, number> = {};
    const floorCold: Record<number, number> = {};
    const pairCold: Record<number, { ms: number; requests: number; items: number }> = {};
    const globalCold: Record<number, { ms: number; requests: number; items: number }> = {};
    const notes: string[] = [];
    for (const size of SIZES) {
      // One DynamoDB Local per size: it slows down as its in-memory store grows, even across tables.
      const dynamo = await startDynamoDbLocal({ port: 0 });
      const streams = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
      try {
        const seedStart = performance.now();
        const fixture = await seedPlane(dynamo.endpoint, streams, size);
        notes.push(
          `N=${size}: seeded (${fixture.pairs} pairs, every target applied) in ${ms(performance.now() - seedStart)} ms`,
        );
        try {
          progress(`N=${size}: measuring`);
          // First runs JIT-compile this process and the new DynamoDB Local's JVM (which a large
          // seeding warms more than a small one): not what any plane size costs.
          const warmup = containers(dynamo.endpoint, fixture);
          for (let run = 0; run < 3 * RUNS; run += 1) await approveOnce(fixture, warmup, 1_000 + run);
          warmup.destroy();
          // Cold: each approval on new clients and handlers (a new container); warm: one container.
          const colds: ApprovalCost[] = [];
          for (let run = 0; run < RUNS; run += 1) {
            const fresh = containers(dynamo.endpoint, fixture);
            colds.push(await approveOnce(fixture, fresh, run));
            fresh.destroy();
          }
          const running = containers(dynamo.endpoint, fixture);
          const warms: ApprovalCost[] = [];
          for (let run = RUNS; run < 2 * RUNS; run += 1) warms.push(await approveOnce(fixture, running, run));
          running.destroy();
          cold[size] = medians(colds);
          warm[size] = medians(warms);
          // Interleaved, round after round, so each ratio compares runs on the same machine state:
          // the raw transaction, the floor, a cold pair submit and a cold global submit (the
          // approvals above run the applier and the stream between their submits, which a submit
          // alone does not).
          const raws: number[] = [];
          const floors: number[] = [];
          const pairSubmits: { ms: number; requests: number; items: number }[] = [];
          const globals: { ms: number; requests: number; items: number }[] = [];
          for (let run = 0; run < SUBMIT_ROUNDS; run += 1) {
            raws.push(await rawSubmit(dynamo.endpoint, fixture.table, fixture.template, false));
            floors.push(await rawSubmit(dynamo.endpoint, fixture.table, fixture.template, true));
            pairSubmits.push(await pairSubmitOnce(fixture, dynamo.endpoint, run));
            globals.push(await globalSubmitOnce(fixture, dynamo.endpoint, run));
          }
          rawCold[size] = median(raws);
          floorCold[size] = median(floors);
          pairCold[size] = submitMedians(pairSubmits);
          globalCold[size] = submitMedians(globals);
        } finally {
          await fixture.stop();
        }
      } finally {
        streams.destroy();
        await dynamo.stop();
      }
      for (const [label, cost] of [
        ['cold median', cold[size]!],
        ['warm median', warm[size]!],
      ] as const) {
        const total = sumOf(cost);
        measurements.push(
          { label: `N=${size} ${label}: submit`, value: ms(cost.submitMs), unit: 'ms' },
          { label: `N=${size} ${label}: approve → active`, value: ms(cost.approveToActiveMs), unit: 'ms' },
          {
            label: `N=${size} ${label}: DynamoDB per approval (API + applier)`,
            value: total.requests,
            unit: `requests (${cost.apiRequests} + ${cost.applierRequests}), ${total.items} items read (${cost.apiItems} + ${cost.applierItems})`,
          },
          {
            label: `N=${size} ${label}: engine runs`,
            value: cost.engineRunsApproval,
            unit: `per approval (${cost.plannedApproval} grants planned), ${cost.engineRunsSubmit} per submit`,
          },
          { label: `N=${size} ${label}: IAM calls per approval`, value: cost.iamCalls, unit: 'calls' },
        );
      }
      measurements.push(
        { label: `N=${size}: one raw TransactWriteItems, cold client, median`, value: ms(rawCold[size]!), unit: 'ms' },
        {
          label: `N=${size}: cold pair submit (a new container, beside the raw transaction), median`,
          value: ms(pairCold[size]!.ms),
          unit: `ms, ${pairCold[size]!.requests} DynamoDB requests, ${pairCold[size]!.items} items read`,
        },
        {
          label: `N=${size}: cold global submit (a new bucket, joins the global policy), median`,
          value: ms(globalCold[size]!.ms),
          unit: `ms, ${globalCold[size]!.requests} DynamoDB requests, ${globalCold[size]!.items} items read`,
        },
        {
          label: `N=${size}: the submit's read (1 BatchGetItem: both unit items and the attributes) then that transaction, raw, cold client, median`,
          value: ms(floorCold[size]!),
          unit: 'ms',
        },
      );
    }
    const small = SIZES[0]!;
    const large = SIZES[SIZES.length - 1]!;
    for (const [label, costs] of [
      ['cold', cold],
      ['warm', warm],
    ] as const) {
      ratios.push(
        {
          label: `approval DynamoDB items read, N=${large} / N=${small}, ${label}`,
          value: sumOf(costs[large]!).items / Math.max(1, sumOf(costs[small]!).items),
          goal: { max: 1.5 },
        },
        {
          label: `approval DynamoDB requests, N=${large} / N=${small}, ${label}`,
          value: sumOf(costs[large]!).requests / Math.max(1, sumOf(costs[small]!).requests),
          goal: { max: 1.5 },
        },
        {
          label: `approve → active wall, N=${large} / N=${small}, ${label}`,
          value: costs[large]!.approveToActiveMs / costs[small]!.approveToActiveMs,
          goal: { max: 1.5 },
        },
      );
    }
    ratios.push({
      label: `cold global submit DynamoDB items read, N=${large} / N=${small}`,
      value: globalCold[large]!.items / Math.max(1, globalCold[small]!.items),
      goal: { max: 1.5 },
    });
    for (const size of SIZES) {
      ratios.push(
        {
          label: `engine runs per approval, N=${size}, warm`,
          value: warm[size]!.engineRunsApproval,
          goal: { max: 1 },
        },
        {
          label: `cold submit / one cold raw transaction, N=${size}`,
          value: pairCold[size]!.ms / rawCold[size]!,
          goal: { max: 2 },
        },
        {
          // Reference: what the submit's own reads cost before the write, with no handler around them.
          label: `raw reads + transaction / one cold raw transaction, N=${size} (reference)`,
          value: floorCold[size]! / rawCold[size]!,
          goal: {},
        },
      );
    }
    notes.push(
      'items read = Query ScannedCount + GetItem/BatchGetItem/TransactGetItems items returned; the applier column includes its target, lease, unit and grant reads; the benchmark polls grant status on a client of its own',
      `each approval adds a grant to a pair that already has ${PER_PAIR} (its role and policy exist), and is revoked again after it is measured; the plane also holds ${GLOBAL_GRANTS} global grants, whose policy every pair role attaches`,
    );
    return { measurements, ratios, notes };
  },
});
