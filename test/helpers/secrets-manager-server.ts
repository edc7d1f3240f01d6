// A tiny Secrets Manager endpoint on loopback for tests: the AWS JSON 1.1 protocol of
// GetSecretValue only (POST /, X-Amz-Target: secretsmanager.GetSecretValue, Content-Type
// application/x-amz-json-1.1, body {SecretId} → {ARN, Name, SecretString, VersionId, …}; errors
// as {"__type": …, "message": …} with 400). The real SDK client talks to it through its endpoint
// setting. It does not verify signatures (it records the Authorization header so tests can check
// the SDK signed for secretsmanager); deployments use the real service.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerCall {
  target: string;
  contentType: string;
  authorization: string;
  body: unknown;
}

export interface SecretsManagerServer {
  /** http://127.0.0.1:<port>, for the SDK's `endpoint` or AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  endpoint: string;
  /** Creates a secret, or stores a new current version (a rotation); returns its ARN. */
  put(name: string, value: string | Uint8Array): string;
  /** Every request received, in order. */
  calls: SecretsManagerCall[];
  close(): Promise<void>;
}

interface StoredSecret {
  arn: string;
  name: string;
  value: string | Uint8Array;
  versionId: string;
  createdDate: number;
}

const JSON_11 = 'application/x-amz-json-1.1';

const answer = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
};

const fault = (res: ServerResponse, type: string, message: string): void => answer(res, 400, { __type: type, message });

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Starts the server on 127.0.0.1 (a free port); secrets get ARNs in `region` and `account`. */
export async function startSecretsManagerServer(
  options: { region?: string; account?: string } = {},
): Promise<SecretsManagerServer> {
  const region = options.region ?? 'us-west-2';
  const account = options.account ?? '123456789012';
  const secrets = new Map<string, StoredSecret>();
  const calls: SecretsManagerCall[] = [];

  const find = (secretId: string): StoredSecret | undefined =>
    secrets.get(secretId) ?? [...secrets.values()].find((secret) => secret.arn === secretId);

  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const contentType = String(req.headers['content-type'] ?? '');
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = undefined;
      }
      calls.push({ target, contentType, authorization: String(req.headers.authorization ?? ''), body });
      if (req.method !== 'POST' || (req.url ?? '/') !== '/') {
        fault(res, 'UnknownOperationException', `${req.method ?? ''} ${req.url ?? ''}`);
        return;
      }
      if (!contentType.startsWith(JSON_11) || typeof body !== 'object' || body === null) {
        fault(res, 'SerializationException', 'expected an application/x-amz-json-1.1 JSON object');
        return;
      }
      if (target !== 'secretsmanager.GetSecretValue') {
        fault(res, 'UnknownOperationException', `operation ${target} is not served here`);
        return;
      }
      const secretId = 'SecretId' in body && typeof body.SecretId === 'string' ? body.SecretId : '';
      if (secretId === '') {
        fault(res, 'InvalidParameterException', 'SecretId is required');
        return;
      }
      const secret = find(secretId);
      if (secret === undefined) {
        fault(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return;
      }
      answer(res, 200, {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate,
        ...(typeof secret.value === 'string'
          ? { SecretString: secret.value }
          : { SecretBinary: Buffer.from(secret.value).toString('base64') }),
      });
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    put(name, value) {
      const existing = secrets.get(name);
      // Real ARNs end in a hyphen and six random characters.
      const arn =
        existing?.arn ?? `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${randomBytes(3).toString('hex')}`;
      secrets.set(name, { arn, name, value, versionId: randomUUID(), createdDate: Date.now() / 1000 });
      return arn;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
