// `npm start`'s drift/expiry schedule (docs/api.md, docs/drift-and-expiry.md; lib/local/schedule.ts): the loop invokes the
// drift Lambda's handler every GRANTPLANE_DRIFT_INTERVAL_SECONDS, and POST /v1/drift-checks served
// in-process by the live HTTP handler runs on the loop's deps (each plane's emulator account).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as liveDriftHttpHandler } from '../../functions/http/drift.js';
import { makeDynamoStores } from '../../lib/adapters/dynamodb/stores.js';
import type { Stores } from '../../lib/domain/ports.js';
import type { DriftRunReport } from '../../lib/app/drift-run.js';
import { parseConfig } from '../../lib/domain/config.js';
import { DriftIntervalError, driftIntervalSeconds, driftLoop } from '../../lib/local/schedule.js';
import { startIamEmulator, type IamEmulator } from '../../lib/local/iam-emulator/index.js';
import { prodPlane } from '../domain/engine-fixtures.js';
import { freshTable, type FreshTable } from '../helpers/dynamo.js';
import { eventually } from '../helpers/eventually.js';
import { invoke } from './events.js';

const config = parseConfig({
  dataPlanes: [
    prodPlane({ domains: ['development'] }),
    {
      name: 'analytics',
      cloud: 'aws',
      accountId: '210987654321',
      region: 'us-east-1',
      orgPrefix: 'acme',
      oidcProvider: 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0A1B2C3D4E5F60718293A4B5C',
      domains: ['development'],
      projects: '*',
    },
  ],
});

let table: FreshTable;
let emulator: IamEmulator;
let stores: Stores;
let loop: { stop(): Promise<void> };

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  delete process.env.GRANTPLANE_DRIFT_FUNCTION_NAME;
  table = await freshTable();
  stores = makeDynamoStores(table.docClient, table.tableName);
  emulator = await startIamEmulator({ port: 0 });
  for (const plane of config.dataPlanes) {
    if (plane.cloud === 'aws')
      emulator.seedDataPlane({
        accountId: plane.accountId,
        orgPrefix: plane.orgPrefix,
        oidcProvider: plane.oidcProvider,
      });
  }
  loop = await driftLoop.start({
    config,
    tableName: table.tableName,
    dynamoClient: table.client,
    dynamoEndpoint: table.endpoint,
    iam: emulator,
    env: { GRANTPLANE_DRIFT_INTERVAL_SECONDS: '1' },
  });
});

afterAll(async () => {
  await loop.stop();
  await emulator.stop();
});

describe('the local drift schedule', () => {
  it('runs the drift check on its interval, each plane in its own emulator account', async () => {
    const record = await eventually(
      'the drift report',
      async () => (await stores.driftReports.getLatestDriftReport()) ?? undefined,
      20_000,
    );
    const report = record.report as DriftRunReport;

    expect(report.planes.map((plane) => [plane.dataPlane, plane.status])).toEqual([
      ['prod', 'checked'],
      ['analytics', 'checked'],
    ]);
    const accounts = new Set(
      emulator.calls.filter((call) => call.action === 'GetAccountAuthorizationDetails').map((call) => call.accountId),
    );
    expect(accounts).toEqual(new Set(['123456789012', '210987654321']));
  });

  it("serves POST /v1/drift-checks in-process on the loop's deps, then GET latest", async () => {
    const started = await invoke(liveDriftHttpHandler, {
      method: 'POST',
      path: '/v1/drift-checks',
      caller: { sub: 'root', groups: ['admin'] },
    });
    expect(started.status).toBe(202);
    const id = (started.body as { report: { id: string } }).report.id;

    const latest = await invoke(liveDriftHttpHandler, {
      method: 'GET',
      path: '/v1/drift-checks/latest',
      caller: { sub: 'carol', groups: [] },
    });
    expect(latest.status).toBe(200);
    // The schedule may have run again meanwhile: the POST's report or a newer one.
    expect((latest.body as DriftRunReport).id >= id).toBe(true);
    expect((latest.body as DriftRunReport).errors).toEqual([]);
  });
});

describe('GRANTPLANE_DRIFT_INTERVAL_SECONDS', () => {
  it('defaults to 900 seconds (15 minutes) and refuses what is not a whole number ≥ 1, naming the variable', () => {
    expect(driftIntervalSeconds({})).toBe(900);
    expect(driftIntervalSeconds({ GRANTPLANE_DRIFT_INTERVAL_SECONDS: '60' })).toBe(60);
    for (const bad of ['0', '-5', '1.5', 'soon']) {
      expect(() => driftIntervalSeconds({ GRANTPLANE_DRIFT_INTERVAL_SECONDS: bad })).toThrow(DriftIntervalError);
      expect(() => driftIntervalSeconds({ GRANTPLANE_DRIFT_INTERVAL_SECONDS: bad })).toThrow(
        /GRANTPLANE_DRIFT_INTERVAL_SECONDS/,
      );
    }
  });
});
