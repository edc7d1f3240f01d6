// Secrets Manager GetSecretValue for the webhook signing secrets (docs/webhooks.md: "The secret per source
// comes from configuration (Secrets Manager in AWS; docs/api.md locally)"), with the AWS SDK's own client.
// Region, credentials and endpoint come from the SDK's standard configuration: in Lambda the
// runtime's AWS_REGION and role credentials; AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL)
// points it elsewhere. Caching (rotation is picked up after SECRET_CACHE_MS) lives with the caller,
// functions/webhook.ts envSecrets.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Reads a secret's string value by ARN (or name). */
export type SecretReader = (secretId: string) => Promise<string>;

/** A Secrets Manager call that failed; the message names the secret, never its value. */
export class SecretsReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretsReadError';
  }
}

// One client per process (built at module load, like every SDK client in a Lambda): the SDK
// resolves region, credentials and endpoint lazily on the first call, so importing this module
// where no secret is read (local runs, tests) needs no AWS configuration. A 5 s request timeout
// keeps a stuck call well inside the webhook function's timeout; the SDK's standard retries stay.
const processClient = new SecretsManagerClient({ requestHandler: { requestTimeout: 5_000 } });

const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    // SDK service errors carry the exception name (ResourceNotFoundException, AccessDeniedException, …).
    return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  }
  return String(error);
};

/** A reader of secret strings, one GetSecretValue call each (AWSCURRENT); default: the process's client. */
export function makeSecretsManagerReader(client: SecretsManagerClient = processClient): SecretReader {
  return async (secretId) => {
    let secretString: string | undefined;
    try {
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      secretString = output.SecretString;
    } catch (error: unknown) {
      throw new SecretsReadError(`GetSecretValue ${secretId}: ${describeError(error)}`, { cause: error });
    }
    if (secretString === undefined) {
      throw new SecretsReadError(
        `GetSecretValue ${secretId}: the secret has no SecretString (binary secrets are not supported)`,
      );
    }
    return secretString;
  };
}
