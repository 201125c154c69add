import { beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../shared/schemas/touchpoint.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

interface Seeded {
  customerId: string;
  /** touchpointId by the label the test gave it */
  ids: Record<string, string>;
}

/** One customer with the given touchpoints, posted one after another in the order listed. */
async function customerWith(touchpoints: Array<{ label: string; channel?: Channel; occurredAt: string }>): Promise<Seeded> {
  const phone = uniquePhone().e164;
  const ids: Record<string, string> = {};
  let customerId = '';
  for (const { label, channel, occurredAt } of touchpoints) {
    const result = await recordTouchpoint(touchpointBody({ channel: channel ?? 'call', identifiers: { phone }, occurredAt, summary: label }));
    ids[label] = result.touchpointId;
    customerId = result.customerId;
  }
  return { customerId, ids };
}

function idsOf(response: { body: { items: Array<{ touchpointId: string }> } }): string[] {
  return response.body.items.map((item) => item.touchpointId);
}

describe('timeline order', () => {
  it('lists touchpoints newest occurredAt first, whatever order they arrived in', async () => {
    const { customerId, ids } = await customerWith([
      { label: 'b', occurredAt: minutesAgo(20) },
      { label: 'd', occurredAt: minutesAgo(5) },
      { label: 'a', occurredAt: minutesAgo(40) },
      { label: 'c', occurredAt: minutesAgo(10) },
    ]);

    const response = await getTimeline(customerId);

    expect(response.status).toBe(200);
    expect(idsOf(response)).toEqual([ids.d, ids.c, ids.b, ids.a]);
    expect(response.body.nextCursor).toBeNull();
  });

  it('puts a late arrival in its place in time order', async () => {
    const { customerId, ids } = await customerWith([
      { label: 'newer', occurredAt: minutesAgo(5) },
      { label: 'older', occurredAt: minutesAgo(60) },
      { label: 'late', occurredAt: minutesAgo(30) },
    ]);

    const response = await getTimeline(customerId);

    expect(idsOf(response)).toEqual([ids.newer, ids.late, ids.older]);
  });

  it('keeps the newest touchpoint as the last contact when a late one arrives', async () => {
    const { customerId, ids } = await customerWith([
      { label: 'newest', occurredAt: minutesAgo(5) },
      { label: 'late', occurredAt: minutesAgo(300) },
    ]);

    const response = await getCustomer(customerId);

    expect(response.body.summary).toMatchObject({ touchpointCount: 2, lastContact: { touchpointId: ids.newest } });
  });

  it('lists two touchpoints that happened at the same moment both, once each', async () => {
    const at = minutesAgo(15);
    const { customerId, ids } = await customerWith([
      { label: 'one', occurredAt: at },
      { label: 'two', occurredAt: at },
    ]);

    const response = await getTimeline(customerId);

    expect(idsOf(response).sort()).toEqual([ids.one, ids.two].sort());
  });
});

describe('timeline channel filter', () => {
  async function mixedCustomer() {
    return customerWith([
      { label: 'call1', channel: 'call', occurredAt: minutesAgo(50) },
      { label: 'email1', channel: 'email', occurredAt: minutesAgo(40) },
      { label: 'web1', channel: 'web_visit', occurredAt: minutesAgo(30) },
      { label: 'call2', channel: 'call', occurredAt: minutesAgo(20) },
      { label: 'sms1', channel: 'sms', occurredAt: minutesAgo(10) },
    ]);
  }

  it('shows only the touchpoints of one channel', async () => {
    const { customerId, ids } = await mixedCustomer();

    const response = await getTimeline(customerId, { channel: 'call' });

    expect(idsOf(response)).toEqual([ids.call2, ids.call1]);
  });

  it('shows the touchpoints of every channel in a comma-separated list, newest first', async () => {
    const { customerId, ids } = await mixedCustomer();

    const response = await getTimeline(customerId, { channel: 'call,email' });

    expect(idsOf(response)).toEqual([ids.call2, ids.email1, ids.call1]);
  });

  it('accepts spaces around the channels of the list', async () => {
    const { customerId, ids } = await mixedCustomer();

    const response = await getTimeline(customerId, { channel: 'sms, web_visit' });

    expect(idsOf(response)).toEqual([ids.sms1, ids.web1]);
  });

  it('returns every filtered touchpoint exactly once when paging through small pages', async () => {
    const { customerId, ids } = await mixedCustomer();

    const items = await wholeTimeline(customerId, { channel: 'call,web_visit', limit: '1' });

    expect(items.map((item) => item.touchpointId)).toEqual([ids.call2, ids.web1, ids.call1]);
  });

  it('answers 422 naming query.channel for a channel it does not know', async () => {
    const { customerId } = await customerWith([{ label: 'only', occurredAt: minutesAgo(1) }]);

    const response = await getTimeline(customerId, { channel: 'call,fax' });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: expect.stringMatching(/^query\.channel/) })]);
  });
});

