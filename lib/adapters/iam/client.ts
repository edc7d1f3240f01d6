// The IAM client, built once per process. Endpoint, credentials and region come
// from the SDK's standard configuration: AWS_ENDPOINT_URL_IAM points it at the emulator or any
// IAM-compatible endpoint without code here knowing.
import { IAMClient } from '@aws-sdk/client-iam';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { AwsCredentialIdentity, RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

export interface IamClientOptions {
  /** Default: AWS_REGION, else us-east-1 (IAM is global; the aws partition signs for us-east-1). */
  region?: string;
  /** Attempts per call including the first (standard retry mode); default 5, so throttling is ridden out. */
  maxAttempts?: number;
  /** Explicit endpoint; normally left out so AWS_ENDPOINT_URL_IAM / the default applies. */
  endpoint?: string;
  /** Explicit credentials; normally left out for the default provider chain. */
  credentials?: AwsCredentialIdentity;
  /** Base of the exponential backoff in ms for every retry (tests use a few ms). Default: the SDK's. */
  retryBaseDelayMs?: number;
}

/**
 * IAM answers quota errors as `LimitExceeded`, which the SDK's classifier takes for throttling
 * (its name is in THROTTLING_ERROR_CODES) and retries with back-off: they are final, so stop.
 */
class IamRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private readonly inner: StandardRetryStrategy;

  constructor(inner: StandardRetryStrategy) {
    this.inner = inner;
  }

  acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
    return this.inner.acquireInitialRetryToken(scope);
  }

  refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    if (errorInfo.error?.name === 'LimitExceededException') {
      return Promise.reject(new Error('IAM quota errors are not retried'));
    }
    return this.inner.refreshRetryTokenForRetry(token, errorInfo);
  }

  recordSuccess(token: StandardRetryToken): void {
    this.inner.recordSuccess(token);
  }
}

/** Builds the IAM client with standard retries (throttling retried) and the SDK's endpoint resolution. */
export const makeIamClient = (options: IamClientOptions = {}): IAMClient => {
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.retryBaseDelayMs;
  const inner = new StandardRetryStrategy({
    maxAttempts,
    ...(base === undefined
      ? {}
      : {
          // Full jitter, as the SDK's own backoff, on a caller-chosen base.
          backoff: {
            computeNextBackoffDelay: (attempt: number) =>
              Math.floor(Math.random() * Math.min(20_000, base * 2 ** attempt)),
            setDelayBase: () => undefined,
          },
        }),
  });
  return new IAMClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts,
    retryStrategy: new IamRetryStrategy(inner),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
};
