import { beforeAll, describe, expect, it } from 'vitest';
import { countItems, createTestTable } from '../helpers/dynamodb.ts';
import { getTimeline, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

/** A read may itself write (the read audit): tests count items before calling this, never after. */
async function timelineLength(customerId: string): Promise<number> {
  return (await getTimeline(customerId, { limit: '200' })).body.items.length;
}

describe('idempotent ingest', () => {
  it('answers a replay with the Idempotency-Key header with 200 and the original result', async () => {
    const body = touchpointBody();
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    const original = await postTouchpoint(body, headers);

    const replay = await postTouchpoint(body, headers);

    expect(original.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ ...original.body, replayed: true });
  });

  it('stores nothing for a replay with the Idempotency-Key header', async () => {
    const body = touchpointBody();
    const headers = { 'idempotency-key': `key-${unique()}` };
    const original = await recordTouchpoint(body, headers);
    const itemsBefore = await countItems();

    await postTouchpoint(body, headers);

    const itemsAfter = await countItems();
    expect(itemsAfter).toBe(itemsBefore);
    expect(await timelineLength(original.customerId)).toBe(1);
  });

  it('answers a replay with the idempotencyKey in the body with 200 and the original result', async () => {
    const body = touchpointBody({ idempotencyKey: `key-${unique()}` });
    const original = await postTouchpoint(body);

    const replay = await postTouchpoint(body);

    expect(original.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ ...original.body, replayed: true });
  });

  it('stores nothing for a replay with the idempotencyKey in the body', async () => {
    const body = touchpointBody({ idempotencyKey: `key-${unique()}` });
    const original = await recordTouchpoint(body);
    const itemsBefore = await countItems();

    await postTouchpoint(body);

    const itemsAfter = await countItems();
    expect(itemsAfter).toBe(itemsBefore);
    expect(await timelineLength(original.customerId)).toBe(1);
  });

  it('treats the same key sent in the body and then in the header as a replay', async () => {
    const key = `key-${unique()}`;
    const body = touchpointBody();
    const original = await recordTouchpoint({ ...body, idempotencyKey: key });

    const replay = await postTouchpoint(body, { 'Idempotency-Key': key });

    expect(replay.status).toBe(200);
    expect(replay.body.touchpointId).toBe(original.touchpointId);
  });

  it('recognises a replay whose JSON lists the same fields in another order', async () => {
    const body = touchpointBody();
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    const original = await recordTouchpoint(body, headers);
    const reordered = Object.fromEntries(Object.entries(body).reverse());

    const replay = await postTouchpoint(reordered, headers);

    expect(replay.status).toBe(200);
    expect(replay.body.touchpointId).toBe(original.touchpointId);
  });

  it('replays the original customerCreated even though the customer exists by now', async () => {
    const body = touchpointBody();
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    await recordTouchpoint(body, headers);

    const replay = await postTouchpoint(body, headers);

    expect(replay.body).toMatchObject({ customerCreated: true, replayed: true });
  });

  it('answers 409 problem details when the key is reused with a different body', async () => {
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, summary: 'first' }), headers);

    const reuse = await postTouchpoint(touchpointBody({ identifiers: { phone }, summary: 'something else' }), headers);

    expect(reuse.status).toBe(409);
    expect(reuse.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reuse.body).toMatchObject({ status: 409, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  });

  it('stores nothing when the key is reused with a different body', async () => {
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    const phone = uniquePhone().e164;
    const original = await recordTouchpoint(touchpointBody({ identifiers: { phone }, summary: 'first' }), headers);
    const itemsBefore = await countItems();

    await postTouchpoint(touchpointBody({ identifiers: { phone }, summary: 'something else' }), headers);

    const itemsAfter = await countItems();
    expect(itemsAfter).toBe(itemsBefore);
    expect(await timelineLength(original.customerId)).toBe(1);
  });

  it('records two different bodies without a key as two touchpoints', async () => {
    const phone = uniquePhone().e164;
    const body = touchpointBody({ identifiers: { phone } });
    const first = await recordTouchpoint(body);

    const second = await postTouchpoint(body);

    expect(second.status).toBe(201);
    expect(await timelineLength(first.customerId)).toBe(2);
  });

  it('answers 422 when the header and the body name different keys, and stores nothing', async () => {
    const itemsBefore = await countItems();

    const response = await postTouchpoint(touchpointBody({ idempotencyKey: `a-${unique()}` }), { 'Idempotency-Key': `b-${unique()}` });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'idempotencyKey' })]);
    expect(await countItems()).toBe(itemsBefore);
  });

  it('answers 422 for a key with spaces in it', async () => {
    const response = await postTouchpoint(touchpointBody(), { 'Idempotency-Key': 'not a key' });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'Idempotency-Key' })]);
  });

  it('records one touchpoint when 10 requests with the same key arrive at once', async () => {
    const body = touchpointBody();
    const headers = { 'Idempotency-Key': `key-${unique()}` };

    const responses = await Promise.all(Array.from({ length: 10 }, () => postTouchpoint(body, headers)));

    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.touchpointId)).size).toBe(1);
    expect(await timelineLength(responses[0]?.body.customerId)).toBe(1);
  });

  it('answers one of several different bodies sent at once under one key with 201 and the others with 409', async () => {
    const phone = uniquePhone().e164;
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    const bodies = Array.from({ length: 5 }, (_, index) => touchpointBody({ identifiers: { phone }, summary: `body ${index}` }));

    const responses = await Promise.all(bodies.map((body) => postTouchpoint(body, headers)));

    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const stored = responses.find((response) => response.status === 201);
    expect(await timelineLength(stored?.body.customerId)).toBe(1);
  });

  it('keeps a keyed touchpoint in no more items than one without a key', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const before = await countItems();
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const unkeyed = (await countItems()) - before;

    await recordTouchpoint(touchpointBody({ identifiers: { phone } }), { 'Idempotency-Key': `key-${unique()}` });

    expect((await countItems()) - before - unkeyed).toBe(unkeyed);
  });
});
