// Section: a filtered grants page against an unfiltered one, through the real grants handler, at
// 100 and 5,000 stored grants on the same DynamoDB Local (one table each), cold (first request)
// and warm (median of 30). The filters are the ones an outside test found slow: a domain that
// matches nothing, project+status, status+domain, source+domain — each with limit=1, the worst
// case of a page filled one item per read. Goal: a filtered page costs about what an unfiltered
// one costs, and the same at 5,000 grants as at 100 (read requests and time, as ratios).
import { Logger } from '@aws-lambda-powertools/logger';
import { localClient } from '../lib-dynamo.js';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { makeHandler } from '../../functions/http/grants.js';
import { parseAuthEnv } from '../../functions/shared/auth.js';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { grantItem } from '../../lib/adapters/dynamodb/items.js';
import { ensureTable } from '../../lib/adapters/dynamodb/table.js';
import { submitGrant } from '../../lib/app/grants.js';
import { parseConfig } from '../../lib/domain/config.js';
import type { GrantRecord } from '../../lib/domain/records.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { buildDeps, ulidIds } from '../../lib/wiring/http.js';
import { benchConfig, grantFor, pairScope } from '../fixtures.js';
import { defineSection, median } from '../harness.js';
import { apiGatewayEvent, lambdaContext } from '../lib-apigw.js';
import { ms } from '../lib-stats.js';

const SIZES = [100, 5_000] as const;
const WARM_RUNS = 30;
const reader = { sub: 'bob', groups: ['approver'] };

const LISTINGS: { label: string; query: Record<string, string> }[] = [
  { label: 'unfiltered', query: { limit: '1' } },
  { label: 'unfiltered limit=100', query: { limit: '100' } },
  { label: 'domain=<no match>', query: { domain: 'nowhere', limit: '1' } },
  { label: 'project+status', query: { project: 'proj-0000', status: 'revoked', limit: '1' } },
  { label: 'status+domain', query: { status: 'pending-approval', domain: 'nowhere', limit: '1' } },
  { label: 'source+domain', query: { source: 'api', domain: 'nowhere', limit: '1' } },
];

export default defineSection({
  name: 'list-filters',
  description: `GET /v1/grants filtered vs unfiltered (limit=1) through the handler at ${SIZES.join(' and ')} grants, cold and warm`,
  async run() {
    const dynamo = await startDynamoDbLocal({ port: 0 });
    const client = localClient(dynamo.endpoint);
    let reads = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        reads += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const measurements: { label: string; value: number; unit: string }[] = [];
    const ratios: { label: string; value: number; goal: { max?: number; min?: number } }[] = [];
    const warm: Record<string, Record<number, number>> = {};
    const requests: Record<string, Record<number, number>> = {};
    try {
      for (const size of SIZES) {
        const table = `grantplane-bench-list-${size}`;
        await ensureTable(client, table);
        const deps = buildDeps({ client, tableName: table, config: parseConfig(benchConfig()) });
        // One real grant as the template; the rest written in batches with their own ids and pairs.
        const sample: GrantRecord = await submitGrant(deps.app, {
          request: grantFor(0, pairScope(1)),
          actor: { sub: 'alice', roles: ['requester'] },
        });
        const doc = makeDocumentClient(client);
        const ids = ulidIds();
        const items = Array.from({ length: size - 1 }, (_, i) => {
          const scope = pairScope(i % 400);
          const at = new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
          const grant: GrantRecord = {
            ...sample,
            id: ids.next(),
            scope,
            targetKey: `prod#${scope.project}#${scope.domain}`,
            createdAt: at,
            updatedAt: at,
          };
          return grantItem(grant);
        });
        for (let start = 0; start < items.length; start += 25) {
          await doc.send(
            new BatchWriteCommand({
              RequestItems: { [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
        }
        const handler = makeHandler(deps, { auth: parseAuthEnv({}), logger: new Logger({ logLevel: 'SILENT' }) });
        const page = async (query: Record<string, string>): Promise<{ ms: number; reads: number }> => {
          const before = reads;
          const start = performance.now();
          const result = await handler(
            apiGatewayEvent({ method: 'GET', path: '/v1/grants', caller: reader, query }),
            lambdaContext(),
          );
          const elapsed = performance.now() - start;
          if (result.statusCode !== 200)
            throw new Error(`GET /v1/grants answered ${result.statusCode}: ${result.body}`);
          return { ms: elapsed, reads: reads - before };
        };
        // Cold: each listing's first request. Warm: the listings interleaved, round after round, so
        // every ratio compares pages measured on the same machine state (not one listing's 30 runs
        // after another's).
        const colds = new Map<string, { ms: number; reads: number }>();
        for (const listing of LISTINGS) colds.set(listing.label, await page(listing.query));
        const times = new Map<string, number[]>(LISTINGS.map((listing) => [listing.label, []]));
        const perPage = new Map<string, number>();
        for (let i = 0; i < WARM_RUNS; i += 1) {
          for (const listing of LISTINGS) {
            const run = await page(listing.query);
            times.get(listing.label)!.push(run.ms);
            perPage.set(listing.label, run.reads);
          }
        }
        for (const listing of LISTINGS) {
          const warmMedian = median(times.get(listing.label)!);
          (warm[listing.label] ??= {})[size] = warmMedian;
          (requests[listing.label] ??= {})[size] = perPage.get(listing.label)!;
          measurements.push(
            { label: `${size} grants, ${listing.label}: cold`, value: ms(colds.get(listing.label)!.ms), unit: 'ms' },
            { label: `${size} grants, ${listing.label}: warm median`, value: ms(warmMedian), unit: 'ms' },
            {
              label: `${size} grants, ${listing.label}: DynamoDB requests per page`,
              value: perPage.get(listing.label)!,
              unit: 'requests',
            },
          );
        }
      }
      const unfiltered = warm['unfiltered'] ?? {};
      const fullPage = warm['unfiltered limit=100'] ?? {};
      for (const listing of LISTINGS.slice(2)) {
        const times = warm[listing.label] ?? {};
        for (const size of SIZES) {
          ratios.push({
            label: `${listing.label} (limit=1) / unfiltered limit=1, warm, at ${size} grants`,
            value: (times[size] ?? 0) / (unfiltered[size] ?? 1),
            goal: { max: 3 },
          });
          ratios.push({
            label: `${listing.label} (limit=1) / unfiltered limit=100, warm, at ${size} grants`,
            value: (times[size] ?? 0) / (fullPage[size] ?? 1),
            goal: { max: 1.5 },
          });
        }
        ratios.push({
          label: `${listing.label}: 5,000 grants / 100 grants, warm`,
          value: (times[5_000] ?? 0) / (times[100] ?? 1),
          goal: { max: 1.5 },
        });
        ratios.push({
          label: `${listing.label}: DynamoDB requests per page, 5,000 / 100 grants`,
          value: (requests[listing.label]?.[5_000] ?? 0) / Math.max(1, requests[listing.label]?.[100] ?? 1),
          goal: { max: 1 },
        });
      }
      return {
        measurements,
        ratios,
        notes: [
          'a filtered page reads at most a fixed number of stored items (a short page then carries nextCursor): its cost does not grow with the table',
        ],
      };
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  },
});
