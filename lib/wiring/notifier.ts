// Composition root of the notifier Lambda: the table's grants and delivery records, the
// configuration's notifications, the drift reports and pending updates the reminders read, and the
// channels on the SDK's Secrets Manager and SNS clients (and fetch, for Slack, Jira and ServiceNow).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { makeDocumentClient } from '../adapters/dynamodb/client.js';
export { auditFactsOf } from '../adapters/dynamodb/stream.js';
import { makeDynamoAttributeStore } from '../adapters/dynamodb/attribute-store.js';
import { makeDynamoDeliveryStore } from '../adapters/dynamodb/delivery-store.js';
import { makeDynamoDriftStore } from '../adapters/dynamodb/drift-store.js';
import { makeDynamoInfrastructureStore } from '../adapters/dynamodb/infrastructure-store.js';
import { makeDynamoGrantStore } from '../adapters/dynamodb/grant-store.js';
import { makeChannelSender, makeSnsClient } from '../adapters/notify/channels.js';
import { makeSecretsManagerReader, type SecretReader } from '../adapters/secrets/secrets-manager.js';
import type { NotifierDeps } from '../app/notify.js';
import { NO_NOTIFICATIONS, type GrantplaneConfig } from '../domain/config.js';
import type { Clock } from '../domain/ports.js';
import { configFromEnv, liveDynamoClient, systemClock, tableFromEnv } from './http.js';

export interface BuildNotifierDepsInput {
  client: DynamoDBClient;
  tableName: string;
  config: GrantplaneConfig;
  log: NotifierDeps['log'];
  readSecret?: SecretReader;
  sns?: SNSClient;
  clock?: Clock;
}

export function buildNotifierDeps(input: BuildNotifierDepsInput): NotifierDeps {
  const doc = makeDocumentClient(input.client);
  return {
    grants: makeDynamoGrantStore(doc, input.tableName),
    deliveries: makeDynamoDeliveryStore(doc, input.tableName),
    driftReports: makeDynamoDriftStore(doc, input.tableName),
    attributes: makeDynamoAttributeStore(doc, input.tableName),
    infrastructure: makeDynamoInfrastructureStore(doc, input.tableName),
    dataPlanes: input.config.dataPlanes.map((plane) => plane.name),
    notifications: input.config.notifications ?? NO_NOTIFICATIONS,
    clock: input.clock ?? systemClock,
    send: makeChannelSender({
      readSecret: input.readSecret ?? makeSecretsManagerReader(),
      sns: input.sns ?? makeSnsClient(),
    }),
    log: input.log,
  };
}

let live: NotifierDeps | undefined;

/** The notifier's live deps from the environment (GRANTPLANE_TABLE, GRANTPLANE_CONFIG[_JSON]), built once. */
export function liveNotifierDeps(log: NotifierDeps['log']): NotifierDeps {
  live ??= buildNotifierDeps({
    client: liveDynamoClient,
    tableName: tableFromEnv(process.env),
    config: configFromEnv(process.env),
    log,
  });
  return live;
}
