// `grantplane attributes import` as an operator runs it (docs/cli.md "Importing the pairs'
// attributes"): the real CLI process against the local server, with the stand-in uctl serving
// `get` from its folder, and from files of uctl get's output.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import type { LocalServer } from '../../lib/local/server.js';
import { runCli } from '../helpers/cli-process.js';
import { startExampleServer } from '../helpers/local-server.js';
import { callApi } from '../helpers/local-stack.js';

const STAND_IN = fileURLToPath(new URL('../../examples/stand-in-uctl.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'grantplane-attributes-'));
const LOG = join(dir, 'uctl.log');
const STATE = join(dir, 'uctl-state');
const admin = mintLocalToken({ sub: 'ops', roles: ['admin'] }, DEV_JWT_SECRET);
const alice = mintLocalToken({ sub: 'alice', roles: ['requester'] }, DEV_JWT_SECRET);

let server: LocalServer;

const grantplane = (args: string[], env: Record<string, string> = {}) =>
  runCli(['attributes', ...args], {
    GRANTPLANE_API: server.url,
    GRANTPLANE_TOKEN: admin,
    GRANTPLANE_UCTL: STAND_IN,
    STAND_IN_UCTL_LOG: LOG,
    STAND_IN_UCTL_STATE: STATE,
    ...env,
  });

/** The pair's uctl file as the API has compiled it. */
const uctlFile = async (project: string, domain: string): Promise<string> => {
  const { json } = await callApi(server.url, 'GET', `/v1/targets/prod/${project}/${domain}`, admin);
  return String((json.desired as { uctl?: { yaml?: string } } | null)?.uctl?.yaml);
};

beforeAll(async () => {
  server = await startExampleServer();
  // development is auto-approved on prod: each grant makes its pair's target at once
  for (const project of ['imported', 'empty'])
    await callApi(server.url, 'POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project, domain: 'development' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: `${project}/`, access: 'read' },
      justification: 'the nightly job reads its data',
    });
  // what the cluster has today for one pair (the stand-in keeps uctl's output per pair)
  mkdirSync(STATE, { recursive: true });
  writeFileSync(
    join(STATE, 'imported_development.json'),
    JSON.stringify({ project: 'imported', domain: 'development', attributes: { projectQuotaCpu: '32' } }),
  );
});

afterAll(async () => {
  await server?.close();
});

describe('grantplane attributes import (process, against the local server, stand-in uctl)', () => {
  it("reads every target pair with uctl get, imports it, and the pair's uctl file keeps its keys", async () => {
    // Act: a dry run first, then the import
    const dry = await grantplane(['import', '--plane', 'prod', '--dry-run']);
    const before = await uctlFile('imported', 'development');
    const done = await grantplane(['import', '--plane', 'prod']);

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would import prod imported/development: 1 attribute (projectQuotaCpu)');
    expect(dry.stdout).toContain('would import prod empty/development: no attributes');
    expect(before).not.toContain('projectQuotaCpu'); // the dry run changed nothing
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('prod imported/development: imported 1 attribute (projectQuotaCpu)');
    expect(done.stdout).toContain('prod empty/development: imported no attributes');
    expect(done.stdout).toMatch(/^2 pairs imported$/m);
    expect(await uctlFile('imported', 'development')).toContain('projectQuotaCpu: "32"');
    const gets = readFileSync(LOG, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(gets).toContainEqual([
      'get',
      'cluster-resource-attribute',
      '-p',
      'empty',
      '-d',
      'development',
      '-o',
      'yaml',
    ]);
  });

  it('imports from files of uctl get output (--from), one pair with --project/--domain, and refuses another plane', async () => {
    // Prepare: two outputs in one YAML stream, as a job without cluster access receives them
    const file = join(dir, 'outputs.yaml');
    writeFileSync(
      file,
      'attributes:\n  projectQuotaMemory: "64Gi"\ndomain: development\nproject: imported\n---\n' +
        'attributes:\n  projectQuotaGpu: "2"\ndomain: development\nproject: empty\n',
    );
    const other = join(dir, 'other-plane');
    mkdirSync(join(other, 'analytics'), { recursive: true });
    writeFileSync(join(other, 'analytics', 'a.yaml'), 'attributes: {}\ndomain: development\nproject: reporting\n');

    // Act
    const one = await grantplane([
      'import',
      '--plane',
      'prod',
      '--from',
      file,
      '--project',
      'empty',
      '--domain',
      'development',
      '--json',
    ]);
    const refused = await grantplane(['import', '--plane', 'prod', '--from', other]);

    // Assess
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject([
      { project: 'empty', domain: 'development', result: 'imported', attributes: { projectQuotaGpu: '2' } },
    ]);
    expect(await uctlFile('empty', 'development')).toContain('projectQuotaGpu: "2"');
    expect(await uctlFile('imported', 'development')).not.toContain('64Gi'); // --project/--domain: one pair only
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('holds analytics/reporting/development, which is not of --plane prod');
  });

  it('reports a pair uctl cannot read and the API refusing one, imports the rest, and exits 1', async () => {
    const broken = await grantplane(['import', '--plane', 'prod'], { GRANTPLANE_UCTL: join(dir, 'no-such-uctl') });
    const file = join(dir, 'unserved.yaml');
    writeFileSync(file, 'attributes: {}\ndomain: nowhere\nproject: imported\n');
    const unknownDomain = await grantplane(['import', '--plane', 'prod', '--from', file]);

    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /prod imported\/development: uctl get exited 127: cannot run .*no-such-uctl.*; not imported/,
    );
    expect(broken.stdout).toMatch(/^0 pairs imported, 2 failed$/m);
    expect(unknownDomain.code).toBe(1);
    expect(unknownDomain.stderr).toMatch(/prod imported\/nowhere: grantplane: import refused \(HTTP 4\d\d/);
    expect((await grantplane(['import'])).stderr).toContain('name the data plane');
    expect((await grantplane(['import', '--plane', 'prod', '--project', 'x'])).stderr).toContain('go together');
    expect((await grantplane(['export'])).stderr).toContain('unknown action "export" (import)');
  });
});
