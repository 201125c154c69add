import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getTimeline, recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

const base = Date.parse('2026-11-01T12:00:00Z');
/** `index` minutes before the base; fractions place a touchpoint between two others. */
const minutesBeforeBase = (index: number) => new Date(base - index * 60_000).toISOString();

async function postAt(phone: string, occurredAt: string) {
  return recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt }));
}

/** One customer with `count` touchpoints, one a minute back from the base, posted newest first. */
async function customerWithTouchpoints(count: number) {
  const phone = uniquePhone().e164;
  const ids: string[] = [];
  let customerId = '';
  for (let index = 0; index < count; index += 1) {
    const result = await postAt(phone, minutesBeforeBase(index));
    ids.push(result.touchpointId);
    customerId = result.customerId;
  }
  return { phone, ids, customerId };
}

describe('paging through a timeline', () => {
  it('returns all 120 touchpoints exactly once while late arrivals are inserted between pages', async () => {
    const { phone, ids, customerId } = await customerWithTouchpoints(120);
    const expected = new Set(ids);
    const seen: string[] = [];
    const seenTimes: string[] = [];
    let cursor: string | null = null;
    let oldestReadIndex = -1;
    let page = 0;

    do {
      const response = await getTimeline(customerId, { limit: '25', ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      for (const item of response.body.items) {
        seen.push(item.touchpointId);
        seenTimes.push(item.occurredAt);
      }
      cursor = response.body.nextCursor;
      oldestReadIndex += response.body.items.length;
      page += 1;
      if (cursor && page <= 4) {
        // Late arrivals: older than anything read so far, so they belong to pages still to come;
        // one between two unread touchpoints, one at the very same moment as an unread one.
        expected.add((await postAt(phone, minutesBeforeBase(oldestReadIndex + 3.5))).touchpointId);
        expected.add((await postAt(phone, minutesBeforeBase(oldestReadIndex + 7))).touchpointId);
      }
    } while (cursor);

    expect(seen.length).toBe(new Set(seen).size);
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(seenTimes).toEqual([...seenTimes].sort().reverse());
  }, 180_000);

  it('returns no touchpoint twice when new ones arrive at the top while paging', async () => {
    const { phone, ids, customerId } = await customerWithTouchpoints(30);
    const seen: string[] = [];
    let cursor: string | null = null;

    do {
      const response = await getTimeline(customerId, { limit: '7', ...(cursor ? { cursor } : {}) });
      seen.push(...response.body.items.map((item: { touchpointId: string }) => item.touchpointId));
      cursor = response.body.nextCursor;
      await postAt(phone, new Date().toISOString());
    } while (cursor);

    expect(seen.length).toBe(new Set(seen).size);
    expect(seen).toEqual(expect.arrayContaining(ids));
  }, 90_000);

  it('ends with a null cursor on the last page', async () => {
    const { customerId } = await customerWithTouchpoints(3);

    const response = await getTimeline(customerId, { limit: '10' });

    expect(response.body.items).toHaveLength(3);
    expect(response.body.nextCursor).toBeNull();
  });
});
