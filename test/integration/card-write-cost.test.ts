import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { createDynamoDbClient, documentClient } from '../../shared/db/client.ts';
import { createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getCustomer, lookupCustomer, postBatch, postTouchpoint, putPreferences, recordTouchpoint } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * What the recognition card costs in DynamoDB round trips, counted by the call recorder on the
 * handlers' own client; a cancelled transaction (a failed card guard) is a round trip too.
 */
let recorder: CallRecorder;

beforeAll(async () => {
  await createTestTable();
});

beforeEach(() => {
  recorder = recordDynamoDbCalls(documentClient(), { returnConsumedCapacity: true });
});

afterEach(() => {
  recorder.detach();
});

function startMeasuring(): void {
  recorder.reset();
}

const name = (command: string) => command.replace(/Command$/, '');
/** Every round trip, a rejected one marked with `!`. */
const roundTrips = () => recorder.calls.map((call) => `${name(call.command)}${call.failed ? '!' : ''}`);
const succeeded = () => recorder.calls.filter((call) => !call.failed).map((call) => name(call.command));
const cancelledWrites = () => recorder.calls.filter((call) => call.failed && name(call.command) === 'TransactWriteItems').length;

function report(scenario: string): void {
  const capacity = recorder.calls
    .filter((call) => !call.failed)
    .map((call) => `${name(call.command)} ${call.capacityUnits} (index ${call.indexCapacityUnits})`)
    .join(', ');
  console.log(
    `[card write cost] ${scenario}: ${recorder.calls.length} round trips (${roundTrips().join(' -> ')}); ` +
      `${cancelledWrites()} cancelled write(s); capacity of the successful calls: ${capacity}`,
  );
}

/** A returning web visitor: past the first frequency thresholds (3 and 10), last seen ten minutes ago. */
async function knownVisitor() {
  const anonymousId = `cookie-${unique()}`;
  let customerId = '';
  for (let index = 12; index >= 1; index -= 1) {
    ({ customerId } = await recordTouchpoint(touchpointBody({ channel: 'chat', identifiers: { anonymousId }, occurredAt: minutesAgo(10 + index) })));
  }
  return { anonymousId, customerId };
}

/** `count` page views of a visitor a minute apart, oldest first, the last `endingMinutesAgo` + 1 minutes ago, each with the snippet's own key. */
function visits(anonymousId: string, count: number, endingMinutesAgo = 0) {
  return Array.from({ length: count }, (_, index) =>
    touchpointBody({
      channel: 'web_visit',
      identifiers: { anonymousId },
      idempotencyKey: `web-${unique()}`,
      occurredAt: minutesAgo(endingMinutesAgo + count - index),
      details: { url: `https://www.example.org/page-${unique()}` },
    }),
  );
}

/** A known customer whose last touchpoint was `minutesBefore` minutes ago. */
async function knownCustomer(minutesBefore = 10, extra: Record<string, unknown> = {}) {
  const phone = uniquePhone().e164;
  const first = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(minutesBefore), ...extra }));
  return { phone, customerId: first.customerId };
}

describe('card write cost of ingest: the common case', () => {
  it('records a touchpoint of a known customer with one BatchGet and one TransactWrite', async () => {
    const { phone } = await knownCustomer();
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ channel: 'email', identifiers: { phone } }));

    report('known customer, recent touchpoint (fast path)');
    expect(response.status).toBe(201);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
  });

  it('records a returning customer, quiet for months, with one BatchGet and one TransactWrite and files them under their new tier', async () => {
    // Last seen 200 days ago with a high value: recency score 1 and silver; a call now makes recency 4, and gold.
    const { phone, customerId } = await knownCustomer(200 * 24 * 60, { value: 20_000 });
    const [before] = (await itemsOfEntity('card')).filter((item) => item.customerId === customerId);
    expect(before).toMatchObject({ tier: 'silver', tierRecency: 1 });
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone } }));

    report('returning customer, quiet for 200 days (fast path)');
    expect(response.status).toBe(201);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    const [after] = (await itemsOfEntity('card')).filter((item) => item.customerId === customerId);
    expect(after).toMatchObject({ tier: 'gold', tierRecency: 4, gsi1pk: 'TIER#gold', touchpointCount: 2 });
  });

  it('moves an invoice query on with one BatchGet and one TransactWrite', async () => {
    const phone = uniquePhone().e164;
    const invoiceNumber = `INV-${unique()}`;
    const query = (status: string, occurredAt: string) =>
      touchpointBody({ channel: 'invoice_query', identifiers: { phone }, occurredAt, details: { invoiceNumber, queryId: `Q-${invoiceNumber}`, status } });
    await recordTouchpoint(query('open', minutesAgo(10)));
    startMeasuring();

    const response = await postTouchpoint(query('in_progress', minutesAgo(1)));

    report('invoice query open -> in_progress (fast path)');
    expect(response.status).toBe(201);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
  });

  it('records a web visit with one BatchGet and one TransactWrite', async () => {
    const { phone } = await knownCustomer();
    startMeasuring();

    await postTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { phone } }));

    report('web visit (fast path)');
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
  });
});

