// A DynamoDB client on a local endpoint that counts what it costs: requests, and items read as
// DynamoDB bills them (a Query's ScannedCount, the items a GetItem/BatchGetItem/TransactGetItems returned).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Requests and items read by one DynamoDB client, counted in its middleware stack. */
export interface Counter {
  requests: number;
  itemsRead: number;
}

/** A plain client on a local endpoint (DynamoDB Local takes any credentials). */
export const localClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });

export function countedClient(endpoint: string): { client: DynamoDBClient; counter: Counter } {
  const client = localClient(endpoint);
  const counter: Counter = { requests: 0, itemsRead: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.requests += 1;
      const result = await next(args);
      const output = result.output as {
        Item?: unknown;
        Items?: unknown[];
        ScannedCount?: number;
        Responses?: unknown[] | Record<string, unknown[]>;
      };
      if (output.ScannedCount !== undefined) counter.itemsRead += output.ScannedCount;
      else if (output.Items !== undefined) counter.itemsRead += output.Items.length;
      else if (output.Item !== undefined) counter.itemsRead += 1;
      else if (Array.isArray(output.Responses)) counter.itemsRead += output.Responses.length;
      else if (output.Responses !== undefined)
        for (const items of Object.values(output.Responses)) counter.itemsRead += items.length;
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
  return { client, counter };
}
