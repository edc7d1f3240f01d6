// A CI job's or CronJob's token for a deployed API (docs/cli.md "Tokens for a deployed API"): the
// client credentials grant against the issuer, the real CLI process, and a stand-in identity
// provider that serves the discovery document and a token endpoint checking the client the way an
// IdP does (RFC 6749 §4.4, client_secret_basic). Its tokens are ones the local API trusts, so the
// command that fetched one is seen to use it.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import type { LocalServer } from '../../lib/local/server.js';
import { runCli } from '../helpers/cli-process.js';
import { startExampleServer } from '../helpers/local-server.js';
import { localTableStores, recordPendingUpdate, STAND_IN_UCTL } from '../helpers/stand-in-uctl.js';

let api: LocalServer;
let idp: Server;
let issuer: string;
const requests: { path: string; authorization?: string; form: Record<string, string> }[] = [];

beforeAll(async () => {
  api = await startExampleServer();
  idp = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push({
        path: request.url ?? '',
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        form,
      });
      const json = (status: number, value: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (request.url === '/oauth2/default/.well-known/openid-configuration')
        return json(200, { issuer, token_endpoint: `${issuer}/v1/token` });
      if (request.url !== '/oauth2/default/v1/token' || request.method !== 'POST')
        return json(404, { error: 'not_found' });
      const expected = `Basic ${Buffer.from('ci-bot:s3cret').toString('base64')}`;
      if (request.headers.authorization !== expected)
        return json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
      if (form.grant_type !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
      const token = mintLocalToken({ sub: 'ci-bot', roles: ['admin'] }, DEV_JWT_SECRET);
      return json(200, { token_type: 'Bearer', expires_in: 3600, access_token: token, scope: form.scope });
    });
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/oauth2/default`;
});

afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => idp?.close(resolve));
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'grantplane-scheduled-'));
const ROLE = 'arn:aws:iam::123456789012:role/grantplane/acme-scheduled-staging';

/** A pending update of prod scheduled/staging, as the applier records it. */
const pendingUpdate = async (id: string) => {
  const stores = localTableStores();
  await recordPendingUpdate(stores, id, 'scheduled', ROLE);
  return stores;
};

/** The stand-in uctl as `uctl` on PATH, the way the runner image has it. */
const uctlOnPath = (state: string) => {
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, 'uctl'), `#!/bin/sh\nexec "${process.execPath}" "${STAND_IN_UCTL}" "$@"\n`);
  chmodSync(join(bin, 'uctl'), 0o755);
  return { bin, env: { STAND_IN_UCTL_LOG: join(state, 'log'), STAND_IN_UCTL_STATE: state } };
};

const client = (secret: string) => ({
  GRANTPLANE_OIDC_ISSUER: issuer,
  GRANTPLANE_OIDC_CLIENT_ID: 'ci-bot',
  GRANTPLANE_OIDC_CLIENT_SECRET: secret,
  GRANTPLANE_OIDC_SCOPE: 'grantplane',
});

describe('client credentials token (process, stand-in IdP, local API)', () => {
  it('a command without a token gets one from the issuer and calls the API with it', async () => {
    // Act
    const audit = await runCli(['audit', '--actor', 'ci-bot'], { GRANTPLANE_API: api.url, ...client('s3cret') });
    const printed = await runCli(['token', '--client-credentials'], client('s3cret'));

    // Assess: discovery, then the token endpoint with the client's Basic credentials and the scope
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/^\d+ events?$/m); // the runners' tests below acknowledge as ci-bot too
    expect(requests.slice(-4, -2)).toMatchObject([
      { path: '/oauth2/default/.well-known/openid-configuration' },
      { path: '/oauth2/default/v1/token', form: { grant_type: 'client_credentials', scope: 'grantplane' } },
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('says why there is no token: a refused client, a missing secret, an issuer over plain http', async () => {
    const refused = await runCli(['audit'], { GRANTPLANE_API: api.url, ...client('wrong') });
    const noSecret = await runCli(['token', '--client-credentials'], {
      ...client(''),
      GRANTPLANE_OIDC_CLIENT_SECRET: '',
    });
    const plain = await runCli(['token', '--client-credentials'], {
      ...client('s3cret'),
      GRANTPLANE_OIDC_ISSUER: 'http://idp.acme.internal/oauth2',
    });
    const mixed = await runCli(['token', '--client-credentials', '--sub', 'x'], client('s3cret'));

    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'grantplane: audit: the token endpoint refused client ci-bot (HTTP 401: invalid_client: Client authentication failed)\n',
    );
    expect(noSecret.stderr).toContain('set GRANTPLANE_OIDC_CLIENT_SECRET or GRANTPLANE_OIDC_CLIENT_SECRET_FILE');
    expect(plain.stderr).toContain('GRANTPLANE_OIDC_ISSUER must be https');
    expect(mixed.stderr).toContain('--client-credentials takes its settings from the environment, not --sub');
  });
});

describe('the scheduled runners in examples/ (run as written, against the local API, stand-in IdP and uctl)', () => {
  it('uctl-updates.cronjob.yaml: the container runs, verifies and acknowledges a pending update', async () => {
    // Prepare: the CronJob's container, its env with this machine's addresses, the mounted secret
    const cronJob = parse(readFileSync(join(ROOT, 'examples/uctl-updates.cronjob.yaml'), 'utf8')) as {
      spec: {
        jobTemplate: {
          spec: { template: { spec: { containers: { args: string[]; env: { name: string; value: string }[] }[] } } };
        };
      };
    };
    const [container] = cronJob.spec.jobTemplate.spec.template.spec.containers;
    const stores = await pendingUpdate('01SCHEDULEDCRON');
    writeFileSync(join(dir, 'client-secret'), 's3cret\n');
    const local: Record<string, string> = {
      GRANTPLANE_API: api.url,
      GRANTPLANE_OIDC_ISSUER: issuer,
      GRANTPLANE_OIDC_CLIENT_ID: 'ci-bot',
      GRANTPLANE_OIDC_CLIENT_SECRET_FILE: join(dir, 'client-secret'),
    };
    const env = Object.fromEntries(container?.env.map(({ name, value }) => [name, local[name] ?? value]) ?? []);
    expect(Object.keys(env).sort()).toEqual([...Object.keys(local), 'GRANTPLANE_OIDC_SCOPE'].sort());
    const uctl = uctlOnPath(mkdtempSync(join(dir, 'cron-')));

    // Act: the image's entrypoint is the CLI; the container's args as written
    const args = (container?.args ?? []).map((arg) => (arg === '/etc/uctl/config.yaml' ? join(dir, 'uctl.yaml') : arg));
    const ran = await runCli(args, { ...env, ...uctl.env, PATH: [uctl.bin, process.env.PATH].join(delimiter) });

    // Assess
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('prod scheduled/staging: uctl updated, verified, acknowledged 01SCHEDULEDCRON');
    expect((await stores.attributes.getAttributeUpdate('01SCHEDULEDCRON'))?.status).toBe('acknowledged');
  });

  it("uctl-updates.github-actions.yml: the last step's command, with its env, does the same", async () => {
    // Prepare: the step as GitHub runs it, with vars, secrets and runner.temp filled in
    const workflow = parse(readFileSync(join(ROOT, 'examples/uctl-updates.github-actions.yml'), 'utf8')) as {
      jobs: { updates: { steps: { run?: string; env?: Record<string, string> }[] } };
    };
    const step = workflow.jobs.updates.steps.at(-1);
    const stores = await pendingUpdate('01SCHEDULEDCI');
    const uctl = uctlOnPath(mkdtempSync(join(dir, 'ci-')));
    const values: Record<string, string> = {
      'vars.GRANTPLANE_API': api.url,
      'vars.GRANTPLANE_OIDC_ISSUER': issuer,
      'vars.GRANTPLANE_OIDC_CLIENT_ID': 'ci-bot',
      'secrets.GRANTPLANE_OIDC_CLIENT_SECRET': 's3cret',
      'runner.temp': uctl.bin,
    };
    const env = Object.fromEntries(
      Object.entries(step?.env ?? {}).map(([name, value]) => [
        name,
        value.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => values[key] ?? `<unset ${key}>`),
      ]),
    );
    expect(JSON.stringify(env)).not.toContain('<unset');
    writeFileSync(join(uctl.bin, 'uctl-config.yaml'), 'admin: {}\n');

    // Act
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', step?.run ?? 'false'], {
      cwd: ROOT,
      env: { PATH: [join(ROOT, 'node_modules/.bin'), process.env.PATH].join(delimiter), ...env, ...uctl.env },
    });

    // Assess
    expect(stdout).toContain('prod scheduled/staging: uctl updated, verified, acknowledged 01SCHEDULEDCI');
    expect((await stores.attributes.getAttributeUpdate('01SCHEDULEDCI'))?.status).toBe('acknowledged');
  });
});