// The budget off the common path: one read, and at most one cancelled write before the exact one.
describe('card write cost of ingest: off the common path', () => {
  it("records a customer's sixteenth web visit with one read and one write: the card keeps no page list to trim", async () => {
    const phone = uniquePhone().e164;
    // Past the frequency thresholds of 3 and 10 and short of 25; a page list capped at ten (as the
    // card kept until 3 December) would have failed its guard here.
    const visitsBefore = 15;
    let customerId = '';
    for (let index = 0; index < visitsBefore; index += 1) {
      ({ customerId } = await recordTouchpoint(
        touchpointBody({
          channel: 'web_visit',
          identifiers: { phone },
          occurredAt: minutesAgo(visitsBefore + 1 - index),
          details: { url: `https://www.example.org/${index}` },
        }),
      ));
    }
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { phone }, details: { url: 'https://www.example.org/16' } }));

    report('sixteenth web visit (fast path)');
    expect(response.status).toBe(201);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    const [card] = (await itemsOfEntity('card')).filter((item) => item.customerId === customerId);
    expect(card).not.toHaveProperty('recentPages');
    expect((await getCustomer(customerId)).body.card.recentPages[0]).toMatchObject({ url: 'https://www.example.org/16' });
  });

  it('crosses a frequency threshold with at most one extra (cancelled) write', async () => {
    const { phone } = await knownCustomer(10);
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(5) }));
    startMeasuring();

    // The third touchpoint reaches the first frequency threshold (3): the stored tier may change.
    const response = await postTouchpoint(touchpointBody({ identifiers: { phone } }));

    report('third touchpoint (frequency tier boundary)');
    expect(response.status).toBe(201);
    expect(succeeded()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    expect(cancelledWrites()).toBeLessThanOrEqual(1);
  });

  it('crosses a monetary threshold with at most one extra (cancelled) write', async () => {
    const { phone } = await knownCustomer(10, { value: 60 });
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, value: 60 }));

    report('value crossing the first monetary threshold (tier boundary)');
    expect(response.status).toBe(201);
    expect(succeeded()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    expect(cancelledWrites()).toBeLessThanOrEqual(1);
  });

  it("writes a visitor's batch of three after eleven visits with one read and one write", async () => {
    const { anonymousId } = await knownVisitor();
    await postBatch({ items: visits(anonymousId, 4, 20) });
    await postBatch({ items: visits(anonymousId, 4, 10) });
    startMeasuring();

    const response = await postBatch({ items: visits(anonymousId, 3) });

    report('folded lane of three web visits (fast path)');
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 201, 201]);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
  });

  it("shows a visitor's batch of five as the card's pages after seven earlier ones, written with one read and one write", async () => {
    const { anonymousId, customerId } = await knownVisitor();
    await postBatch({ items: visits(anonymousId, 4, 20) });
    await postBatch({ items: visits(anonymousId, 3, 10) });
    const batch = visits(anonymousId, 5);
    startMeasuring();

    const response = await postBatch({ items: batch });

    report('folded lane of five web visits after seven (fast path)');
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 201, 201, 201, 201]);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    const shown = (await getCustomer(customerId)).body.card.recentPages.map((page: { url: string }) => page.url);
    expect(shown).toEqual(batch.map((visit) => visit.details.url).reverse());
  });

  it('records a late arrival with one read and one write (appended to the late contacts)', async () => {
    const { phone } = await knownCustomer(1);
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(60 * 24) }));

    report('late arrival within the top recency band');
    expect(response.status).toBe(201);
    expect(succeeded()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    expect(cancelledWrites()).toBe(0);
  });

  it('records a backfilled touchpoint with one extra read and no cancelled write', async () => {
    const { phone } = await knownCustomer(1);
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(60 * 24 * 45) }));

    report('backfill older than the top recency band');
    expect(response.status).toBe(201);
    expect(roundTrips()).toEqual(['BatchGetItem', 'GetItem', 'TransactWriteItems']);
  });
});

const dayMs = 86_400_000;
/** The first instant of the UTC day `at` falls on. */
const startOfDay = (at: number) => Math.floor(at / dayMs) * dayMs;
/** `minutes` before `at` on the same UTC day (the day's first second when that is earlier): the index key stays. */
const earlierThatDay = (at: number, minutes: number) => new Date(Math.max(startOfDay(at), at - minutes * 60_000)).toISOString();
/** `minutes` before the UTC day `at` falls on: the next contact moves the index key. */
const theDayBefore = (at: number, minutes: number) => new Date(startOfDay(at) - minutes * 60_000).toISOString();

