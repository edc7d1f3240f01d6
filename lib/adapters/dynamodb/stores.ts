// Every store of the single table, on one document client: what the wiring (and the tests) hand the use cases.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GrantStore, HoldStore, InfrastructureUpdateStore, PlaneStore } from '../../domain/ports.js';
import { makeDynamoGrantStore } from './grant-store.js';
import { makeDynamoHoldStore } from './hold-store.js';
import { makeDynamoInfrastructureStore } from './infrastructure-store.js';
import { makeDynamoPlaneStore } from './plane-store.js';

export interface DynamoStores {
  store: GrantStore;
  planes: PlaneStore;
  holds: HoldStore;
  infrastructure: InfrastructureUpdateStore;
}

export const makeDynamoStores = (doc: DynamoDBDocumentClient, tableName: string): DynamoStores => ({
  store: makeDynamoGrantStore(doc, tableName),
  planes: makeDynamoPlaneStore(doc, tableName),
  holds: makeDynamoHoldStore(doc, tableName),
  infrastructure: makeDynamoInfrastructureStore(doc, tableName),
});
