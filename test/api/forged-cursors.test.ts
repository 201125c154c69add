import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { minutesAgo, touchpointBody, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';
import type { JsonResponse } from '../helpers/json-client.ts';
import { useTestApiClient } from '../helpers/local-api.ts';

/**
 * Issue 10, class 10: every paged route answers a cursor it did not issue for that very request
 * (forged, damaged, another list's, another customer's or filter's, a key at a range boundary,
 * any length) with a 400 invalid-cursor problem, never a 500; and its own cursors still page.
 */

const client = useTestApiClient();

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const cursorOf = (list: string, scope: Record<string, string>, key: unknown) => encode({ v: 2, list, scope, key });

interface Arranged {
  first: string;
  second: string;
  /** A real next cursor of each route, issued for `first` (or the route's only list). */
  real: Record<RouteName, string>;
}

type RouteName = 'timeline' | 'tier' | 'merge-candidates' | 'api-keys' | 'export' | 'access-log';

const paths: Record<RouteName, (customerId: string, cursor: string) => string> = {
  timeline: (customerId, cursor) => `/v1/customers/${customerId}/timeline?limit=1&cursor=${encodeURIComponent(cursor)}`,
  tier: (_customerId, cursor) => `/v1/customers?tier=bronze&limit=1&cursor=${encodeURIComponent(cursor)}`,
  'merge-candidates': (_customerId, cursor) => `/v1/merge-candidates?limit=1&cursor=${encodeURIComponent(cursor)}`,
  'api-keys': (_customerId, cursor) => `/v1/keys?limit=1&cursor=${encodeURIComponent(cursor)}`,
  export: (customerId, cursor) => `/v1/customers/${customerId}/export?limit=1&cursor=${encodeURIComponent(cursor)}`,
  'access-log': (customerId, cursor) => `/v1/customers/${customerId}/access-log?limit=1&cursor=${encodeURIComponent(cursor)}`,
};

const firstPages: Record<RouteName, (customerId: string) => string> = {
  timeline: (customerId) => `/v1/customers/${customerId}/timeline?limit=1`,
  tier: () => '/v1/customers?tier=bronze&limit=1',
  'merge-candidates': () => '/v1/merge-candidates?limit=1',
  'api-keys': () => '/v1/keys?limit=1',
  export: (customerId) => `/v1/customers/${customerId}/export?limit=1`,
  'access-log': (customerId) => `/v1/customers/${customerId}/access-log?limit=1`,
};

const routeNames = Object.keys(paths) as RouteName[];
let arranged: Arranged;

async function customerWithCalls(count: number): Promise<string> {
  const phone = uniquePhone().e164;
  let customerId = '';
  for (let index = count; index >= 1; index -= 1) {
    const response = await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(index * 10) }));
    expect(response.status).toBe(201);
    customerId = response.body.customerId;
  }
  return customerId;
}

/** Two known customers, then a touchpoint carrying the email of one and the phone of the other: an open merge candidate. */
async function mergeCandidate(): Promise<void> {
  const email = uniqueEmail();
  const phone = uniquePhone().e164;
  for (const identifiers of [{ email }, { phone }, { email, phone }]) {
    expect((await client.post('/v1/touchpoints', touchpointBody({ identifiers, occurredAt: minutesAgo(3) }))).status).toBe(201);
  }
}

beforeAll(async () => {
  const first = await customerWithCalls(3);
  const second = await customerWithCalls(3);
  await mergeCandidate();
  await mergeCandidate();
  for (const name of ['forged-cursor-one', 'forged-cursor-two']) {
    const created = await client.post('/v1/keys', { name, scopes: ['customers:read'] });
    expect(created.status).toBe(201);
  }
  // Reads fill both customers' access logs.
  for (const customerId of [first, second, first, second]) expect((await client.get(`/v1/customers/${customerId}`)).status).toBe(200);

  const real = {} as Record<RouteName, string>;
  for (const route of routeNames) {
    const page = await client.get(firstPages[route](first));
    expect(page.status, route).toBe(200);
    expect(page.body.nextCursor, route).toEqual(expect.any(String));
    real[route] = page.body.nextCursor;
  }
  arranged = { first, second, real };
});

function expectInvalidCursor(response: JsonResponse, what: string): void {
  expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(400);
  expect(response.body.type, what).toBe('urn:touchpoint-api:problem:invalid-cursor');
  expect(response.body.errors, what).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
}

