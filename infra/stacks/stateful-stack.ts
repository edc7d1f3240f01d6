// The stateful half: the one DynamoDB table, defined by lib/adapters/dynamodb/table.ts
// so production and DynamoDB Local never disagree. Retained on stack deletion.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE } from '../../lib/adapters/dynamodb/table.js';

const attribute = (key: { name: string; type: 'S' }) => ({ name: key.name, type: AttributeType.STRING });

/** The grantplane table: on-demand, streams (new and old images), PITR, TTL, deletion protection. */
export class StatefulStack extends Stack {
  readonly table: Table;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Guard the plain-data contract: billing and stream mode are fixed by table.ts.
    if (TABLE.billingMode !== 'PAY_PER_REQUEST' || TABLE.stream !== 'NEW_AND_OLD_IMAGES') {
      throw new Error('lib/adapters/dynamodb/table.ts changed billing or stream mode: update the stateful stack');
    }
    this.table = new Table(this, 'Table', {
      partitionKey: attribute(TABLE.partitionKey),
      sortKey: attribute(TABLE.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
  }
}
