import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, lookupCustomer, postBatch, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

let recorder: CallRecorder;

beforeAll(async () => {
  await createTestTable();
});

beforeEach(() => {
  // The very client the handlers use (built once per module graph, as at a Lambda cold start).
  recorder = recordDynamoDbCalls(documentClient());
});

afterEach(() => {
  recorder.detach();
});

/** Every round trip since the last reset, a rejected one (a cancelled transaction) included. */
function commands(): string[] {
  return recorder.calls.map((call) => call.command);
}

function reset(): void {
  recorder.reset();
}

describe('DynamoDB round trips', () => {
  it('records a touchpoint for a known customer with one read and one write', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(10) }));
    reset();

    const response = await postTouchpoint(touchpointBody({ channel: 'sms', identifiers: { phone, email: `x.${unique()}@example.com` } }));

    expect(response.status).toBe(201);
    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('records a late arrival for a known customer with one read and one write', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(10) }));
    reset();

    const response = await postTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(60 * 24) }));

    expect(response.status).toBe(201);
    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('records a first contact with one read and one write', async () => {
    const response = await postTouchpoint(touchpointBody());

    expect(response.body.customerCreated).toBe(true);
    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('records a touchpoint with an idempotency key for a known customer with one read and one write', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(10) }));
    reset();

    await postTouchpoint(touchpointBody({ identifiers: { phone } }), { 'Idempotency-Key': `key-${unique()}` });

    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });

  it("records a batch of one known visitor's page views with one read and one write", async () => {
    const anonymousId = `cookie-${unique()}`;
    // Past the first frequency thresholds (3 and 10), with room in the stored page list: the card's guards hold.
    for (let index = 12; index >= 1; index -= 1) {
      await recordTouchpoint(touchpointBody({ channel: 'chat', identifiers: { anonymousId }, occurredAt: minutesAgo(10 + index) }));
    }
    reset();
    const visits = Array.from({ length: 5 }, (_, index) =>
      touchpointBody({ channel: 'web_visit', identifiers: { anonymousId }, idempotencyKey: `web-${unique()}`, occurredAt: minutesAgo(5 - index) }),
    );

    const response = await postBatch({ items: visits });

    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 201, 201, 201, 201]);
    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });

  it("records a known customer's batch of 45 in two chunks, each with one read and one write", async () => {
    const phone = uniquePhone().e164;
    // 50 touchpoints and more cross no frequency threshold: the card's guards hold for both chunks.
    await postBatch({ items: Array.from({ length: 50 }, (_, index) => touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(200 - index) })) });
    reset();
    const items = Array.from({ length: 45 }, (_, index) => touchpointBody({ channel: 'email', identifiers: { phone }, occurredAt: minutesAgo(50 - index) }));

    const response = await postBatch({ items });

    expect(response.body.results.filter((result: { status: number }) => result.status === 201)).toHaveLength(45);
    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand', 'BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('records a frequency threshold that leaves the tier as it is with one read and one write', async () => {
    const phone = uniquePhone().e164;
    // 24 touchpoints and 1,500 of value: gold on 8 points (recency 4, frequency 2, monetary 2), gold until 10.
    await postBatch({
      items: Array.from({ length: 24 }, (_, index) =>
        touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(100 - index), ...(index === 0 ? { value: 1_500 } : {}) }),
      ),
    });
    reset();

    // The 25th raises the frequency score to 3: 9 points, still gold.
    const response = await postTouchpoint(touchpointBody({ identifiers: { phone } }));

    expect(response.status).toBe(201);
    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
    expect((await lookupCustomer({ phone })).body.card.valueTier).toMatchObject({ name: 'gold', scores: { frequency: 3 } });
  });

  it('records a touchpoint that changes the tier with a write the card refuses and its exact retry', async () => {
    const phone = uniquePhone().e164;
    await postBatch({ items: [1, 2].map((index) => touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(100 - index) })) });
    reset();

    // The third makes a bronze customer (4 points) silver: the fast write's guard sends it to the exact path.
    await postTouchpoint(touchpointBody({ identifiers: { phone } }));

    expect(commands()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand', 'TransactWriteItemsCommand']);
    expect((await lookupCustomer({ phone })).body.card.valueTier).toMatchObject({ name: 'silver' });
  });

  it('answers a replay with one read and no write', async () => {
    const body = touchpointBody();
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    await recordTouchpoint(body, headers);
    reset();

    const replay = await postTouchpoint(body, headers);

    expect(replay.status).toBe(200);
    expect(commands()).toEqual(['BatchGetItemCommand']);
  });

  it('looks a customer up by phone with a GetItem and a Query', async () => {
    const phone = uniquePhone();
    await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));
    reset();

    const response = await lookupCustomer({ phone: phone.national });

    expect(response.status).toBe(200);
    expect(commands()).toEqual(['GetItemCommand', 'QueryCommand']);
  });

  it('looks a customer up by customer id with one Query', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());
    reset();

    const response = await lookupCustomer({ customerId });

    expect(response.status).toBe(200);
    expect(commands()).toEqual(['QueryCommand']);
  });

  it('reads a customer with one Query', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());
    reset();

    const response = await getCustomer(customerId);

    expect(response.status).toBe(200);
    expect(commands()).toEqual(['QueryCommand']);
  });

  it('reads the first timeline page with one Query and the merge state of the profile (a merge must not cut it short)', async () => {
    const phone = uniquePhone().e164;
    let customerId = '';
    for (let index = 5; index >= 1; index -= 1) {
      ({ customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(index) })));
    }
    reset();

    const response = await getTimeline(customerId, { limit: '2' });

    expect(response.body.items).toHaveLength(2);
    expect(commands()).toEqual(['QueryCommand', 'GetItemCommand']);
  });

  it('reads a later timeline page with one Query and the merge state of the profile', async () => {
    const phone = uniquePhone().e164;
    let customerId = '';
    for (let index = 5; index >= 1; index -= 1) {
      ({ customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(index) })));
    }
    const first = await getTimeline(customerId, { limit: '2' });
    reset();

    const second = await getTimeline(customerId, { limit: '2', cursor: first.body.nextCursor });

    expect(second.body.items).toHaveLength(2);
    expect(commands()).toEqual(['QueryCommand', 'GetItemCommand']);
  });

  it('reads a filtered timeline page with one Query and the merge state of the profile', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(3) }));
    await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { phone }, occurredAt: minutesAgo(2) }));
    reset();

    const response = await getTimeline(customerId, { channel: 'call,sms', from: minutesAgo(60) });

    expect(response.body.items).toHaveLength(1);
    expect(commands()).toEqual(['QueryCommand', 'GetItemCommand']);
  });
});