/**
 * A known customer whose profile and card are larger than the bench's typical ones (about 2.5 KB
 * together): three identifiers with their provenance and a card with three open invoice queries,
 * the contacts at `contactAt(minutesBefore)`.
 */
async function customerWithALargeProfile(contactAt: (minutesBefore: number) => string) {
  const phone = uniquePhone().e164;
  const identifiers = { phone, email: `large-${unique()}@example.org`, accountId: `ACC-${unique()}` };
  const { customerId } = await recordTouchpoint(touchpointBody({ identifiers, occurredAt: contactAt(30) }));
  for (let index = 0; index < 3; index += 1) {
    const invoiceNumber = `INV-${unique()}`;
    await recordTouchpoint(
      touchpointBody({
        channel: 'invoice_query',
        identifiers: { phone },
        occurredAt: contactAt(20 - index),
        details: {
          invoiceNumber,
          queryId: `Q-${invoiceNumber}`,
          status: 'open',
          reason: `The amount charged for order ${index} does not match the quote we were sent`,
        },
      }),
    );
  }
  // The customer's two items together: the one profile item they were before the card had an item of its own.
  const items = [...(await itemsOfEntity('customer')), ...(await itemsOfEntity('card'))].filter((item) => item.customerId === customerId);
  expect(items).toHaveLength(2);
  expect(JSON.stringify(items).length).toBeGreaterThan(2_000);
  return { phone, customerId };
}

/** The one successful TransactWriteItems of the measured request. */
function theWrite() {
  const writes = recorder.calls.filter((call) => !call.failed && name(call.command) === 'TransactWriteItems');
  expect(writes).toHaveLength(1);
  return writes[0]!;
}

// The index projects keys only, and its sort key is the day of the last contact. DynamoDB bills a
// write that moves an item's index key as a delete and a put of its index entry, each by the
// entry's size (a whole profile projected would cost about 12 units more in DynamoDB Local for
// this profile); a key SET to the value it already has costs nothing in the index.
describe('card write cost of ingest: the index', () => {
  it("moves a large profile's index entry, for its keys' size and not the profile's, with the first touchpoint of a new day", async () => {
    const now = Date.now();
    const { phone } = await customerWithALargeProfile((minutes) => theDayBefore(now, minutes));
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: new Date(now).toISOString() }));

    report('large profile, first touchpoint of a new day (index entry moved)');
    expect(response.status).toBe(201);
    // A delete and a put of an entry under 1 KB, billed twice in a transaction by DynamoDB Local.
    expect(theWrite().indexCapacityUnits).toBe(4);
    // The card item, not the whole profile: 12 units when the card lived on the profile.
    expect(theWrite().capacityUnits).toBe(10);
  });

  it('writes nothing to the index for a second touchpoint on the same day', async () => {
    const now = Date.now();
    const { phone, customerId } = await customerWithALargeProfile((minutes) => earlierThatDay(now, minutes));
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: new Date(now).toISOString() }));

    report('large profile, another touchpoint the same day (index key unchanged)');
    expect(response.status).toBe(201);
    expect(theWrite().indexCapacityUnits).toBe(0);
    // 8 units when the card lived on the profile.
    expect(theWrite().capacityUnits).toBe(6);
    const [card] = (await itemsOfEntity('card')).filter((item) => item.customerId === customerId);
    expect(card).toMatchObject({ gsi1sk: `${new Date(now).toISOString().slice(0, 10)}#${customerId}` });
  });

  it("records a late arrival of a large profile's customer without writing to the index", async () => {
    const { phone } = await customerWithALargeProfile(minutesAgo);
    startMeasuring();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(60 * 24) }));

    report('large profile, late arrival (index key unchanged)');
    expect(response.status).toBe(201);
    expect(theWrite().indexCapacityUnits).toBe(0);
    expect(theWrite().capacityUnits).toBe(6);
  });
});

describe('card read cost', () => {
  it('returns the card on a lookup by phone within the two round trips of a lookup', async () => {
    const { phone } = await knownCustomer();
    startMeasuring();

    const response = await lookupCustomer({ phone });

    report('lookup by phone with the card');
    expect(response.body.card.touchpointCount).toBe(1);
    expect(roundTrips()).toEqual(['GetItem', 'Query']);
  });

  it('returns the card on GET customer with one Query', async () => {
    const { customerId } = await knownCustomer();
    startMeasuring();

    const response = await getCustomer(customerId);

    expect(response.body.card.touchpointCount).toBe(1);
    expect(roundTrips()).toEqual(['Query']);
  });
});

