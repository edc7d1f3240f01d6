// Composition root of the applier and drift Lambdas: the HTTP deps' DynamoDB wiring plus IAM per
// plane (the account's own credentials, or STS-assumed ones for a plane with applierRoleArn).
import { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDocumentClient } from '../adapters/dynamodb/client.js';
import { makeDynamoStores } from '../adapters/dynamodb/stores.js';
import { makeAssumedRoleGateways } from '../adapters/iam/assume-role.js';
import { makeIamClient } from '../adapters/iam/client.js';
import { makeIamGateway } from '../adapters/iam/gateway.js';
import type { ApplierDeps, ApplierLog } from '../app/applier.js';
import type { CloudSource } from '../app/cloud-apply.js';
import { liveCloudSource } from './cloud.js';
import { makePolicyDocumentCache } from '../app/reconcile.js';
import { targetsOfChange } from '../app/applier-stream.js';
import { tableChangeOf, type StreamRecordLike } from '../adapters/dynamodb/stream.js';
import { driftRoleArnOf, type AwsDataPlaneConfig, type GrantplaneConfig } from '../domain/config.js';
import type { Clock, IamGateway, Ids } from '../domain/ports.js';
import { configFromEnv, liveDynamoClient, systemClock, tableFromEnv, ulidIds } from './http.js';

/** IAM per AWS plane: the plane's own credentials, or STS-assumed ones when it has applierRoleArn. */
export type PlaneIamSource = (plane: AwsDataPlaneConfig) => Promise<IamGateway>;

export interface BuildApplierDepsInput {
  client: DynamoDBClient;
  tableName: string;
  config: GrantplaneConfig;
  iamFor: PlaneIamSource;
  /** GCP and Azure planes' clients (default: none, their grants fail with the reason). */
  cloudFor?: CloudSource;
  log: ApplierLog;
  clock?: Clock;
  ids?: Ids;
}

/** Builds the applier's deps on a DynamoDB client and table (live wiring, the local poller, tests). */
export function buildApplierDeps(input: BuildApplierDepsInput): ApplierDeps {
  const clock = input.clock ?? systemClock;
  return {
    ...makeDynamoStores(makeDocumentClient(input.client), input.tableName),
    config: input.config,
    clock,
    ids: input.ids ?? ulidIds(clock),
    iamFor: input.iamFor,
    ...(input.cloudFor === undefined ? {} : { cloudFor: input.cloudFor }),
    log: input.log,
    cache: makePolicyDocumentCache(),
  };
}

/**
 * The live IAM source: one IAM client from the SDK's standard configuration (AWS_ENDPOINT_URL_IAM
 * honoured) for planes in this account, and per `applierRoleArn` a client on assumed credentials.
 */
export function liveIamSource(who: 'applier' | 'drift' = 'applier'): PlaneIamSource {
  let own: IamGateway | undefined;
  let assumed: ((roleArn: string) => Promise<IamGateway>) | undefined;
  return async (plane) => {
    if (plane.applierRoleArn !== undefined && plane.applierRoleArn !== null) {
      assumed ??= makeAssumedRoleGateways(new STSClient({}), { sessionName: `grantplane-${who}` });
      // The drift check reads only, in every account: it assumes the plane's read-only twin.
      return assumed(who === 'drift' ? driftRoleArnOf(plane.applierRoleArn) : plane.applierRoleArn);
    }
    own ??= makeIamGateway(makeIamClient());
    return own;
  };
}

let liveApplier: ApplierDeps | undefined;

/** The applier's live deps from the environment (GRANTPLANE_TABLE, GRANTPLANE_CONFIG[_JSON]), built once. */
export function liveApplierDeps(log: ApplierLog): ApplierDeps {
  liveApplier ??= buildApplierDeps({
    client: liveDynamoClient,
    tableName: tableFromEnv(process.env),
    config: configFromEnv(process.env),
    iamFor: liveIamSource(),
    cloudFor: liveCloudSource(),
    log,
  });
  return liveApplier;
}

export type { StreamRecordLike } from '../adapters/dynamodb/stream.js';

/** The targets one table stream record asks the applier to run: decoded by the adapter, decided by the app. */
export const targetsOfRecord = (record: StreamRecordLike): string[] => targetsOfChange(tableChangeOf(record));
