import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { type FaultInjector, injectDynamoDbFaults } from '../../shared/db/fault-injection.ts';
import { countItems, createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getTimeline, lookupCustomer, postBatch, postTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

async function touchpointCount(): Promise<number> {
  return (await itemsOfEntity('touchpoint')).length;
}

describe('batch ingest', () => {
  it('answers 207 with one result per item, in the order of the items', async () => {
    const phones = Array.from({ length: 12 }, () => uniquePhone());
    const items = phones.map((phone, index) => touchpointBody({ channel: 'invoice_query', identifiers: { phone: phone.national }, summary: `Item ${index}` }));

    const response = await postBatch({ items });

    expect(response.status).toBe(207);
    expect(response.body.results).toHaveLength(12);
    for (const [index, phone] of phones.entries()) {
      expect(response.body.results[index]).toMatchObject({ status: 201, customerCreated: true, replayed: false });
      const lookup = await lookupCustomer({ phone: phone.e164 });
      expect(lookup.body.customer.customerId).toBe(response.body.results[index].customerId);
      expect(lookup.body.recent[0]).toMatchObject({ touchpointId: response.body.results[index].touchpointId, summary: `Item ${index}` });
    }
  });

  it('fails a bad item alone with a 422 problem in its slot and stores the others', async () => {
    const good = [uniquePhone(), uniquePhone()];
    const items = [
      touchpointBody({ identifiers: { phone: good[0]?.e164 } }),
      touchpointBody({ identifiers: { phone: '020 7946 001' } }),
      touchpointBody({ identifiers: { phone: good[1]?.e164 } }),
    ];
    const before = await touchpointCount();

    const response = await postBatch({ items });

    expect(response.status).toBe(207);
    expect(response.body.results[0]).toMatchObject({ status: 201 });
    expect(response.body.results[1]).toMatchObject({
      status: 422,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
      errors: [expect.objectContaining({ path: 'identifiers.phone' })],
    });
    expect(response.body.results[2]).toMatchObject({ status: 201 });
    expect(await touchpointCount()).toBe(before + 2);
    expect((await lookupCustomer({ phone: good[1]?.e164 as string })).status).toBe(200);
  });

  it('fails an item that is not an object alone', async () => {
    const response = await postBatch({ items: [null, touchpointBody(), 'call'] });

    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([422, 201, 422]);
  });

  it('replays items whose idempotency keys were used in an earlier batch with status 200', async () => {
    const items = [touchpointBody({ idempotencyKey: `nightly-${unique()}` }), touchpointBody({ idempotencyKey: `nightly-${unique()}` })];
    const first = await postBatch({ items });
    const before = await countItems();

    const second = await postBatch({ items });

    expect(second.status).toBe(207);
    expect(second.body.results).toEqual(first.body.results.map((result: Record<string, unknown>) => ({ ...result, status: 200, replayed: true })));
    expect(await countItems()).toBe(before);
  });

  it('records new items and replays known ones in the same batch', async () => {
    const known = touchpointBody({ idempotencyKey: `nightly-${unique()}` });
    const fresh = touchpointBody({ idempotencyKey: `nightly-${unique()}` });
    await postBatch({ items: [known] });

    const response = await postBatch({ items: [known, fresh] });

    expect(response.body.results.map((result: { status: number; replayed: boolean }) => [result.status, result.replayed])).toEqual([
      [200, true],
      [201, false],
    ]);
  });

  it('records an item once when the same item and key appear twice in one batch', async () => {
    const item = touchpointBody({ idempotencyKey: `nightly-${unique()}` });

    const response = await postBatch({ items: [item, item] });

    const [first, second] = response.body.results;
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    expect(second.touchpointId).toBe(first.touchpointId);
    expect((await getTimeline(first.customerId)).body.items).toHaveLength(1);
  });

  it('answers 409 in the slot of an item that reuses a key for another body', async () => {
    const key = `nightly-${unique()}`;
    await postBatch({ items: [touchpointBody({ idempotencyKey: key, summary: 'first' })] });
    const before = await touchpointCount();

    const response = await postBatch({ items: [touchpointBody({ idempotencyKey: key, summary: 'second' })] });

    expect(response.body.results[0]).toMatchObject({ status: 409, type: expect.any(String), title: expect.any(String) });
    expect(await touchpointCount()).toBe(before);
  });

  it('records every item of one customer when a batch holds several touchpoints for it', async () => {
    const phone = uniquePhone().e164;
    const items = Array.from({ length: 10 }, (_, index) => touchpointBody({ identifiers: { phone }, summary: `Query ${index}` }));

    const response = await postBatch({ items });

    const customerIds = new Set(response.body.results.map((result: { customerId: string }) => result.customerId));
    expect(customerIds.size).toBe(1);
    expect(response.body.results.filter((result: { customerCreated: boolean }) => result.customerCreated)).toHaveLength(1);
    const timeline = await getTimeline([...customerIds][0] as string);
    expect(timeline.body.items).toHaveLength(10);
  });

  it('accepts 100 items', async () => {
    const items = Array.from({ length: 100 }, () => touchpointBody());

    const response = await postBatch({ items });

    expect(response.status).toBe(207);
    expect(response.body.results.filter((result: { status: number }) => result.status === 201)).toHaveLength(100);
  }, 60_000);

  it('answers 422 for more than 100 items and stores nothing', async () => {
    const items = Array.from({ length: 101 }, () => touchpointBody());
    const before = await countItems();

    const response = await postBatch({ items });

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'items' })]);
    expect(await countItems()).toBe(before);
  });

  it('answers 422 for an empty batch', async () => {
    const response = await postBatch({ items: [] });

    expect(response.status).toBe(422);
  });

  it('answers 422 for a body without items', async () => {
    const response = await postBatch([touchpointBody()]);

    expect(response.status).toBe(422);
  });

  it('answers 415 for a batch that is not sent as JSON and stores nothing', async () => {
    const before = await countItems();

    const response = await postBatch(JSON.stringify({ items: [touchpointBody()] }), { 'content-type': 'text/plain' });

    expect(response.status).toBe(415);
    expect(await countItems()).toBe(before);
  });

  it('answers 400 for a batch that is not valid JSON', async () => {
    const response = await postBatch('{"items": [', { 'content-type': 'application/json' });

    expect(response.status).toBe(400);
  });
});