describe.each(routeNames)('the %s cursor', (route) => {
  it('continues its own list with 200', async () => {
    const response = await client.get(paths[route](arranged.first, arranged.real[route]));

    expect(response.status).toBe(200);
    expect(response.body).toHaveProperty('nextCursor');
  });

  it.each([
    ['random bytes', () => randomBytes(48).toString('base64url')],
    ['characters outside base64url', () => '!!not*a+cursor/=='],
    ['base64 of text that is not JSON', () => Buffer.from('not json at all').toString('base64url')],
    ['JSON null', () => encode(null)],
    ['a JSON array', () => encode([1, 2, 3])],
    ['a JSON string', () => encode('cursor')],
    ['an empty object', () => encode({})],
    ['the version-1 format', () => encode({ v: 1, key: { pk: 'CUST#x', sk: 'T#' } })],
    ['a future version', () => encode({ v: 3, list: route, scope: {}, key: {} })],
    ['a prototype-polluting key', () => Buffer.from(`{"v":2,"list":"${route}","scope":{},"key":{"__proto__":{"sk":"T#"}}}`).toString('base64url')],
    ['2048 characters', () => 'A'.repeat(2048)],
    // Longer ones never reach the function: the HTTP front door refuses the request line (431 locally, 414 at API Gateway).
    ['10,000 characters', () => 'A'.repeat(10_000)],
    ['one character changed', () => `${arranged.real[route].slice(0, 10)}${arranged.real[route][10] === 'A' ? 'B' : 'A'}${arranged.real[route].slice(11)}`],
    ['a real cursor cut short', () => arranged.real[route].slice(0, -6)],
  ])('answers %s with 400 invalid-cursor', async (kind, make) => {
    const response = await client.get(paths[route](arranged.first, make()));

    expectInvalidCursor(response, kind);
  });

  it("answers every other list's real cursor with 400", async () => {
    for (const other of routeNames.filter((name) => name !== route)) {
      expectInvalidCursor(await client.get(paths[route](arranged.first, arranged.real[other])), `${other} cursor`);
    }
  });
});

describe.each(['timeline', 'export', 'access-log'] as const)('the %s cursor of one customer', (route) => {
  it("is refused with 400 on another customer's list", async () => {
    const response = await client.get(paths[route](arranged.second, arranged.real[route]));

    expectInvalidCursor(response, route);
  });
});

describe('cursors bound to their filter', () => {
  it.each([
    ['a channel filter', 'channel=email'],
    ['a window start', `from=${encodeURIComponent(minutesAgo(600))}`],
    ['a window end', `to=${encodeURIComponent(minutesAgo(1))}`],
  ])('a timeline cursor is refused with 400 under %s it was not issued with', async (_kind, filter) => {
    const response = await client.get(`${paths.timeline(arranged.first, arranged.real.timeline)}&${filter}`);

    expectInvalidCursor(response, filter);
  });

  it("a tier cursor is refused with 400 on another tier's list", async () => {
    const response = await client.get(`/v1/customers?tier=gold&cursor=${encodeURIComponent(arranged.real.tier)}`);

    expectInvalidCursor(response, 'gold');
  });
});

