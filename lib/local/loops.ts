// The local stack's background loops (the applier's stream poller, the drift schedule): what one
// gets from the running stack, apart from start.ts so the loops need not import the stack itself.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GrantplaneConfig } from '../domain/config.js';
import type { IamEmulator } from './iam-emulator/index.js';

/** What a background loop gets: the running stack's endpoints and configuration. */
export interface LocalStackContext {
  config: GrantplaneConfig;
  tableName: string;
  dynamoClient: DynamoDBClient;
  dynamoEndpoint: string;
  iam: IamEmulator;
  env: Record<string, string | undefined>;
}

/** A long-running part of the local stack (the applier's stream poller, the drift schedule). */
export interface BackgroundLoop {
  name: string;
  start(context: LocalStackContext): Promise<{ stop(): Promise<void> }>;
}