describe('batch ingest with an Idempotency-Key header', () => {
  let faults: FaultInjector | undefined;

  afterEach(() => {
    faults?.detach();
    faults = undefined;
  });

  const statuses = (response: { body: { results: Array<{ status: number }> } }) => response.body.results.map((result) => result.status);

  it('replays the whole batch when it is sent again, storing nothing more', async () => {
    const body = { items: Array.from({ length: 5 }, (_, index) => touchpointBody({ summary: `Nightly ${index}` })) };
    const headers = { 'idempotency-key': `nightly-${unique()}` };
    const first = await postBatch(body, headers);
    const before = await countItems();

    const second = await postBatch(body, headers);

    expect(statuses(first)).toEqual([201, 201, 201, 201, 201]);
    expect(second.status).toBe(207);
    expect(second.body.results).toEqual(first.body.results.map((result: Record<string, unknown>) => ({ ...result, status: 200, replayed: true })));
    expect(await countItems()).toBe(before);
  });

  it('answers 409 for the same key with a different batch and stores nothing', async () => {
    const key = `nightly-${unique()}`;
    await postBatch({ items: [touchpointBody(), touchpointBody()] }, { 'idempotency-key': key });
    const before = await countItems();

    const reuse = await postBatch({ items: [touchpointBody(), touchpointBody(), touchpointBody()] }, { 'idempotency-key': key });

    expect(reuse.status).toBe(409);
    expect(reuse.body.type).toMatch(/idempotency-conflict$/);
    expect(await countItems()).toBe(before);
  });

  it('records on a retry the items a fault failed the first time, and only those', async () => {
    const body = { items: Array.from({ length: 4 }, () => touchpointBody()) };
    const headers = { 'idempotency-key': `nightly-${unique()}` };
    // The first item's transaction fails as a throttled one; every other call goes through.
    let transactions = 0;
    faults = injectDynamoDbFaults(documentClient(), {
      rate: 0.5,
      kinds: ['transaction-throttle'],
      commands: ['TransactWriteItemsCommand'],
      random: () => (transactions++ < 2 ? 0 : 0.999_999),
    });
    const first = await postBatch(body, headers);
    faults.detach();
    const touchpointsAfterFirst = (await itemsOfEntity('touchpoint')).length;

    const retry = await postBatch(body, headers);

    const failed = statuses(first).indexOf(503);
    expect(statuses(first).filter((status) => status === 503)).toHaveLength(1);
    expect(statuses(retry)).toEqual(statuses(first).map((status) => (status === 503 ? 201 : 200)));
    for (const [index, result] of retry.body.results.entries()) {
      if (index !== failed) expect(result.touchpointId).toBe(first.body.results[index].touchpointId);
    }
    expect((await itemsOfEntity('touchpoint')).length).toBe(touchpointsAfterFirst + 1);
  });

  it('answers an item whose write landed but whose answer was lost as recorded, and a retry replays every item', async () => {
    const body = { items: Array.from({ length: 3 }, () => touchpointBody()) };
    const headers = { 'idempotency-key': `nightly-${unique()}` };
    let transactions = 0;
    faults = injectDynamoDbFaults(documentClient(), {
      rate: 0.5,
      kinds: ['lost-response'],
      commands: ['TransactWriteItemsCommand'],
      random: () => (transactions++ < 2 ? 0 : 0.999_999),
    });
    const first = await postBatch(body, headers);
    faults.detach();
    const touchpointsAfterFirst = (await itemsOfEntity('touchpoint')).length;

    const retry = await postBatch(body, headers);

    // The ingest tries its lost write again and finds it stored: the slot says 201, not a 503 that wrote.
    expect(statuses(first)).toEqual([201, 201, 201]);
    expect(statuses(retry)).toEqual([200, 200, 200]);
    expect((await itemsOfEntity('touchpoint')).length).toBe(touchpointsAfterFirst);
  });

  it('keeps the batch key apart from single posts: the same key on a single post records it anew', async () => {
    const key = `nightly-${unique()}`;
    const item = touchpointBody();
    const batch = await postBatch({ items: [item] }, { 'idempotency-key': key });

    const single = await postTouchpoint(item, { 'idempotency-key': key });

    expect(batch.body.results[0].status).toBe(201);
    expect(single.status).toBe(201);
    expect(single.body.touchpointId).not.toBe(batch.body.results[0].touchpointId);
  });

  it("uses an item's own idempotency key for that item", async () => {
    const keyed = touchpointBody({ idempotencyKey: `own-${unique()}` });
    const earlier = await postBatch({ items: [keyed] });

    const response = await postBatch({ items: [keyed, touchpointBody()] }, { 'idempotency-key': `nightly-${unique()}` });

    expect(statuses(response)).toEqual([200, 201]);
    expect(response.body.results[0].touchpointId).toBe(earlier.body.results[0].touchpointId);
  });

  it('records each item once when the same batch is sent twice at once', async () => {
    const body = { items: Array.from({ length: 6 }, () => touchpointBody()) };
    const headers = { 'idempotency-key': `nightly-${unique()}` };
    const before = (await itemsOfEntity('touchpoint')).length;

    const [one, other] = await Promise.all([postBatch(body, headers), postBatch(body, headers)]);

    expect((await itemsOfEntity('touchpoint')).length).toBe(before + 6);
    for (const [index, result] of one.body.results.entries()) {
      expect([result.status, other.body.results[index].status].sort()).toEqual([200, 201]);
      expect(other.body.results[index].touchpointId).toBe(result.touchpointId);
    }
  });

  it('answers 422 for a malformed header and stores nothing', async () => {
    const before = await countItems();

    const response = await postBatch({ items: [touchpointBody()] }, { 'idempotency-key': 'has spaces' });

    expect(response.status).toBe(422);
    expect(await countItems()).toBe(before);
  });
});
