// Asynchronous Lambda invocation (Invoke with X-Amz-Invocation-Type: Event) for POST
// /v1/drift-checks: the HTTP function answers 202 at once and the drift function runs the check
// with its own time budget and permissions. Signed with SigV4 by @smithy/signature-v4 (the SDK's
// own signer) because @aws-sdk/client-lambda is not a dependency; the endpoint follows the SDK's
// standard configuration (AWS_ENDPOINT_URL_LAMBDA, else lambda.<region>.amazonaws.com).
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LambdaInvokerOptions {
  region: string;
  credentials: () => Promise<AwsCredentials>;
  /** Default: AWS_ENDPOINT_URL_LAMBDA's value passed by the caller, else the regional endpoint. */
  endpoint?: string;
}

/** Lambda refused the invocation (or could not be reached); the message carries its answer. */
export class LambdaInvokeError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaInvokeError';
    this.status = status;
  }
}

/** node:crypto as the signer's hash (sha256, or HMAC-SHA256 with a secret). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    throw new Error('not supported');
  }
}

/** Makes `invokeAsync(functionName, payload)`: one signed Invoke, resolved when Lambda queued it (202). */
export function makeLambdaInvoker(
  options: LambdaInvokerOptions,
): (functionName: string, payload: unknown) => Promise<void> {
  const endpoint = new URL(options.endpoint ?? `https://lambda.${options.region}.amazonaws.com`);
  const signer = new SignatureV4({
    service: 'lambda',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
  });
  return async (functionName, payload) => {
    const body = JSON.stringify(payload);
    const path = `${endpoint.pathname.replace(/\/$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === '' ? {} : { port: Number(endpoint.port) }),
      path,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/json',
        'x-amz-invocation-type': 'Event',
      },
      body,
    });
    let response: Response;
    try {
      response = await fetch(new URL(path, endpoint), { method: 'POST', headers: signed.headers, body });
    } catch (error: unknown) {
      throw new LambdaInvokeError(
        `Invoke ${functionName}: ${error instanceof Error ? error.message : String(error)}`,
        null,
        { cause: error },
      );
    }
    if (response.status !== 202) {
      const text = (await response.text()).slice(0, 500);
      throw new LambdaInvokeError(`Invoke ${functionName} answered ${response.status}: ${text}`, response.status);
    }
  };
}
