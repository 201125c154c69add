import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getTimeline, recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * One customer with 201 touchpoints, enough to show both the default page (50) and the largest
 * (200). The tests only read it; writing 201 touchpoints per test would dominate the suite's time.
 */
let customerId = '';
const base = Date.parse('2026-10-01T12:00:00Z');

beforeAll(async () => {
  await createTestTable();
  const phone = uniquePhone().e164;
  for (let index = 0; index < 201; index += 1) {
    const occurredAt = new Date(base - index * 60_000).toISOString();
    ({ customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt })));
  }
}, 120_000);

describe('timeline page size', () => {
  it('returns 50 touchpoints and a cursor when no limit is given', async () => {
    const response = await getTimeline(customerId);

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(50);
    expect(response.body.nextCursor).toEqual(expect.any(String));
  });

  it('returns as many touchpoints as the limit asks for', async () => {
    const response = await getTimeline(customerId, { limit: '7' });

    expect(response.body.items).toHaveLength(7);
  });

  it('returns 200 touchpoints for the largest limit, 200', async () => {
    const response = await getTimeline(customerId, { limit: '200' });

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(200);
    expect(response.body.nextCursor).toEqual(expect.any(String));
  });

  it('returns the one remaining touchpoint on the page after 200', async () => {
    const first = await getTimeline(customerId, { limit: '200' });

    const second = await getTimeline(customerId, { limit: '200', cursor: first.body.nextCursor });

    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].occurredAt).toBe(new Date(base - 200 * 60_000).toISOString());
    expect(second.body.nextCursor).toBeNull();
  });

  it.each(['201', '0', '-1', '2.5', 'fifty'])('answers 422 naming query.limit for limit=%s', async (limit) => {
    const response = await getTimeline(customerId, { limit });

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.limit' })]);
  });
});
