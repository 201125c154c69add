import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '../domain/errors.ts';
import type { Key } from './keys.ts';
import { call } from './store-errors.ts';

/** Rounds of retrying unprocessed keys (DynamoDB returns them only when throttling) before answering 503. */
const maxRounds = 6;

/**
 * One consistent BatchGetItem (at most 100 keys); unprocessed keys are fetched again with
 * backoff. The common case is a single round trip.
 */
export async function batchGetItems(client: DynamoDBDocumentClient, tableName: string, keys: Key[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  let pending = keys;
  for (let round = 0; pending.length > 0; round += 1) {
    if (round >= maxRounds) throw new StoreUnavailableError();
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
    const output = await call(() => client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } })));
    found.push(...(output.Responses?.[tableName] ?? []));
    pending = (output.UnprocessedKeys?.[tableName]?.Keys as Key[] | undefined) ?? [];
  }
  return found;
}
