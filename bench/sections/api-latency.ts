// Section: create-grant latency through the real Lambda handler (functions/http/grants.ts, the
// middy chain, validation against the plane, the DynamoDB store) vs the floor of the same write
// done raw — one TransactWriteItems of the two puts createGrant makes (grant + audit event) — on
// the same DynamoDB Local, interleaved request by request so both see the same machine.
// Goal: median handler ≤ 1.5 × median raw write.
import { Logger } from '@aws-lambda-powertools/logger';
import { localClient } from '../lib-dynamo.js';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { makeHandler } from '../../functions/http/grants.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { auditItem, grantItem } from '../../lib/adapters/dynamodb/items.js';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { parseConfig } from '../../lib/domain/config.js';
import type { AuditEvent, GrantRecord } from '../../lib/domain/records.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { buildDeps, ulidIds } from '../../lib/wiring/http.js';
import { benchConfig, grantFor } from '../fixtures.js';
import { defineSection, median } from '../harness.js';
import { apiGatewayEvent, lambdaContext } from '../lib-apigw.js';
import { ms, percentile } from '../lib-stats.js';

const WARMUP = 50;
const REQUESTS = 300;
const TABLE = 'grantplane-bench-latency';
const alice = { sub: 'alice', groups: ['requester'] };

/** The i-th request body: an S3 grant on a domain that needs approval, so it is stored pending. */
const requestBody = (i: number): Record<string, unknown> =>
  grantFor(0, { type: 'project-domain', project: `lat-${String(i % 50).padStart(2, '0')}`, domain: 'staging' });

export default defineSection({
  name: 'api-latency',
  description: `POST /v1/grants through the Lambda handler vs one raw TransactWriteItems (2 puts), ${REQUESTS} sequential each on DynamoDB Local`,
  async run() {
    const dynamo = await startDynamoDbLocal({ port: 0 });
    const client = localClient(dynamo.endpoint);
    try {
      await ensureTable(client, TABLE);
      const deps = buildDeps({ client, tableName: TABLE, config: parseConfig(benchConfig()) });
      const handler = makeHandler(deps, { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) });
      const doc = makeDocumentClient(client);
      const ids = ulidIds();

      let sample: GrantRecord | undefined;
      // CPU of this process per request (user + system, µs → ms): the handler's own work plus the
      // SDK's, without DynamoDB Local's JVM; steadier than wall time on a shared machine.
      const cpu = { handler: 0, raw: 0 };
      const cpuSince = (start: NodeJS.CpuUsage): number => {
        const used = process.cpuUsage(start);
        return (used.user + used.system) / 1000;
      };
      const viaHandler = async (i: number): Promise<number> => {
        const event = apiGatewayEvent({ method: 'POST', path: '/v1/grants', caller: alice, body: requestBody(i) });
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        const result = await handler(event, lambdaContext());
        const elapsed = performance.now() - start;
        cpu.handler += cpuSince(cpuStart);
        if (result.statusCode !== 201) throw new Error(`POST /v1/grants answered ${result.statusCode}: ${result.body}`);
        sample ??= JSON.parse(result.body ?? '{}') as GrantRecord;
        return elapsed;
      };
      // The floor: the very items createGrant writes (a real record, a fresh id), in one transaction.
      const raw = async (): Promise<number> => {
        if (sample === undefined) throw new Error('no sample grant yet');
        const id = ids.next();
        const at = new Date().toISOString();
        const grant: GrantRecord = { ...sample, id, createdAt: at, updatedAt: at };
        const audit: AuditEvent = {
          id: ids.next(),
          at,
          actor: 'alice',
          action: 'grant.submitted',
          grantId: id,
          targetKey: grant.targetKey,
          before: null,
          after: { status: grant.status },
          result: 'ok',
        };
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: TABLE, Item: grantItem(grant), ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: TABLE, Item: auditItem(audit) } },
            ],
          }),
        );
        const elapsed = performance.now() - start;
        cpu.raw += cpuSince(cpuStart);
        return elapsed;
      };

      for (let i = 0; i < WARMUP; i += 1) {
        await viaHandler(i);
        await raw();
      }
      cpu.handler = 0;
      cpu.raw = 0;
      const handlerTimes: number[] = [];
      const rawTimes: number[] = [];
      // Interleaved, alternating which goes first, so drift in machine load hits both alike.
      for (let i = 0; i < REQUESTS; i += 1) {
        if (i % 2 === 0) {
          handlerTimes.push(await viaHandler(WARMUP + i));
          rawTimes.push(await raw());
        } else {
          rawTimes.push(await raw());
          handlerTimes.push(await viaHandler(WARMUP + i));
        }
      }
      const handlerMedian = median(handlerTimes);
      const rawMedian = median(rawTimes);
      return {
        measurements: [
          { label: `handler POST /v1/grants median (${REQUESTS})`, value: ms(handlerMedian), unit: 'ms' },
          { label: 'handler POST /v1/grants p95', value: ms(percentile(handlerTimes, 95)), unit: 'ms' },
          { label: 'handler POST /v1/grants p99', value: ms(percentile(handlerTimes, 99)), unit: 'ms' },
          { label: `raw TransactWriteItems (2 puts) median (${REQUESTS})`, value: ms(rawMedian), unit: 'ms' },
          { label: 'raw TransactWriteItems p95', value: ms(percentile(rawTimes, 95)), unit: 'ms' },
          { label: 'raw TransactWriteItems p99', value: ms(percentile(rawTimes, 99)), unit: 'ms' },
          { label: 'handler − TransactWriteItems, medians', value: ms(handlerMedian - rawMedian), unit: 'ms' },
          { label: 'node CPU per handler request', value: ms(cpu.handler / REQUESTS), unit: 'ms' },
          { label: 'node CPU per raw TransactWriteItems', value: ms(cpu.raw / REQUESTS), unit: 'ms' },
        ],
        ratios: [
          { label: 'handler ÷ raw write, medians', value: handlerMedian / rawMedian, goal: { max: 1.5 } },
          {
            label: 'handler ÷ raw write, p95',
            value: percentile(handlerTimes, 95) / percentile(rawTimes, 95),
            goal: {},
          },
        ],
        notes: [
          'handler = API Gateway v2 event → middy chain → submitGrant (the grants the request can share a role with — its unit and the global unit — and the pair’s attributes: one BatchGetItem on a pair’s first submit, then the warm container’s copy, checked by the write; one engine run; TransactWriteItems); grants stored pending-approval, over 50 pairs. One small plane: the approval-cost section measures cold submits at 10 to 5,000 grants per plane',
        ],
      };
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  },
});
