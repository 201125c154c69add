import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../shared/db/client.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { dynamoCustomerStore, maxPageItemBytes } from '../../shared/db/dynamo-customer-store.ts';
import { applyDelta, cardDelta, emptyCard } from '../../shared/domain/card.ts';
import { newCustomerId, newTouchpointId } from '../../shared/domain/ids.ts';
import type { Touchpoint } from '../../shared/domain/model.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * Customers whose cards are as large as clients can make them (40 invoice queries with the
 * longest numbers, ids and reasons the API takes, about 35 KB), listed by tier at the largest page
 * size. The index holds keys only, so nothing but the store's byte budget keeps a page of 200 such
 * cards from an answer no Lambda may return.
 *
 * DynamoDB Local stops an index Query at 1 MB of the base items, where DynamoDB counts the index
 * entries (about 150 bytes each with keys only) and returns the whole `Limit`. The client below
 * answers as DynamoDB does: it follows Local's early stops until the Query's `Limit` is reached.
 */
function clientListingAsDynamoDbDoes(): DynamoDBDocumentClient {
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string; Limit?: number; ExclusiveStartKey?: unknown };
      if (context.commandName !== 'QueryCommand' || input.IndexName !== 'gsi1' || input.Limit === undefined) return next(args);
      const items: unknown[] = [];
      let result = await next(args);
      for (;;) {
        const output = result.output as { Items?: unknown[]; LastEvaluatedKey?: Record<string, unknown> };
        items.push(...(output.Items ?? []));
        if (!output.LastEvaluatedKey || items.length >= input.Limit) {
          return { ...result, output: { ...output, Items: items, Count: items.length } as typeof result.output };
        }
        result = await next({ ...args, input: { ...input, Limit: input.Limit - items.length, ExclusiveStartKey: output.LastEvaluatedKey } });
      }
    },
    { step: 'initialize', name: 'list-as-dynamodb-does' },
  );
  return client;
}
/** Enough of them to pass the byte budget of one page (1 MB). */
const customers = 40;
const now = new Date();
const long = (length: number, seed: string) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length);

function invoiceQuery(customerId: string, minutesAgo: number, index: number): Touchpoint {
  const occurredAt = new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const details = { invoiceNumber: long(100, `INV-${index}-`), queryId: long(100, `Q-${index}-`), status: 'open', reason: long(500, 'disputed line ') };
  return {
    touchpointId: newTouchpointId(),
    customerId,
    channel: 'invoice_query',
    occurredAt,
    receivedAt: occurredAt,
    source: 'test',
    identifiers: {},
    summary: null,
    details,
  };
}

/** The day (UTC) of each customer's last contact. */
const lastContactDays = new Map<string, string>();

/** One customer with the largest card, written as the store writes a first contact. */
async function customerWithLargestCard(minutesAgo: number): Promise<string> {
  const customerId = newCustomerId();
  const history = Array.from({ length: 40 }, (_, index) => invoiceQuery(customerId, minutesAgo + 100 - index, index));
  const card = history.reduce((current, next) => applyDelta(current, cardDelta(next), now), emptyCard());
  const newest = history.at(-1) as Touchpoint;
  lastContactDays.set(customerId, newest.occurredAt.slice(0, 10));
  const phone = uniquePhone().e164;
  await customerStore().recordTouchpoint({
    touchpoint: { ...newest, identifiers: { phone } },
    customer: { kind: 'new', createdAt: newest.receivedAt, card },
    attach: [
      { type: 'phone', value: phone, provenance: { attachedAt: newest.receivedAt, source: 'test', touchpointId: newest.touchpointId, rule: 'first-contact' } },
    ],
    mergeCandidates: [],
  });
  return customerId;
}

let tier: string;
const customerIds: string[] = [];

beforeAll(async () => {
  await createTestTable();
  for (let index = 0; index < customers; index += 1) customerIds.push(await customerWithLargestCard(index));
  const card = await customerStore().readCard(customerIds[0] as string);
  if (!card) throw new Error('The first customer has no card');
  tier = card.tier;
});

describe('a tier list of customers with the largest cards', () => {
  it('cuts a page at the byte budget and continues after it: every customer once, in the index order', async () => {
    const store = dynamoCustomerStore(clientListingAsDynamoDbDoes(), testTableName());
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listCustomersByTier(tier, { limit: 200, ...(cursor ? { cursor } : {}) });
      pages.push(page.items.map((customer) => customer.customerId));
      expect(Buffer.byteLength(JSON.stringify(page.items))).toBeLessThan(2 * maxPageItemBytes);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < customers);

    expect(pages.length).toBeGreaterThan(1);
    expect((pages[0] ?? []).length).toBeLessThan(customers);
    // The most recent day of last contact first, then the newest customer (the customers span midnight when the test does).
    const byIndexOrder = (a: string, b: string) => (lastContactDays.get(b) ?? '').localeCompare(lastContactDays.get(a) ?? '') || b.localeCompare(a);
    expect(pages.flat()).toEqual([...customerIds].sort(byIndexOrder));
  });
});