describe('preferences write cost', () => {
  it('records preferences and their touchpoint with one Query and one TransactWrite', async () => {
    const { customerId } = await knownCustomer();
    startMeasuring();

    const response = await putPreferences(customerId, { channels: { sms: 'opted_out' } });

    report('PUT preferences');
    expect(response.status).toBe(200);
    expect(roundTrips()).toEqual(['Query', 'TransactWriteItems']);
  });
});

// What AWS would bill, by the Developer Guide's rules (shared/db/billed-write-units.ts): DynamoDB
// Local's own figure for a transaction is about twice the sum of its distinct per-item units, not
// 2 units per KB per item, so the assertions above on `capacityUnits` prove shapes, not a bill.
describe('card write cost of ingest: the units AWS bills', () => {
  const modelReader = createDynamoDbClient({ endpoint: process.env.DYNAMODB_ENDPOINT as string, region: 'local' });

  beforeEach(() => {
    recorder.detach();
    recorder = recordDynamoDbCalls(documentClient(), { returnConsumedCapacity: true, modelBilledWrites: modelReader });
  });

  /** The measured request's one transaction as AWS bills it: its table items and its index entries. */
  const billed = () => {
    const units = theWrite().billed;
    console.log(
      `[card write cost] billed by AWS: ${JSON.stringify(units)}; DynamoDB Local reported ${theWrite().capacityUnits} (index ${theWrite().indexCapacityUnits})`,
    );
    return { table: (units?.writeUnits ?? 0) - (units?.indexWriteUnits ?? 0), index: units?.indexWriteUnits ?? 0 };
  };

  // A small profile, its touchpoint, its locator and the rest of the transaction are each under
  // 1 KB: 2 units apiece, however many of them share a size (DynamoDB Local counts shared sizes once).
  it('bills the table part of a known customer’s touchpoint 2 units per item', async () => {
    const { phone } = await knownCustomer();
    startMeasuring();

    await postTouchpoint(touchpointBody({ channel: 'email', identifiers: { phone } }));

    expect(billed().table).toBe(8);
  });

  // A new customer is two items, the profile and the card: 2 units more than when it was one (10),
  // the price of every later touchpoint writing the card alone.
  it('bills a new customer’s first touchpoint 2 units per item and one put of its index entry', async () => {
    startMeasuring();

    await postTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));

    expect(billed()).toEqual({ table: 12, index: 1 });
  });

  it('bills a tier change as a delete and a put of the small index entry, standard writes even in a transaction', async () => {
    const { phone } = await knownCustomer(200 * 24 * 60, { value: 20_000 });
    startMeasuring();

    await postTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone } }));

    // DynamoDB Local reports 4 here: it doubles index writes in a transaction as it does items.
    expect(billed().index).toBe(2);
  });

  // One card update and one decided-by check for the lane, and each visit's touchpoint and locator
  // (2 units apiece): the card stays under 1 KB (it keeps no pages), so five visits cost 4 + 4/5
  // units each, where one by one each visit bills its own card update and check as well.
  it("bills a known visitor's batch of five page views 2 units per visit's item and the card once", async () => {
    const { anonymousId } = await knownVisitor();
    startMeasuring();

    const response = await postBatch({ items: visits(anonymousId, 5) });

    report('folded lane of five web visits');
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 201, 201, 201, 201]);
    expect(roundTrips()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    expect(billed()).toEqual({ table: 2 + 2 + 5 * (2 + 2), index: 0 });
  });

  // Until 3 December the card kept the last pages (up to ten, about 165 bytes each with the bench's
  // addresses): a visitor's card passed 2 KB and every one of their touchpoints billed 6 units for it.
  it('bills a web visit of a customer with many long page addresses behind them 2 units for the card', async () => {
    const { anonymousId } = await knownVisitor();
    // Ten more: 23 touchpoints, short of the frequency threshold of 25 (a tier change writes the index).
    for (let index = 0; index < 10; index += 1) {
      await recordTouchpoint(
        touchpointBody({
          channel: 'web_visit',
          identifiers: { anonymousId },
          occurredAt: minutesAgo(9 - index / 2),
          details: {
            url: `https://www.example.org/products/category-${index}/a-rather-long-product-page-address?utm_source=newsletter`,
            title: `Product ${index}`,
          },
        }),
      );
    }
    startMeasuring();

    await postTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { anonymousId } }));

    expect(billed()).toEqual({ table: 8, index: 0 });
  });

  it('bills a late arrival 2 units per item and nothing in the index, where DynamoDB Local reports 2 in all', async () => {
    const { phone } = await knownCustomer(1);
    startMeasuring();

    await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(60 * 24) }));

    expect(billed()).toEqual({ table: 8, index: 0 });
    expect(theWrite().capacityUnits).toBe(2);
  });
});
