import { describe, expect, it } from 'vitest';
import { maxTraits } from '../../shared/domain/bounds.ts';
import type { JsonResponse } from '../helpers/json-client.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

const client = useTestApiClient();

/** A customer id of the right shape that no customer has. */
const unknownCustomerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';

function sendJson(method: string, path: string, body: unknown): Promise<JsonResponse> {
  return client.send(method, path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/**
 * A new customer whose one touchpoint puts them in a tier (recency scores 4 for a recent contact):
 * no value -> bronze (4), 100 -> silver (4 + 1), 20,000 -> gold (4 + 4).
 */
async function customerWithValue(value: number | undefined, occurredAt = minutesAgo(5)): Promise<string> {
  const response = await client.post(
    '/v1/touchpoints',
    touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt, ...(value === undefined ? {} : { value }) }),
  );
  expect(response.status).toBe(201);
  return response.body.customerId;
}

const dayMinutes = 24 * 60;

/** Every customer id of a tier, page by page, with the number of pages read. */
async function wholeTier(tier: string, limit: number): Promise<{ customerIds: string[]; tiers: string[]; pages: number }> {
  const customerIds: string[] = [];
  const tiers: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query = new URLSearchParams({ tier, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const response = await client.get(`/v1/customers?${query}`);
    expect(response.status).toBe(200);
    for (const item of response.body.items) {
      customerIds.push(item.customerId);
      tiers.push(item.card.valueTier.name);
    }
    cursor = response.body.nextCursor;
    pages += 1;
  } while (cursor);
  return { customerIds, tiers, pages };
}

describe('GET /v1/customers?tier=', () => {
  it("lists a tier's customers with their cards, and not the customers of another tier", async () => {
    const gold = await customerWithValue(20_000);
    const silver = await customerWithValue(100);

    const response = await client.get('/v1/customers?tier=gold');

    expect(response.status).toBe(200);
    const ids = response.body.items.map((item: { customerId: string }) => item.customerId);
    expect(ids).toContain(gold);
    expect(ids).not.toContain(silver);
    expect(response.body.items.find((item: { customerId: string }) => item.customerId === gold).card).toMatchObject({
      valueTier: { name: 'gold', monetaryTotal: 20_000 },
      touchpointCount: 1,
    });
  });

  it('pages through a tier with nextCursor, every customer once', async () => {
    const mine: string[] = [];
    for (let index = 0; index < 5; index += 1) mine.push(await customerWithValue(150));

    const { customerIds, tiers, pages } = await wholeTier('silver', 2);

    expect(new Set(customerIds).size).toBe(customerIds.length);
    expect(customerIds).toEqual(expect.arrayContaining(mine));
    expect(new Set(tiers)).toEqual(new Set(['silver']));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('lists the customers by the day of their last contact, the most recent day first', async () => {
    // Two days and more apart: on three days (UTC) whatever the hour the test runs at.
    const longAgo = await customerWithValue(undefined, minutesAgo(5 * dayMinutes));
    const recently = await customerWithValue(undefined, minutesAgo(2));
    const inBetween = await customerWithValue(undefined, minutesAgo(2 * dayMinutes + 1));

    const { customerIds } = await wholeTier('bronze', 200);

    const mine = customerIds.filter((id) => [longAgo, recently, inBetween].includes(id));
    expect(mine).toEqual([recently, inBetween, longAgo]);
  });

  it('lists the customers last in contact on the same day newest customer first, whatever the hour', async () => {
    // Both on the day before yesterday (UTC), the older customer in contact later that day.
    const day = new Date(Date.now() - 2 * dayMinutes * 60_000).toISOString().slice(0, 10);
    const older = await customerWithValue(undefined, `${day}T18:00:00.000Z`);
    const newer = await customerWithValue(undefined, `${day}T06:00:00.000Z`);

    const { customerIds } = await wholeTier('bronze', 200);

    expect(newer > older).toBe(true);
    expect(customerIds.filter((id) => id === older || id === newer)).toEqual([newer, older]);
  });

  it('orders a tier by the effective last contact, also when the newest touchpoint was posted minutes after it happened', async () => {
    const phone = uniquePhone().e164;
    const first = await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(4 * dayMinutes) }));
    const postedLate = first.body.customerId;
    const inBetween = await customerWithValue(undefined, minutesAgo(2 * dayMinutes + 1));
    // A call posted after it ended: it happened 3 minutes ago and is the customer's newest contact.
    await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(3) }));

    const { customerIds } = await wholeTier('bronze', 200);

    expect(customerIds.filter((id) => id === postedLate || id === inBetween)).toEqual([postedLate, inBetween]);
  });

  it('moves a customer to the tier a new touchpoint lifts them into', async () => {
    const phone = uniquePhone().e164;
    const first = await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(10) }));
    const customerId = first.body.customerId;

    await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone }, value: 20_000 }));

    const [gold, bronze] = await Promise.all([wholeTier('gold', 200), wholeTier('bronze', 200)]);
    expect(gold.customerIds).toContain(customerId);
    expect(bronze.customerIds).not.toContain(customerId);
  });

  it('rejects a tier that is not configured with 422', async () => {
    const response = await client.get('/v1/customers?tier=diamond');

    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it("rejects another tier's cursor with 400", async () => {
    await customerWithValue(150);
    await customerWithValue(150);
    const silverPage = await client.get('/v1/customers?tier=silver&limit=1');
    expect(silverPage.body.nextCursor).toEqual(expect.any(String));

    const response = await client.get(`/v1/customers?tier=gold&cursor=${encodeURIComponent(silverPage.body.nextCursor)}`);

    expect(response.status).toBe(400);
  });
});

