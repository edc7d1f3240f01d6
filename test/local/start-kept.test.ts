// `npm start` without --ephemeral (docs/api.md): the table is kept across restarts, the IAM emulator
// is not — the applier re-creates what the kept table says is applied. Its own file: the handlers
// wire themselves once per process, to the first stack they meet.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import { banner, startLocalStack } from '../../lib/local/start.js';
import { callApi, eventually } from '../helpers/local-stack.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
delete process.env.GRANTPLANE_LOCAL_JWT_SECRET;

describe('npm start without --ephemeral, restarted', () => {
  it('re-creates in the fresh IAM emulator what the kept table says is applied', async () => {
    // Prepare: a kept data directory, an auto-approved grant that the applier makes active
    const dataDir = mkdtempSync(join(tmpdir(), 'grantplane-kept-'));
    const configPath = resolve(repo, 'grantplane.config.yaml');
    const options = { dataDir, port: 0, configPath, tableName: 'kept' };
    const roleIn = async (endpoint: string): Promise<string | undefined> => {
      const iam = new IAMClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'any' },
      });
      try {
        return (await iam.send(new GetRoleCommand({ RoleName: 'acme-kept-development' }))).Role?.Arn;
      } catch (error: unknown) {
        if (error instanceof Error && error.name === 'NoSuchEntityException') return undefined;
        throw error;
      }
    };
    const first = await startLocalStack(options);
    try {
      const token = mintLocalToken({ sub: 'alice', roles: ['requester'] }, DEV_JWT_SECRET);
      const created = await callApi(first.url, 'POST', '/v1/grants', token, {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'kept', domain: 'development' },
        resource: { type: 's3', bucket: 'acme-ml-data', access: 'read' },
      });
      expect(created.status).toBe(201);
      await eventually('the role in the first emulator', () => roleIn(first.iamEndpoint), 60_000);
      expect(first.reapplied).toBe(0);
    } finally {
      await first.stop();
    }

    // Act: start again on the same data; the emulator starts with only the plane's own roles
    const second = await startLocalStack(options);
    try {
      // Assess: the target is marked, and the applier's first sweep re-creates the role
      expect(second.reapplied).toBeGreaterThanOrEqual(1);
      expect(banner(second, false)).toContain('re-applied to the fresh IAM emulator');
      expect(
        await eventually('the role re-created in the second emulator', () => roleIn(second.iamEndpoint), 60_000),
      ).toBe('arn:aws:iam::123456789012:role/grantplane/acme-kept-development');
    } finally {
      await second.stop();
    }
  }, 120_000);
});
