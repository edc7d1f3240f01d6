// Vitest globalSetup: ONE DynamoDB Local for the whole run (about 1.7 s to start); each test file
// makes its own table on it (test/helpers/dynamo.ts), so files run in parallel.
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type DynamoDbLocal } from '../lib/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let local: DynamoDbLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  local = await startDynamoDbLocal({ port: 0 });
  project.provide('dynamoEndpoint', local.endpoint);
}

export async function teardown(): Promise<void> {
  await local?.stop();
  local = undefined;
}
