// An IAM emulator on loopback per test file, and real SDK clients pointed at it with dummy
// credentials passed explicitly (nothing read from the machine's AWS configuration).
import type { IAMClient } from '@aws-sdk/client-iam';
import { makeIamClient } from '../../lib/adapters/iam/client.js';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import { type AwsDataPlaneConfig, type GrantplaneConfig, parseConfig } from '../../lib/domain/config.js';
import type { IamGateway } from '../../lib/domain/ports.js';
import { type IamEmulator, type IamEmulatorOptions, startIamEmulator } from '../../lib/local/iam-emulator/index.js';

export const TEST_ACCOUNT_ID = '123456789012';
/** The OIDC provider of the test plane's EKS cluster. */
export const TEST_OIDC = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

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

/** The configuration of testPlane as a file holds it (JSON, which YAML readers take as it is). */
export const TEST_PLANE_CONFIG_TEXT = JSON.stringify({
  dataPlanes: [
    {
      name: 'prod',
      cloud: 'aws',
      accountId: TEST_ACCOUNT_ID,
      region: 'us-west-2',
      orgPrefix: 'acme',
      oidcProvider: TEST_OIDC,
      domains: ['development', 'staging', 'production'],
      projects: '*',
    },
  ],
});

/** One AWS data plane, `prod`, in TEST_ACCOUNT_ID: org prefix acme, three domains, every project. */
export const testPlane = (): { config: GrantplaneConfig; plane: AwsDataPlaneConfig } => {
  const config = parseConfig(JSON.parse(TEST_PLANE_CONFIG_TEXT));
  return { config, plane: config.dataPlanes[0] as AwsDataPlaneConfig };
};

/** startIamTest, with testPlane's account seeded as Union's setup leaves it (<UserFlyteRole>, OIDC provider). */
export const startTestPlane = async (
  options: IamEmulatorOptions & IamClientTestOptions = {},
): Promise<IamTestContext> => {
  const ctx = await startIamTest(options);
  ctx.emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: TEST_OIDC });
  return ctx;
};
