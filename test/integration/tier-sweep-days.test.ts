import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { retierCustomers } from '../../shared/domain/retier-customers.ts';
import { createTestTable, itemsOfEntity, testTableName } from '../helpers/dynamodb.ts';
import { recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * The tier index sorts by the day of the last contact, while the sweep's slices are instants: a
 * slice reads its whole days and keeps the customers whose card says they crossed a threshold in
 * it, so a customer on the first or last day of a slice is found exactly once, and one a second
 * outside it is not. Ten calls worth 20,000: platinum while the last contact is within 30 days,
 * gold once it is older (as in tier-sweep.test.ts).
 */
const dayMs = 86_400_000;
/** The sweep runs at 10:00 UTC five days on, so each slice starts and ends in the middle of a day. */
const sweepAt = new Date(Math.floor(Date.now() / dayMs + 5) * dayMs + 10 * 3_600_000);
/** The 30-day threshold's slice with two days of lookback: [from, to). */
const to = sweepAt.getTime() - 30 * dayMs;
const from = to - 2 * dayMs;

/** A customer of ten calls worth 20,000 in all, the last one at `lastContactAt` (platinum when recorded, 25-27 days ago). */
async function valuableCustomer(lastContactAt: number): Promise<string> {
  const phone = uniquePhone().e164;
  let customerId = '';
  for (let index = 9; index >= 0; index -= 1) {
    const occurredAt = new Date(lastContactAt - index * 1000).toISOString();
    ({ customerId } = await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone }, occurredAt, value: 2_000 })));
  }
  return customerId;
}

async function wholeTier(tier: string): Promise<string[]> {
  const customerIds: string[] = [];
  let cursor: string | undefined;
  do {
    // One customer a page: every page's cursor holds an index key, of either form.
    const page = await customerStore().listCustomersByTier(tier, { limit: 1, ...(cursor ? { cursor } : {}) });
    customerIds.push(...page.items.map((customer) => customer.customerId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return customerIds;
}

let atFrom: string;
let justBeforeTo: string;
let justBeforeFrom: string;
let atTo: string;
let legacyKey: string;

beforeAll(async () => {
  await createTestTable();
  atFrom = await valuableCustomer(from);
  justBeforeTo = await valuableCustomer(to - 1000);
  justBeforeFrom = await valuableCustomer(from - 1000);
  atTo = await valuableCustomer(to);
  legacyKey = await valuableCustomer(from + dayMs);
  // As a table written before the day keys holds it: the instant of the last contact.
  await documentClient().send(
    new UpdateCommand({
      TableName: testTableName(),
      Key: { pk: `CUST#${legacyKey}`, sk: 'Z#CARD' },
      UpdateExpression: 'SET gsi1sk = :instant',
      ExpressionAttributeValues: { ':instant': `${new Date(from + dayMs).toISOString()}#${legacyKey}` },
    }),
  );
});

describe('the value tier sweep on an index sorted by day', () => {
  it('keys the customers by the day of their last contact, but for the one written before', async () => {
    const cards = await itemsOfEntity('card');
    const keyOf = (customerId: string) => cards.find((item) => item.customerId === customerId)?.gsi1sk;

    expect(keyOf(atFrom)).toBe(`${new Date(from).toISOString().slice(0, 10)}#${atFrom}`);
    expect(keyOf(legacyKey)).toBe(`${new Date(from + dayMs).toISOString()}#${legacyKey}`);
  });

  it('lists every customer of the tier page by page, whichever form its index key has', async () => {
    const platinum = await wholeTier('platinum');

    expect([...platinum].sort()).toEqual([atFrom, justBeforeTo, justBeforeFrom, atTo, legacyKey].sort());
  });

  it("retiers the customers whose last contact is on a slice's first or last day and inside it, and no other", async () => {
    const report = await retierCustomers(customerStore(), sweepAt, 2);

    expect(report).toEqual({ examined: 3, retiered: 3, skipped: 0 });
    expect((await wholeTier('gold')).sort()).toEqual([atFrom, justBeforeTo, legacyKey].sort());
    // A second before the slice: the sweep of the day before found it; at `to`: not 30 days past yet.
    expect((await wholeTier('platinum')).sort()).toEqual([justBeforeFrom, atTo].sort());
  });
});
