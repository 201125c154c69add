import { beforeAll, describe, expect, it } from 'vitest';
import { countItems, createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getTimeline, lookupCustomer, postBatch } from '../helpers/handlers.ts';
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
    const items = phones.map((phone, index) =>
      touchpointBody({ channel: 'invoice_query', identifiers: { phone: phone.national }, summary: `Item ${index}` }),
    );

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
    const items = [
      touchpointBody({ idempotencyKey: `nightly-${unique()}` }),
      touchpointBody({ idempotencyKey: `nightly-${unique()}` }),
    ];
    const first = await postBatch({ items });
    const before = await countItems();

    const second = await postBatch({ items });

    expect(second.status).toBe(207);
    expect(second.body.results).toEqual(
      first.body.results.map((result: Record<string, unknown>) => ({ ...result, status: 200, replayed: true })),
    );
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
