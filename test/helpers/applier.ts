// Applier test deps: a silent structured log and IAM per plane on the emulator (each plane's
// account chosen by the access key id, as on the local stack).
import { makeIamGateway } from '../../lib/adapters/iam/gateway.js';
import type { ApplierLog } from '../../lib/app/applier.js';
import type { AwsDataPlaneConfig } from '../../lib/domain/config.js';
import type { IamGateway } from '../../lib/domain/ports.js';
import { iamClientFor, type IamTestContext } from './iam.js';

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