describe('PATCH /v1/customers/{customerId}', () => {
  it('sets the display name and traits and returns the card', async () => {
    const customerId = await customerWithValue(undefined);

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: 'Grace Hopper', traits: { segment: 'enterprise', vip: true } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ customerId, card: { displayName: 'Grace Hopper', traits: { segment: 'enterprise', vip: true } } });
  });

  it('shows the patched display name and traits on GET customer', async () => {
    const customerId = await customerWithValue(undefined);
    await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: 'Alan Turing', traits: { language: 'en' } });

    const response = await client.get(`/v1/customers/${customerId}`);

    expect(response.body.card).toMatchObject({ displayName: 'Alan Turing', traits: { language: 'en' } });
  });

  it('removes a trait set to null and keeps the others', async () => {
    const customerId = await customerWithValue(undefined);
    await sendJson('PATCH', `/v1/customers/${customerId}`, { traits: { segment: 'smb', churnRisk: 0.2 } });

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, { traits: { churnRisk: null } });

    expect(response.status).toBe(200);
    expect(response.body.card.traits).toEqual({ segment: 'smb' });
  });

  it('clears the display name when it is set to null', async () => {
    const customerId = await customerWithValue(undefined);
    await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: 'Ada' });

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: null });

    expect(response.body.card.displayName).toBeNull();
  });

  it(`rejects more than ${maxTraits} traits in one request with 422`, async () => {
    const customerId = await customerWithValue(undefined);
    const traits = Object.fromEntries(Array.from({ length: maxTraits + 1 }, (_, index) => [`trait${index}`, index]));

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, { traits });

    expect(response.status).toBe(422);
  });

  it(`rejects a patch that would give the customer more than ${maxTraits} traits in all with 422`, async () => {
    const customerId = await customerWithValue(undefined);
    const traitsFrom = (prefix: string, count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`${prefix}${index}`, index]));
    await sendJson('PATCH', `/v1/customers/${customerId}`, { traits: traitsFrom('first', 30) });

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, { traits: traitsFrom('second', 21) });

    expect(response.status).toBe(422);
  });

  it('records concurrent patches of different traits on one customer, each of them', async () => {
    const customerId = await customerWithValue(undefined);
    const names = Array.from({ length: 20 }, (_, index) => `concurrent${index}`);

    const responses = await Promise.all(names.map((name) => sendJson('PATCH', `/v1/customers/${customerId}`, { traits: { [name]: 1 } })));

    expect(responses.map((response) => response.status)).toEqual(names.map(() => 200));
    const final = await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: 'Ada' });
    expect(Object.keys(final.body.card.traits).sort()).toEqual([...names].sort());
  });

  it(`keeps the ${maxTraits}-trait bound when patches adding traits race each other`, async () => {
    const customerId = await customerWithValue(undefined);
    const near = Object.fromEntries(Array.from({ length: maxTraits - 3 }, (_, index) => [`held${index}`, index]));
    await sendJson('PATCH', `/v1/customers/${customerId}`, { traits: near });

    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) => sendJson('PATCH', `/v1/customers/${customerId}`, { traits: { [`racing${index}`]: index } })),
    );

    expect(responses.filter((response) => response.status === 200)).toHaveLength(3);
    expect(responses.every((response) => response.status === 200 || response.status === 422)).toBe(true);
  });

  it('rejects a trait whose value is not a scalar with 422', async () => {
    const customerId = await customerWithValue(undefined);

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, { traits: { address: { city: 'Leeds' } } });

    expect(response.status).toBe(422);
  });

  it('rejects a patch with neither display name nor traits with 422', async () => {
    const customerId = await customerWithValue(undefined);

    const response = await sendJson('PATCH', `/v1/customers/${customerId}`, {});

    expect(response.status).toBe(422);
  });

  it('answers 404 for an unknown customer', async () => {
    const response = await sendJson('PATCH', `/v1/customers/${unknownCustomerId}`, { displayName: 'Nobody' });

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('preferences and contact check over HTTP', () => {
  it('records preferences with PUT and answers the contact check from them', async () => {
    const customerId = await customerWithValue(undefined);

    const put = await sendJson('PUT', `/v1/customers/${customerId}/preferences`, {
      channels: { phone: 'opted_out' },
      receivedVia: 'call',
      source: 'call-centre',
    });
    const check = await client.get(`/v1/customers/${customerId}/contact-check?channel=phone`);

    expect(put.status).toBe(200);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ allowed: false, reasons: ['opted_out'] });
  });
});
