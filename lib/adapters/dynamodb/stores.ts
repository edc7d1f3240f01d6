// Every store of the single table, on one document client: what the wiring (and the tests) hand the
// use cases. One store per aggregate, all on the shared table operations (ops.ts, pages.ts).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stores } from '../../domain/ports.js';
import { makeDynamoAttributeStore } from './attribute-store.js';
import { makeDynamoAuditLog } from './audit-log.js';
import { makeDynamoCloudStore } from './cloud-store.js';
import { makeDynamoDeliveryStore } from './delivery-store.js';
import { makeDynamoDriftStore } from './drift-store.js';
import { makeDynamoGrantStore } from './grant-store.js';
import { makeDynamoHoldStore } from './hold-store.js';
import { makeDynamoInfrastructureStore } from './infrastructure-store.js';
import { makeDynamoLeaseStore } from './lease-store.js';
import { makeDynamoPlaneStore } from './plane-store.js';
import { makeDynamoSourceStore } from './source-store.js';
import { makeDynamoTargetStore } from './target-store.js';

export const makeDynamoStores = (doc: DynamoDBDocumentClient, tableName: string): Stores => ({
  grants: makeDynamoGrantStore(doc, tableName),
  targets: makeDynamoTargetStore(doc, tableName),
  attributes: makeDynamoAttributeStore(doc, tableName),
  leases: makeDynamoLeaseStore(doc, tableName),
  audit: makeDynamoAuditLog(doc, tableName),
  deliveries: makeDynamoDeliveryStore(doc, tableName),
  driftReports: makeDynamoDriftStore(doc, tableName),
  sources: makeDynamoSourceStore(doc, tableName),
  planes: makeDynamoPlaneStore(doc, tableName),
  holds: makeDynamoHoldStore(doc, tableName),
  infrastructure: makeDynamoInfrastructureStore(doc, tableName),
  cloud: makeDynamoCloudStore(doc, tableName),
});
