// Asynchronous Lambda invocation (Invoke with InvocationType Event) for POST /v1/drift-checks
// (docs/api.md/docs/webhooks.md): the HTTP function answers 202 at once and the drift function runs the check
// with its own time budget and permissions. The AWS SDK's own LambdaClient does the call; region,
// credentials and endpoint come from the SDK's standard configuration: in Lambda the runtime's
// AWS_REGION and execution-role credentials; AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) points
// it elsewhere.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** Hands `payload` (JSON-serialisable) to `functionName`; resolves once Lambda has queued it (202). */
export type AsyncInvoker = (functionName: string, payload: unknown) => Promise<void>;

/** Lambda refused the invocation (or could not be reached); `status` is its HTTP status when it answered. */
export class LambdaInvokeError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaInvokeError';
    this.status = status;
  }
}

// One client per process (built at module load, like every SDK client in a Lambda): the SDK
// resolves region, credentials and endpoint lazily on the first call, so importing this module
// where nothing is invoked (`npm start`, tests) needs no AWS configuration. A 5 s request timeout
// keeps a stuck call well inside the HTTP function's timeout; the SDK's standard retries stay
// (a retried Event invocation at worst starts a second run, and runs are idempotent).
const processClient = new LambdaClient({ requestHandler: { requestTimeout: 5_000 } });

const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    // SDK service errors carry the exception name (ResourceNotFoundException, AccessDeniedException, …).
    return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  }
  return String(error);
};

const statusOf = (error: unknown): number | null => {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return null;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return null;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : null;
};

/** Makes an {@link AsyncInvoker}: one Event Invoke per call; default: the process's client. */
export function makeLambdaInvoker(client: LambdaClient = processClient): AsyncInvoker {
  return async (functionName, payload) => {
    let statusCode: number | undefined;
    try {
      const output = await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      statusCode = output.StatusCode;
    } catch (error: unknown) {
      throw new LambdaInvokeError(`Invoke ${functionName}: ${describeError(error)}`, statusOf(error), {
        cause: error,
      });
    }
    // Lambda answers an accepted Event invocation with 202; anything else means it was not queued.
    if (statusCode !== 202) {
      throw new LambdaInvokeError(
        `Invoke ${functionName}: expected 202 for an Event invocation, Lambda answered ${statusCode ?? 'no status'}`,
        statusCode ?? null,
      );
    }
  };
}
