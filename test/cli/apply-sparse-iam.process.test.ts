// `grantplane apply` / `drift` against an IAM that answers with only what AWS's API model requires.
// The model (and so the SDK's types) marks every member of Role, RoleDetail, Policy, PolicyDetail,
// PolicyVersion and AttachedPolicy optional, and other IAM implementations (moto) do leave some
// out: a proxy in front of the emulator drops members from its answers, and the same grants must
// give the same IAM state as a direct run, converge (`0 changes`) and read back as in sync.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IamGateway } from '../../lib/domain/ports.js';
import {
  type IamTestContext,
  startIamTest,
  TEST_ACCOUNT_ID,
  TEST_OIDC,
  TEST_PLANE_CONFIG_TEXT,
} from '../helpers/iam.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/grantplane.mjs');
const dir = mkdtempSync(join(tmpdir(), 'grantplane-sparse-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const CONFIG = file('config.yaml', TEST_PLANE_CONFIG_TEXT);
const grant = (scope: string, bucket: string, access = 'read'): string =>
  `- { scope: ${scope}, resource: { type: s3, bucket: ${bucket}, access: ${access} }, justification: tests }\n`;
const PAIR = '{ type: project-domain, project: flytesnacks, domain: development }';
const GRANTS = file('grants.yaml', grant('{ type: global }', 'acme-shared') + grant(PAIR, 'acme-ml-data'));
// The same targets with changed documents: a new policy version on each (A2).
const CHANGED = file(
  'changed.yaml',
  grant('{ type: global }', 'acme-shared', 'read-write') + grant(PAIR, 'acme-ml-data', 'read-write'),
);
const FEWER = file('fewer.yaml', grant('{ type: global }', 'acme-shared'));

/** Members the model leaves optional and grantplane can do without (derived, or read again). */
const DROPPABLE = [
  'RoleName',
  'PolicyName',
  'Path',
  'DefaultVersionId',
  'AttachmentCount',
  'AssumeRolePolicyDocument',
  'IsDefaultVersion',
  'CreateDate',
  'RoleId',
  'PolicyId',
  'Description',
  'UpdateDate',
  'IsAttachable',
  'RoleLastUsed',
  'MaxSessionDuration',
];
// The reads every other read falls back on keep their members (GetRole carries the trust policy).
const KEPT_WHOLE = new Set(['GetRole', 'GetPolicyVersion', 'ListPolicyVersions']);

interface Proxy {
  endpoint: string;
  dropped: Map<string, number>;
  close(): Promise<void>;
}

/** Forwards to the emulator and removes the `drop` members (leaf or nested) from every answer. */
const startStrippingProxy = async (target: string, drop: readonly string[]): Promise<Proxy> => {
  const dropped = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '';
      const upstream = httpRequest(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (up) => {
        const parts: Buffer[] = [];
        up.on('data', (chunk: Buffer) => parts.push(chunk));
        up.on('end', () => {
          let text = Buffer.concat(parts).toString('utf8');
          if (!KEPT_WHOLE.has(action) && (up.statusCode ?? 500) < 300) {
            for (const member of drop) {
              const pattern = new RegExp(`<${member}>[\\s\\S]*?</${member}>|<${member}/>`, 'g');
              const found = text.match(pattern)?.length ?? 0;
              if (found > 0) dropped.set(member, (dropped.get(member) ?? 0) + found);
              text = text.replace(pattern, '');
            }
          }
          const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(text)) };
          res.writeHead(up.statusCode ?? 500, headers);
          res.end(text);
        });
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dropped,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const grantplane = (endpoint: string, ...args: string[]): Promise<Run> => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_IAM: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDCLITEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_REGION: 'us-east-1',
  };
  delete env.AWS_PROFILE;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
};

/** What IAM holds under the managed path, read directly (no proxy): roles, attachments, documents. */
const stateOf = async (gateway: IamGateway): Promise<unknown> => {
  const { roles, policies } = await gateway.getAccountAuthorizationDetails({ pathPrefix: '/grantplane/' });
  return {
    roles: roles
      .map((role) => ({
        name: role.name,
        trust: role.trustPolicy,
        attached: role.attachedPolicies.map((p) => p.name).sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    policies: policies
      .map((policy) => ({
        name: policy.name,
        versions: policy.versions.length,
        document: policy.versions.find((v) => v.versionId === policy.defaultVersionId)?.document,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
};

let direct: IamTestContext;
let sparse: IamTestContext;
let proxy: Proxy;
const seed = (ctx: IamTestContext) =>
  ctx.emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: TEST_OIDC });

beforeEach(async () => {
  direct = await startIamTest();
  sparse = await startIamTest();
  seed(direct);
  seed(sparse);
});
afterEach(async () => {
  await proxy.close();
  await direct.stop();
  await sparse.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('grantplane apply / drift on an IAM that leaves optional members out', () => {
  it('reaches the same IAM state as against full answers, converges, and reads back in sync', async () => {
    proxy = await startStrippingProxy(sparse.emulator.endpoint, DROPPABLE);
    for (const grants of [GRANTS, CHANGED, FEWER]) {
      const full = await grantplane(direct.emulator.endpoint, 'apply', '--config', CONFIG, '--grants', grants);
      const thin = await grantplane(proxy.endpoint, 'apply', '--config', CONFIG, '--grants', grants);
      expect(thin.stderr).toBe(full.stderr);
      expect(thin.code).toBe(0);
      expect(thin.stdout).toBe(full.stdout);
      expect(await stateOf(sparse.gateway)).toEqual(await stateOf(direct.gateway));
      const again = await grantplane(proxy.endpoint, 'apply', '--config', CONFIG, '--grants', grants);
      expect(again.stdout).toMatch(/(^|\n)0 changes\n$/);
      // The same report as from full answers (after FEWER: the withdrawn pair's role waits for --prune-roles).
      const drift = await grantplane(proxy.endpoint, 'drift', '--config', CONFIG, '--grants', grants);
      const driftFull = await grantplane(direct.emulator.endpoint, 'drift', '--config', CONFIG, '--grants', grants);
      expect(drift).toEqual(driftFull);
      if (grants !== FEWER) expect(drift.code, drift.stdout).toBe(0);
    }
    // The proxy really took these members out of the answers the CLI read.
    for (const member of ['RoleName', 'PolicyName', 'Path', 'DefaultVersionId', 'AssumeRolePolicyDocument'])
      expect(proxy.dropped.get(member) ?? 0, member).toBeGreaterThan(0);
  });

  it('names the member it cannot do without (an entity with no Arn) instead of failing on a schema', async () => {
    proxy = await startStrippingProxy(sparse.emulator.endpoint, ['Arn']);
    await grantplane(sparse.emulator.endpoint, 'apply', '--config', CONFIG, '--grants', GRANTS);
    const drift = await grantplane(proxy.endpoint, 'drift', '--config', CONFIG, '--grants', GRANTS);
    expect(drift.code, drift.stderr).toBe(1);
    expect(drift.stderr).toMatch(/without its Arn/);
    expect(drift.stderr).not.toMatch(/ZodError|invalid_type/);
  });
});
