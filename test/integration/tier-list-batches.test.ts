import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { dynamoCustomerStore } from '../../shared/db/dynamo-customer-store.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * A tier list page of 150 customers reads their cards and profiles (two keys a customer) with
 * three BatchGetItems (100 keys each at most), and DynamoDB hands back part of a batch unprocessed
 * under throttling: those are asked for again, and the page holds every customer in the index's
 * order all the same.
 */
const customers = 150;
let tier: string;
const customerIds: string[] = [];

beforeAll(async () => {
  await createTestTable();
  // Ten at a time: each is a customer of its own, so nothing contends, and the file stays quick.
  for (let start = 0; start < customers; start += 10) {
    const created = await Promise.all(
      Array.from({ length: Math.min(10, customers - start) }, () =>
        recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } })),
      ),
    );
    customerIds.push(...created.map((answer) => answer.customerId));
  }
  // Alike customers (one call each) share a tier.
  const card = await customerStore().readCard(customerIds[0] ?? '');
  if (!card) throw new Error('The first customer has no card');
  tier = card.tier;
});

describe('a tier list page of more than 100 customers', () => {
  it('lists every customer of the page in the index order when each batch comes back partly unprocessed', async () => {
    const expected = await customerStore().listCustomersByTier(tier, { limit: 200 });
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    const batchSizes: number[] = [];
    let throttled = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchGetItemCommand') return next(args);
        const input = args.input as { RequestItems: Record<string, { Keys: unknown[] }> };
        const [tableName, request] = Object.entries(input.RequestItems)[0] ?? [];
        if (!tableName || !request) return next(args);
        batchSizes.push(request.Keys.length);
        // The first request of each batch: half its keys answered, the rest handed back unprocessed, as under throttling.
        if (throttled >= 2) return next(args);
        throttled += 1;
        const half = Math.floor(request.Keys.length / 2);
        const output = await next({ ...args, input: { RequestItems: { [tableName]: { ...request, Keys: request.Keys.slice(0, half) } } } });
        return {
          ...output,
          output: { ...output.output, UnprocessedKeys: { [tableName]: { ...request, Keys: request.Keys.slice(half) } } } as typeof output.output,
        };
      },
      { step: 'initialize', name: 'half-unprocessed' },
    );

    const page = await dynamoCustomerStore(client, testTableName()).listCustomersByTier(tier, { limit: 200 });

    expect(expected.items.map((customer) => customer.customerId).sort()).toEqual([...customerIds].sort());
    // Each customer's card and profile: 300 keys, in batches of 100; the first two batches sent each came back half unprocessed.
    const keys = 2 * expected.items.length;
    const firstRound = Array.from({ length: Math.ceil(keys / 100) }, (_, batch) => Math.min(100, keys - batch * 100));
    expect(batchSizes.slice(0, firstRound.length).sort((a, b) => b - a)).toEqual(firstRound);
    expect(batchSizes.slice(firstRound.length)).toEqual([50, 50]);
    expect(page.items.map((customer) => customer.customerId)).toEqual(expected.items.map((customer) => customer.customerId));
  });
});
