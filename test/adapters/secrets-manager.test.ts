// The webhook secrets reader (docs/webhooks.md: "The secret per source comes from configuration (Secrets
// Manager in AWS; docs/api.md locally)"): the real SDK client (@aws-sdk/client-secrets-manager) against a
// loopback endpoint speaking Secrets Manager's JSON 1.1 protocol (test/helpers/secrets-manager-server.ts).
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSecretsManagerReader, SecretsReadError } from '../../lib/adapters/secrets/secrets-manager.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../helpers/secrets-manager-server.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

let server: SecretsManagerServer;
let client: SecretsManagerClient;

beforeAll(async () => {
  server = await startSecretsManagerServer();
  client = new SecretsManagerClient({ region: 'us-west-2', endpoint: server.endpoint, credentials });
});

afterAll(async () => {
  client.destroy();
  await server.close();
});

describe('makeSecretsManagerReader (SDK GetSecretValue)', () => {
  it('reads the secret string with one signed JSON 1.1 GetSecretValue call', async () => {
    const arn = server.put('grantplane/webhook/generic', 'sm-old,sm-new');
    const before = server.calls.length;
    expect(await makeSecretsManagerReader(client)(arn)).toBe('sm-old,sm-new');
    const calls = server.calls.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      target: 'secretsmanager.GetSecretValue',
      contentType: expect.stringMatching(/^application\/x-amz-json-1\.1/),
      body: { SecretId: arn },
    });
    // Signed by the SDK's SigV4 signer for this service and region, with the client's credentials.
    expect(calls[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/secretsmanager\/aws4_request, SignedHeaders=[^,]*x-amz-target/,
    );
  });

  it('reads the current value on every call, so a rotation is seen (caching is the caller’s)', async () => {
    const read = makeSecretsManagerReader(client);
    const arn = server.put('grantplane/webhook/jira', 'first');
    expect(await read(arn)).toBe('first');
    server.put('grantplane/webhook/jira', 'second,first');
    expect(await read(arn)).toBe('second,first');
  });

  it('a missing secret is a SecretsReadError naming the secret and the service error, never a value', async () => {
    server.put('grantplane/webhook/servicenow', 'do-not-leak');
    const missing = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:grantplane/webhook/nope-AbCdEf';
    const failure = await makeSecretsManagerReader(client)(missing).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SecretsReadError);
    expect(String((failure as Error).message)).toContain(missing);
    expect(String((failure as Error).message)).toMatch(/ResourceNotFoundException/);
    expect(String((failure as Error).message)).not.toContain('do-not-leak');
  });

  it('refuses a binary secret (signing secrets are strings)', async () => {
    const arn = server.put('grantplane/webhook/binary', new Uint8Array([1, 2, 3]));
    await expect(makeSecretsManagerReader(client)(arn)).rejects.toThrow(SecretsReadError);
    await expect(makeSecretsManagerReader(client)(arn)).rejects.toThrow(/no SecretString/);
  });
});

describe("the process's default client (what the webhook Lambda uses)", () => {
  it('takes its endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER and region and credentials from the environment', async () => {
    const keys = [
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
    ];
    const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'AKIDLAMBDA',
      AWS_SECRET_ACCESS_KEY: 'lambda-secret',
      AWS_SESSION_TOKEN: 'lambda-session',
    });
    try {
      const arn = server.put('grantplane/webhook/default-client', 'from-env');
      const before = server.calls.length;
      expect(await makeSecretsManagerReader()(arn)).toBe('from-env');
      expect(server.calls.slice(before).map((call) => call.authorization)).toEqual([
        expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=AKIDLAMBDA\/\d{8}\/eu-central-1\/secretsmanager\/aws4_request, /,
        ),
      ]);
    } finally {
      for (const key of keys) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});
