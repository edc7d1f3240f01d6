// The applier Lambda fed with the table's real stream records (DynamoDB Local) in Lambda's event
// shape (docs/applier.md A4): duplicates and out-of-order records change nothing, a failing target is
// reported in batchItemFailures while the others succeed, an acknowledgement on the stream deletes
// the waiting role (A3).
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/applier.js';
import { logger } from '../../functions/shared/logger.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import type { ApplierDeps } from '../../lib/app/applier.js';
import { acknowledgeAttributeUpdate } from '../../lib/app/attributes.js';
import { approveGrant, revokeGrant, submitGrant } from '../../lib/app/grants.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import type { Identity } from '../../lib/domain/ports.js';
import { localContext } from '../../lib/local/loops.js';
import { toLambdaRecord } from '../../lib/local/stream-poller.js';
import { iamForConfig, silentLog } from '../helpers/applier.js';
import { appDeps, type FreshTable } from '../helpers/dynamo.js';
import { iamClientFor, startIamTest, type IamTestContext } from '../helpers/iam.js';

const alice: Identity = { sub: 'alice', roles: ['requester'] };
const bob: Identity = { sub: 'bob', roles: ['approver'] };
const admin: Identity = { sub: 'carol', roles: ['admin'] };
const STAGING = 'prod#flytesnacks#staging';
const TIGHT = 'tight#flytesnacks#production';

const request = (bucket: string, dataPlane = 'prod', domain = 'staging') => ({
  dataPlane,
  scope: { type: 'project-domain', project: 'flytesnacks', domain },
  resource: { type: 's3', bucket, access: 'read' },
  justification: 'tests',
});

/** Every stream record of the table after `after` (a sequence number), in Lambda's shape. */
async function streamRecords(table: FreshTable, after?: string): Promise<DynamoDBRecord[]> {
  const streams = new DynamoDBStreamsClient({
    endpoint: table.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const described = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));
    const arn = described.Table?.LatestStreamArn ?? '';
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards ?? [];
    const records: DynamoDBRecord[] = [];
    for (const shard of shards) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
        )
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []).map((record) => toLambdaRecord(record, arn, 'us-east-1')));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    const seq = (record: DynamoDBRecord) => BigInt(record.dynamodb?.SequenceNumber ?? '0');
    return records
      .filter((record) => after === undefined || seq(record) > BigInt(after))
      .sort((a, b) => (seq(a) < seq(b) ? -1 : 1));
  } finally {
    streams.destroy();
  }
}

const lastSequence = (records: DynamoDBRecord[]): string =>
  records[records.length - 1]?.dynamodb?.SequenceNumber ?? '0';

let iam: IamTestContext;
let deps: ApplierDeps & { table: FreshTable };
let handler: ReturnType<typeof makeHandler>;
const invoke = (records: DynamoDBRecord[]) =>
  handler({ Records: records } satisfies DynamoDBStreamEvent, localContext('applier-test'));

beforeEach(async () => {
  logger.setLogLevel('SILENT');
  iam = await startIamTest();
  const base = await appDeps();
  const planes = base.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
  deps = { ...base, iamFor: iamForConfig(iam, planes), log: silentLog() };
  handler = makeHandler(deps);
});

afterEach(async () => {
  await iam.stop();
});

const iamWrites = () => iam.emulator.calls.filter((call) => !call.read && call.fault === undefined);