describe('timeline time window', () => {
  const at = (minutes: number) => minutesAgo(minutes, Date.parse('2026-11-20T12:00:00Z'));

  async function fiveInARow() {
    return customerWith([
      { label: 't1', occurredAt: at(50) },
      { label: 't2', occurredAt: at(40) },
      { label: 't3', occurredAt: at(30) },
      { label: 't4', occurredAt: at(20) },
      { label: 't5', occurredAt: at(10) },
    ]);
  }

  it('shows the touchpoints from one moment to another, both ends included', async () => {
    const { customerId, ids } = await fiveInARow();

    const response = await getTimeline(customerId, { from: at(40), to: at(20) });

    expect(idsOf(response)).toEqual([ids.t4, ids.t3, ids.t2]);
  });

  it('shows the touchpoints from a moment onwards', async () => {
    const { customerId, ids } = await fiveInARow();

    const response = await getTimeline(customerId, { from: at(25) });

    expect(idsOf(response)).toEqual([ids.t5, ids.t4]);
  });

  it('shows the touchpoints up to a moment', async () => {
    const { customerId, ids } = await fiveInARow();

    const response = await getTimeline(customerId, { to: at(35) });

    expect(idsOf(response)).toEqual([ids.t2, ids.t1]);
  });

  it('reads a window given with a UTC offset as the same instants', async () => {
    const { customerId, ids } = await fiveInARow();

    // 11:10 to 11:30 UTC, written in UTC+01:00
    const response = await getTimeline(customerId, { from: '2026-11-20T12:10:00+01:00', to: '2026-11-20T12:30:00+01:00' });

    expect(idsOf(response)).toEqual([ids.t3, ids.t2, ids.t1]);
  });

  it('combines the window with the channel filter', async () => {
    const { customerId, ids } = await customerWith([
      { label: 'oldCall', channel: 'call', occurredAt: at(50) },
      { label: 'email', channel: 'email', occurredAt: at(30) },
      { label: 'call', channel: 'call', occurredAt: at(20) },
    ]);

    const response = await getTimeline(customerId, { channel: 'call', from: at(40) });

    expect(idsOf(response)).toEqual([ids.call]);
  });

  it('answers 200 with no items for a window with no touchpoints', async () => {
    const { customerId } = await fiveInARow();

    const response = await getTimeline(customerId, { from: at(5) });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 422 when from is after to', async () => {
    const { customerId } = await customerWith([{ label: 'only', occurredAt: minutesAgo(1) }]);

    const response = await getTimeline(customerId, { from: at(10), to: at(20) });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.from' })]);
  });

  it('answers 422 for a window bound without a UTC offset', async () => {
    const { customerId } = await customerWith([{ label: 'only', occurredAt: minutesAgo(1) }]);

    const response = await getTimeline(customerId, { from: '2026-11-20T11:00:00' });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.from' })]);
  });
});

describe('timeline errors', () => {
  it('answers 404 problem details for a customer id nobody has', async () => {
    const response = await getTimeline('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB');

    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
  });

  it('answers 422 naming path.customerId for an id this API would never issue', async () => {
    const response = await getTimeline('not-a-customer');

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'path.customerId' })]);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['JSON without a sort key', Buffer.from(JSON.stringify({ v: 1 })).toString('base64url')],
    ['a key outside the timeline', Buffer.from(JSON.stringify({ v: 1, sk: 'Z#PROFILE' })).toString('base64url')],
    ['an unknown version', Buffer.from(JSON.stringify({ v: 99, sk: 'T#2026' })).toString('base64url')],
  ])('answers 400 naming query.cursor for a cursor that is %s', async (_kind, cursor) => {
    const { customerId } = await customerWith([{ label: 'only', occurredAt: minutesAgo(1) }]);

    const response = await getTimeline(customerId, { cursor });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
  });

  it('answers 400, not 500, for a cursor from before the time window was narrowed past it', async () => {
    const { customerId } = await customerWith([
      { label: 'older', occurredAt: minutesAgo(40) },
      { label: 'newer', occurredAt: minutesAgo(20) },
    ]);
    const first = await getTimeline(customerId, { limit: '1' });

    const response = await getTimeline(customerId, { limit: '1', cursor: first.body.nextCursor, to: minutesAgo(30) });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
  });

  it("answers 400 for a cursor issued for another customer's timeline", async () => {
    const one = await customerWith([
      { label: 'a', occurredAt: minutesAgo(40) },
      { label: 'b', occurredAt: minutesAgo(20) },
    ]);
    const other = await customerWith([{ label: 'c', occurredAt: minutesAgo(60) }]);
    const cursorOfOne = (await getTimeline(one.customerId, { limit: '1' })).body.nextCursor;

    const response = await getTimeline(other.customerId, { cursor: cursorOfOne });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
  });
});
