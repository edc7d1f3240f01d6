// Secrets Manager GetSecretValue for the webhook signing secrets (DESIGN §10: "Secrets Manager in
// AWS"). One JSON-1.1 call signed with SigV4 using node:crypto only, so the webhook Lambda needs no
// extra SDK client. Endpoint: AWS_ENDPOINT_URL_SECRETS_MANAGER (the SDK's standard variable) or the
// secret's regional endpoint; credentials: the Lambda runtime's AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SecretsReaderOptions {
  credentials: AwsCredentials;
  /** Overrides the regional endpoint (AWS_ENDPOINT_URL_SECRETS_MANAGER). */
  endpoint?: string;
  now?: () => Date;
  fetch?: typeof fetch;
}

/** Reads a secret's string value by ARN. */
export type SecretReader = (arn: string) => Promise<string>;

/** A Secrets Manager call that failed; the message names the secret, never its value. */
export class SecretsReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretsReadError';
  }
}

const ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/;

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Signs a Secrets Manager JSON-1.1 call (SigV4, header auth); exported so tests can compare signers. */
export function signSecretsManagerRequest(input: {
  region: string;
  target: string;
  body: string;
  endpoint: string;
  credentials: AwsCredentials;
  now: Date;
}): SignedRequest {
  const url = new URL(input.endpoint);
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-target': input.target,
    ...(input.credentials.sessionToken === undefined ? {} : { 'x-amz-security-token': input.credentials.sessionToken }),
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonical = [
    'POST',
    url.pathname === '' ? '/' : url.pathname,
    '',
    ...names.map((name) => `${name}:${headers[name] ?? ''}`),
    '',
    signedHeaders,
    sha256Hex(input.body),
  ].join('\n');
  const scope = `${day}/${input.region}/secretsmanager/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), 'secretsmanager'),
    'aws4_request',
  );
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { url: url.toString(), headers, body: input.body };
}

/** A reader of secret strings by ARN, one GetSecretValue call each. */
export function makeSecretsManagerReader(options: SecretsReaderOptions): SecretReader {
  const doFetch = options.fetch ?? fetch;
  return async (arn) => {
    const match = ARN.exec(arn);
    if (match === null || match[2] === undefined)
      throw new SecretsReadError(`not a Secrets Manager secret ARN: ${arn}`);
    const region = match[2];
    const endpoint = options.endpoint ?? `https://secretsmanager.${region}.amazonaws.com/`;
    const request = signSecretsManagerRequest({
      region,
      target: 'secretsmanager.GetSecretValue',
      body: JSON.stringify({ SecretId: arn }),
      endpoint,
      credentials: options.credentials,
      now: (options.now ?? (() => new Date()))(),
    });
    let response: Response;
    let text: string;
    try {
      response = await doFetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(5000),
      });
      text = await response.text();
    } catch (error: unknown) {
      throw new SecretsReadError(`GetSecretValue ${arn}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const type =
        typeof body === 'object' && body !== null && '__type' in body ? String(body.__type) : `HTTP ${response.status}`;
      throw new SecretsReadError(`GetSecretValue ${arn}: ${type}`);
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      !('SecretString' in body) ||
      typeof body.SecretString !== 'string'
    ) {
      throw new SecretsReadError(
        `GetSecretValue ${arn}: the secret has no SecretString (binary secrets are not supported)`,
      );
    }
    return body.SecretString;
  };
}

/** The runtime's credentials from the standard variables (always set in Lambda). */
export function credentialsFromEnv(env: Record<string, string | undefined>): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId === undefined || accessKeyId === '' || secretAccessKey === undefined || secretAccessKey === '') {
    throw new SecretsReadError(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required to read webhook secrets from Secrets Manager',
    );
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  return sessionToken === undefined || sessionToken === ''
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}