describe('applier handler (DynamoDB stream)', () => {
  it('approve → the batch of stream records → grant active, a pending uctl update, no failures', async () => {
    const submitted = await submitGrant(deps, { request: request('acme-ml-data'), actor: alice });
    await approveGrant(deps, { id: submitted.id, actor: bob });
    const records = await streamRecords(deps.table);

    const answer = await invoke(records);

    expect(answer).toEqual({ batchItemFailures: [] });
    expect((await deps.grants.getGrant(submitted.id))?.status).toBe('active');
    expect((await deps.attributes.listAttributeUpdates('pending', { limit: 10 })).items).toHaveLength(1);
    expect(iamWrites().map((call) => call.action)).toContain('CreateRole');
  });

  it('duplicate and out-of-order records change nothing: no IAM write, no uctl update, no audit event (A4)', async () => {
    const first = await submitGrant(deps, { request: request('acme-ml-data'), actor: alice });
    await approveGrant(deps, { id: first.id, actor: bob });
    const v1 = await streamRecords(deps.table);
    await invoke(v1);
    const second = await submitGrant(deps, { request: request('acme-features'), actor: alice });
    await approveGrant(deps, { id: second.id, actor: bob });
    const v2 = await streamRecords(deps.table, lastSequence(v1));
    await invoke(v2);
    const audit = (await deps.audit.listAudit({}, { limit: 100 })).items.length;
    const target = await deps.targets.getTarget(STAGING);
    iam.emulator.resetCalls();

    const duplicate = await invoke(v2);
    const reversed = await invoke([...v1, ...v2].reverse());
    const stale = await invoke(v1);

    expect([duplicate, reversed, stale]).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [] },
      { batchItemFailures: [] },
    ]);
    expect(iamWrites()).toEqual([]);
    expect((await deps.audit.listAudit({}, { limit: 100 })).items).toHaveLength(audit);
    expect((await deps.attributes.listAttributeUpdates(undefined, { limit: 10 })).items).toHaveLength(1);
    expect(await deps.targets.getTarget(STAGING)).toEqual(target);
    expect((await deps.grants.getGrant(second.id))?.status).toBe('active');
  });

  it('a failing target is reported in batchItemFailures (its records only) while the others succeed', async () => {
    const right = deps.iamFor;
    const wrong = makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: '999999999999' }));
    deps.iamFor = async (plane) => (plane.name === 'tight' ? wrong : right(plane));
    const good = await submitGrant(deps, { request: request('acme-ml-data'), actor: alice });
    await approveGrant(deps, { id: good.id, actor: bob });
    const bad = await submitGrant(deps, { request: request('acme-ml-data', 'tight', 'production'), actor: alice });
    await approveGrant(deps, { id: bad.id, actor: bob });
    const records = await streamRecords(deps.table);
    // The tight pair's records that ask the applier anything: its target's write and its unit's mark.
    const tightSequences = records
      .filter((record) => {
        const image = record.dynamodb?.NewImage;
        const type = image?.type?.S;
        return (
          (type === 'target' && image?.targetKey?.S === TIGHT) ||
          (type === 'unit' &&
            (image?.targetKeys?.SS ?? []).includes(TIGHT) &&
            image?.compiled?.N !== record.dynamodb?.OldImage?.compiled?.N)
        );
      })
      .map((record) => record.dynamodb?.SequenceNumber);
    expect(tightSequences.length).toBeGreaterThan(0);

    const answer = await invoke(records);

    expect(answer?.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [...tightSequences].sort(),
    );
    expect((await deps.grants.getGrant(good.id))?.status).toBe('active');
    expect((await deps.grants.getGrant(bad.id))?.status).toBe('failed');

    // The event source mapping retries from the failed record; with the credentials fixed it converges.
    deps.iamFor = right;
    const retry = await invoke(
      records.filter((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0') >= BigInt(tightSequences[0] ?? '0')),
    );
    expect(retry).toEqual({ batchItemFailures: [] });
    expect((await deps.grants.getGrant(bad.id))?.status).toBe('active');
  });

  it('records it has no business with (audit events, its own outcome writes) are ignored', async () => {
    const submitted = await submitGrant(deps, { request: request('acme-ml-data'), actor: alice });
    await approveGrant(deps, { id: submitted.id, actor: bob });
    const before = await streamRecords(deps.table);
    await invoke(before);
    const own = await streamRecords(deps.table, lastSequence(before));
    expect(own.length).toBeGreaterThan(0); // grant → active, target outcome, audit, uctl update
    iam.emulator.resetCalls();

    expect(await invoke(own)).toEqual({ batchItemFailures: [] });
    expect(iam.emulator.calls).toEqual([]);
  });

  it('revoke → role waits; the acknowledgement arriving on the stream deletes it (A3)', async () => {
    const submitted = await submitGrant(deps, { request: request('acme-ml-data'), actor: alice });
    await approveGrant(deps, { id: submitted.id, actor: bob });
    let seen = await streamRecords(deps.table);
    await invoke(seen);
    await revokeGrant(deps, { id: submitted.id, actor: alice });
    let batch = await streamRecords(deps.table, lastSequence(seen));
    await invoke(batch);
    seen = [...seen, ...batch];
    const gateway = await deps.iamFor(deps.config.dataPlanes[0] as AwsDataPlaneConfig);
    expect(await gateway.getRole('acme-flytesnacks-staging')).not.toBeNull();
    expect((await deps.grants.getGrant(submitted.id))?.status).toBe('revoked');
    const removal = (await deps.attributes.listAttributeUpdates('pending', { limit: 10 })).items.find(
      (update) => update.roleArn === null,
    );
    expect(removal).toBeDefined();

    await acknowledgeAttributeUpdate(deps, { id: removal?.id ?? '', actor: admin });
    batch = await streamRecords(deps.table, lastSequence(seen));
    const answer = await invoke(batch);

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(await gateway.getRole('acme-flytesnacks-staging')).toBeNull();
    expect((await deps.targets.getTarget(STAGING))?.state).toBe('applied');
  });

  it('a scheduled invocation sweeps what is behind', async () => {
    const submitted = await submitGrant(deps, { request: request('acme-ml-data'), actor: alice });
    await approveGrant(deps, { id: submitted.id, actor: bob });

    const answer = await handler(
      {
        version: '0',
        id: 'x',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '1',
        time: '',
        region: 'us-east-1',
        resources: [],
        detail: {},
      },
      localContext('applier-test'),
    );

    expect(answer).toEqual({ batchItemFailures: [] });
    expect((await deps.grants.getGrant(submitted.id))?.status).toBe('active');
  });
});
