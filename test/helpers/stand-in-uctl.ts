// The stand-in uctl (examples/stand-in-uctl.mjs) for the CLI's process tests, and the pending
// updates it runs: the table the local server uses, and an update recorded there as the applier
// records one (the pair's compiled uctl file).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { makeDynamoStores } from '../../lib/adapters/dynamodb/stores.js';
import { uctlUpdate, type Binding } from '../../lib/domain/compile/uctl.js';
import type { Stores } from '../../lib/domain/ports.js';
import type { AttributeUpdate } from '../../lib/domain/records.js';

export const STAND_IN_UCTL = fileURLToPath(new URL('../../examples/stand-in-uctl.mjs', import.meta.url));

/** The environment that makes `grantplane` run the stand-in, logging to and keeping state in `dir`. */
export const standInUctlEnv = (dir: string) => ({
  GRANTPLANE_UCTL: STAND_IN_UCTL,
  STAND_IN_UCTL_LOG: join(dir, 'uctl.log'),
  STAND_IN_UCTL_STATE: join(dir, 'uctl-state'),
});

/** The stores of the table the local server of this test file uses. */
export const localTableStores = (): Stores =>
  makeDynamoStores(
    makeDocumentClient(
      new DynamoDBClient({
        endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    ),
    process.env.GRANTPLANE_TABLE ?? '',
  );

/** A pending update of prod `<project>/staging`, recorded as the applier records it. */
export const recordPendingUpdate = async (
  stores: Stores,
  id: string,
  project: string,
  roleArn: string | null,
  binding?: Binding,
): Promise<AttributeUpdate> => {
  const file = uctlUpdate(project, 'staging', roleArn, {}, binding);
  const update: AttributeUpdate = {
    id,
    dataPlane: 'prod',
    project,
    domain: 'staging',
    roleArn,
    yaml: file.yaml,
    command: file.command,
    contentHash: id,
    status: 'pending',
    createdAt: new Date().toISOString(),
  };
  await stores.attributes.createAttributeUpdate(update);
  return update;
};
