// An IAM emulator on loopback per test file, and real SDK clients pointed at it with dummy
// credentials passed explicitly (nothing read from the machine's AWS configuration).
import type { IAMClient } from '@aws-sdk/client-iam';
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import type { IamGateway } from '../../lib/domain/ports.js';
import { type IamEmulator, type IamEmulatorOptions, startIamEmulator } from '../../lib/local/iam-emulator/index.js';

export const TEST_ACCOUNT_ID = '123456789012';

export interface IamClientTestOptions {
  /** Access key id sent (it chooses the emulator account); default `AKIDTESTLOCAL`. */
  accessKeyId?: string;
  /** Default 3. */
  maxAttempts?: number;
  /** Backoff base for retries; default 5 ms so retried tests stay quick. */
  retryBaseDelayMs?: number;
  /** Page size the gateway asks for. */
  pageSize?: number;
}

/** A real IAMClient for the emulator, with explicit dummy credentials. */
export const iamClientFor = (emulator: IamEmulator, options: IamClientTestOptions = {}): IAMClient =>
  makeIamClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: options.accessKeyId ?? 'AKIDTESTLOCAL', secretAccessKey: 'test-secret' },
    maxAttempts: options.maxAttempts ?? 3,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 5,
  });

export interface IamTestContext {
  emulator: IamEmulator;
  client: IAMClient;
  gateway: IamGateway;
  stop(): Promise<void>;
}

/** Starts an emulator (default account TEST_ACCOUNT_ID) and a gateway over a real client. */
export const startIamTest = async (
  options: IamEmulatorOptions & IamClientTestOptions = {},
): Promise<IamTestContext> => {
  const emulator = await startIamEmulator({ accountId: TEST_ACCOUNT_ID, ...options });
  const client = iamClientFor(emulator, options);
  const gateway = makeIamGateway(client, options.pageSize === undefined ? {} : { pageSize: options.pageSize });
  return {
    emulator,
    client,
    gateway,
    stop: async () => {
      client.destroy();
      await emulator.stop();
    },
  };
};