describe('well-formed cursors holding keys no list of ours has', () => {
  const timelineScope = () => ({ customerId: arranged.first, channels: '', from: '', to: '' });
  const tierScope = { tier: 'bronze', from: '', to: '' };
  const ulid = '01JDQ7ZKX3F8V6M2N4P5R7S9TB';

  it.each([
    ['the lower boundary T#', { sk: 'T#' }],
    ['the upper boundary T#~', { sk: 'T#~' }],
    ['the profile key', { sk: 'Z#PROFILE' }],
    ['the card key', { sk: 'Z#CARD' }],
    ['a read-audit key', { sk: `A#2026-01-01T00:00:00.000Z#${ulid}` }],
    ['a sort key of 1,100 characters', { sk: `T#2026-01-01T00:00:00.000Z#tp_${'A'.repeat(1070)}` }],
    ['a sort key with a year 0000 and no id', { sk: 'T#0000-01-01T00:00:00.000Z#' }],
    ['a customer that is no customer id', { on: 'CUST#x' }],
    ['a number as the sort key', { sk: 42 }],
  ])('answers a timeline cursor at %s with 400', async (kind, override) => {
    const cursor = cursorOf('timeline', timelineScope(), { on: arranged.first, sk: `T#2026-01-01T00:00:00.000Z#tp_${ulid}`, ...override });

    expectInvalidCursor(await client.get(paths.timeline(arranged.first, cursor)), kind);
  });

  it('answers a timeline cursor outside the window asked for with 400', async () => {
    const from = minutesAgo(60);
    const scope = { customerId: arranged.first, channels: '', from: new Date(from).toISOString(), to: '' };
    const cursor = cursorOf('timeline', scope, { on: arranged.first, sk: `T#2020-01-01T00:00:00.000Z#tp_${ulid}` });

    expectInvalidCursor(await client.get(`${paths.timeline(arranged.first, cursor)}&from=${encodeURIComponent(from)}`), 'before from');
  });

  it.each([
    ['an empty index sort key', { gsi1sk: '' }],
    ['an index sort key past every key', { gsi1sk: '~' }],
    ['an index sort key of a day and an hour', { gsi1sk: `2026-01-01T10#cus_${ulid}` }],
    ['an index sort key of a day without the customer', { gsi1sk: '2026-01-01' }],
    ['another tier', { gsi1pk: 'TIER#gold' }],
    ['the profile key, which the index does not list (the card item holds the index keys)', { sk: 'Z#PROFILE' }],
    ['a partition that is not a customer', { pk: 'IDENT#phone#+442079460018' }],
    ['an extra attribute', { extra: 'x' }],
  ])('answers a tier cursor with %s with 400', async (kind, override) => {
    const key = { pk: `CUST#cus_${ulid}`, sk: 'Z#CARD', gsi1pk: 'TIER#bronze', gsi1sk: `2026-01-01#cus_${ulid}`, ...override };

    expectInvalidCursor(await client.get(paths.tier('', cursorOf('tier', tierScope, key))), kind);
  });

  it.each([
    ['the day of the last contact', `2026-01-01#cus_${ulid}`],
    ['the instant of the last contact, as tables written before the day keys hold it', `2026-01-01T10:00:00.000Z#cus_${ulid}`],
  ])('pages a tier cursor whose index sort key holds %s', async (_kind, gsi1sk) => {
    const key = { pk: `CUST#cus_${ulid}`, sk: 'Z#CARD', gsi1pk: 'TIER#bronze', gsi1sk };

    expect((await client.get(paths.tier('', cursorOf('tier', tierScope, key)))).status).toBe(200);
  });

  it.each([
    ['a sort key of 1,100 characters', `Z#${'A'.repeat(1100)}`],
    ['a sort key with spaces and unicode', 'T#\u202e \u0000 😀'],
    ['an empty sort key', ''],
  ])('answers an export cursor with %s with 400', async (kind, sk) => {
    const cursor = cursorOf('export', { customerId: arranged.first, person: arranged.first }, { pk: `CUST#${arranged.first}`, sk });

    expectInvalidCursor(await client.get(paths.export(arranged.first, cursor)), kind);
  });

  it('pages an export cursor holding any real sort key of the partition', async () => {
    const cursor = cursorOf('export', { customerId: arranged.first, person: arranged.first }, { pk: `CUST#${arranged.first}`, sk: 'Z#PROFILE' });

    expect((await client.get(paths.export(arranged.first, cursor))).status).toBe(200);
  });

  it.each([
    ['a candidate partition of one customer', { pk: `CAND#cus_${ulid}` }],
    ['an index sort key without the pair', { gsi1sk: '2026-01-01T00:00:00.000Z' }],
  ])('answers a merge-candidates cursor with %s with 400', async (kind, override) => {
    const key = {
      pk: `CAND#cus_${ulid}#cus_${ulid}`,
      sk: 'CAND',
      gsi1pk: 'MERGE_CANDIDATES',
      gsi1sk: `2026-01-01T00:00:00.000Z#cus_${ulid}#cus_${ulid}`,
      ...override,
    };

    expectInvalidCursor(await client.get(paths['merge-candidates']('', cursorOf('merge-candidates', {}, key))), kind);
  });

  it('answers an API-keys cursor whose index sort key is not a creation time and key id with 400', async () => {
    const key = { pk: 'APIKEY#key_x', sk: 'APIKEY', gsi1pk: 'API_KEYS', gsi1sk: '~' };

    expectInvalidCursor(await client.get(paths['api-keys']('', cursorOf('api-keys', {}, key))), 'gsi1sk ~');
  });
});
