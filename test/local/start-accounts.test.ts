// `npm start` with a configuration whose first AWS plane is not the emulator's default account. Its
// own file: the handlers wire themselves once per process, to the settings of the stack they meet first.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { banner, startLocalStack } from '../../lib/local/start.js';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

describe('npm start with another account first', () => {
  it('shows the first AWS plane to any credentials, and says how to pick the others', async () => {
    // Prepare: a configuration whose first AWS plane is not the emulator's built-in default account
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-start-'));
    const configPath = join(dir, 'grantplane.config.yaml');
    writeFileSync(
      configPath,
      [
        'dataPlanes:',
        '  - { name: eu, cloud: aws, accountId: "444455556666", region: eu-west-1, orgPrefix: acme,',
        '      oidcProvider: oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*" }',
        '  - { name: us, cloud: aws, accountId: "777788889999", region: us-east-1, orgPrefix: acme,',
        '      oidcProvider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*" }',
        '',
      ].join('\n'),
    );
    const other = await startLocalStack({
      ephemeral: true,
      port: 0,
      configPath,
      loops: [],
      tableName: 'start-accounts',
    });
    try {
      // Act
      const iam = new IAMClient({
        endpoint: other.iamEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'any' },
      });
      const role = await iam.send(new GetRoleCommand({ RoleName: 'acme-userflyterole' }));
      // Assess
      expect(role.Role?.Arn).toBe('arn:aws:iam::444455556666:role/acme-userflyterole');
      expect(banner(other, true)).toContain('eu 444455556666 (default), us 777788889999');
      expect(banner(other, true)).toContain('AWS_ACCESS_KEY_ID=<account id>');
    } finally {
      await other.stop();
    }
  }, 90_000);
});
