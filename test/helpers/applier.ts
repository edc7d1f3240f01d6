// Applier test deps: a silent structured log and IAM per plane on the emulator (each plane's
// account chosen by the access key id, as on the local stack).
import { afterEach, beforeEach } from 'vitest';
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import type { ApplierDeps, ApplierLog } from '../../lib/app/applier.js';
import { makePolicyDocumentCache } from '../../lib/app/reconcile.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import type { IamGateway } from '../../lib/domain/ports.js';
import { appDeps, type TestClock } from './dynamo.js';
import { iamClientFor, startIamTest, type IamTestContext } from './iam.js';

/** A log that keeps its messages (for assertions) and prints nothing. */
export const silentLog = (): ApplierLog & { lines: string[] } => {
  const lines: string[] = [];
  const put = (message: string) => {
    lines.push(message);
  };
  return { lines, debug: put, info: put, warn: put, error: put };
};

/** Seeds every given plane in the emulator and answers a gateway per plane account. */
export const iamForConfig = (
  iam: IamTestContext,
  planes: readonly AwsDataPlaneConfig[],
  options: { maxAttempts?: number } = {},
) => {
  const gateways = new Map<string, IamGateway>();
  for (const plane of planes) {
    iam.emulator.seedDataPlane({
      accountId: plane.accountId,
      orgPrefix: plane.orgPrefix,
      oidcProvider: plane.oidcProvider,
    });
    gateways.set(
      plane.accountId,
      makeIamGateway(iamClientFor(iam.emulator, { accessKeyId: plane.accountId, ...options })),
    );
  }
  return async (plane: AwsDataPlaneConfig): Promise<IamGateway> => {
    const gateway = gateways.get(plane.accountId);
    if (gateway === undefined) throw new Error(`no gateway for ${plane.accountId}`);
    return gateway;
  };
};

/**
 * Applier deps on a fresh table (the test config) with IAM per plane on the test's emulator: what
 * the applier use-case tests start from.
 */
export const applierTestDeps = async (
  iam: IamTestContext,
  rawConfig?: unknown,
): Promise<ApplierDeps & { clock: TestClock; log: ReturnType<typeof silentLog> }> => {
  const base = await appDeps(rawConfig);
  const planes = base.config.dataPlanes.filter((plane): plane is AwsDataPlaneConfig => plane.cloud === 'aws');
  return { ...base, iamFor: iamForConfig(iam, planes), log: silentLog(), cache: makePolicyDocumentCache() };
};

export type ApplierTestDeps = Awaited<ReturnType<typeof applierTestDeps>>;

/** A fresh IAM emulator and applier deps for every test of the file (stopped after each), handed to `use`. */
export const eachTestApplier = (
  use: (fresh: { iam: IamTestContext; deps: ApplierTestDeps }) => void,
  rawConfig?: unknown,
): void => {
  let iam: IamTestContext | undefined;
  beforeEach(async () => {
    iam = await startIamTest();
    use({ iam, deps: await applierTestDeps(iam, rawConfig) });
  });
  afterEach(async () => {
    await iam?.stop();
  });
};
