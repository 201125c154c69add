import { beforeAll, describe, expect, it } from 'vitest';
import { maxIdentifiersPerCustomer } from '../../shared/domain/bounds.ts';
import { lateContactCap, maxInvoiceQueries } from '../../shared/domain/card.ts';
import { shownPageCount } from '../../shared/domain/card-view.ts';
import { maxTraits, maxTraitValueLength } from '../../shared/domain/bounds.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';
import { countItems, scanTable } from '../helpers/dynamodb.ts';
import type { JsonResponse } from '../helpers/json-client.ts';
import { useTestApiClient } from '../helpers/local-api.ts';

/**
 * Issue 10, class 6: one customer pushed to every documented bound at once, each field at its
 * longest in three-byte characters, and then the next write of each kind: it behaves as the
 * README's table says (never a 500), and the profile item stays under DynamoDB's 400 KB.
 */

const client = useTestApiClient();
const wide = (length: number) => '€'.repeat(length);
const itemLimitBytes = 400 * 1024;

function sendJson(method: string, path: string, body: unknown): Promise<JsonResponse> {
  return client.send(method, path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/** DynamoDB's item size, over-estimated: names and strings in UTF-8 bytes, numbers at their longest, 3 bytes per container. */
function itemBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + itemBytes(element), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [name, element]) => sum + Buffer.byteLength(name) + 1 + itemBytes(element), 0);
}

/** The customer's profile and card together (each item is at most that). */
async function profileBytes(customerId: string): Promise<number> {
  const items = (await scanTable()).filter((item) => item.pk === `CUST#${customerId}` && (item.sk === 'Z#PROFILE' || item.sk === 'Z#CARD'));
  expect(items).toHaveLength(2);
  return items.reduce((sum, item) => sum + itemBytes(item), 0);
}

async function ingest(body: unknown): Promise<JsonResponse> {
  const response = await client.post('/v1/touchpoints', body);
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
  return response;
}

function invoiceQuery(customerId: string, index: number, status: 'open' | 'resolved') {
  return touchpointBody({
    channel: 'invoice_query',
    identifiers: { customerId },
    occurredAt: minutesAgo(status === 'open' ? 60 : 30),
    summary: wide(500),
    details: {
      invoiceNumber: `${wide(95)}${String(index).padStart(5, '0')}`,
      queryId: `${wide(95)}${String(index).padStart(5, '0')}`,
      status,
      reason: wide(500),
      amount: { value: 1, currency: 'GBP' },
    },
  });
}

const cookie = (index: number) => `${wide(190)}${String(index).padStart(10, '0')}`;

let customerId: string;

beforeAll(async () => {
  const phone = uniquePhone().e164;
  const created = await ingest(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(90), summary: wide(500) }));
  expect(created.status).toBe(201);
  customerId = created.body.customerId;

  // Identifiers: the phone and cookies up to the bound, each cookie at its longest.
  for (let index = 1; index < maxIdentifiersPerCustomer; index += 1) {
    const visit = await ingest(
      touchpointBody({ channel: 'web_visit', identifiers: { customerId, anonymousId: cookie(index) }, occurredAt: minutesAgo(80), summary: wide(500) }),
    );
    expect(visit.status).toBe(201);
  }
  // Invoice queries: every one the card keeps, all open.
  for (let index = 0; index < maxInvoiceQueries; index += 1) expect((await ingest(invoiceQuery(customerId, index, 'open'))).status).toBe(201);
  // Traits: all of them, at their longest.
  const traits = Object.fromEntries(Array.from({ length: maxTraits }, (_, index) => [`t${String(index).padStart(63, '0')}`, wide(maxTraitValueLength)]));
  expect((await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: wide(200), traits })).status).toBe(200);
  // Pages and late contacts: more than either keeps.
  for (let index = 0; index < shownPageCount + 3; index += 1) {
    const page = touchpointBody({
      channel: 'web_visit',
      identifiers: { customerId },
      occurredAt: minutesAgo(20 - index),
      details: { url: `https://example.com/${'p'.repeat(2000)}${index}`, title: wide(500) },
    });
    expect((await ingest(page)).status).toBe(201);
  }
  for (let index = 0; index < lateContactCap + 3; index += 1) {
    expect((await ingest(touchpointBody({ identifiers: { customerId }, occurredAt: minutesAgo(8 * 60 + index), summary: wide(500) }))).status).toBe(201);
  }
}, 240_000);

describe('one customer at every bound', () => {
  it('keeps the profile item under 400 KB (printed)', async () => {
    const bytes = await profileBytes(customerId);
    console.info(`Profile item at every bound: ${(bytes / 1024).toFixed(1)} KB of ${itemLimitBytes / 1024} KB`);

    expect(bytes).toBeLessThan(itemLimitBytes);
  });

  it('records a web visit with a new cookie past the identifier bound, without attaching the cookie', async () => {
    const before = await profileBytes(customerId);
    const past = cookie(maxIdentifiersPerCustomer + 1);

    const response = await ingest(touchpointBody({ channel: 'web_visit', identifiers: { customerId, anonymousId: past }, occurredAt: minutesAgo(1) }));

    expect(response.status).toBe(201);
    expect(response.body.customerId).toBe(customerId);
    expect((await client.get(`/v1/customers/lookup?${new URLSearchParams({ anonymousId: past })}`)).status).toBe(404);
    const identifiers = (await client.get(`/v1/customers/${customerId}`)).body.customer.identifiers;
    expect(identifiers).toHaveLength(maxIdentifiersPerCustomer);
    expect(await profileBytes(customerId)).toBeLessThanOrEqual(before + 2048);
  });

  it('refuses to link one more identifier with 422, storing nothing', async () => {
    const before = await countItems();

    const response = await sendJson('POST', `/v1/customers/${customerId}/identifiers`, { type: 'accountId', value: 'ACC-past-the-bound' });

    expect(response.status).toBe(422);
    expect(await countItems()).toBe(before);
  });

  it('refuses a merge that would pass the identifier bound with 409', async () => {
    const other = await ingest(touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt: minutesAgo(5) }));

    const response = await sendJson('POST', `/v1/customers/${customerId}/merge`, { sourceCustomerId: other.body.customerId, reason: 'Same person' });

    expect(response.status).toBe(409);
    expect((await client.get(`/v1/customers/${other.body.customerId}`)).body.customer.customerId).toBe(other.body.customerId);
  });

  it('refuses one more open invoice query with 422, storing nothing', async () => {
    const before = await countItems();

    const response = await ingest(invoiceQuery(customerId, maxInvoiceQueries, 'open'));

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'details.queryId' })]);
    expect(await countItems()).toBe(before);
  });

  it('makes room for a new invoice query once one is resolved, dropping the resolved one', async () => {
    expect((await ingest(invoiceQuery(customerId, 0, 'resolved'))).status).toBe(201);

    const response = await ingest(invoiceQuery(customerId, maxInvoiceQueries + 1, 'open'));

    expect(response.status).toBe(201);
    const card = (await client.get(`/v1/customers/${customerId}`)).body.card;
    expect(card.openInvoiceQueries).toHaveLength(maxInvoiceQueries);
    expect(await profileBytes(customerId)).toBeLessThan(itemLimitBytes);
  });

  it('refuses one more trait with 422, and a longer display name or trait value too', async () => {
    for (const body of [{ traits: { extra: 'x' } }, { displayName: wide(201) }, { traits: { t0: wide(maxTraitValueLength + 1) } }]) {
      const response = await sendJson('PATCH', `/v1/customers/${customerId}`, body);

      expect(response.status, JSON.stringify(body).slice(0, 40)).toBe(422);
    }
  });

  it('keeps late contacts at their cap, no page on the card item, and shows the newest pages', async () => {
    const card = (await scanTable()).find((item) => item.pk === `CUST#${customerId}` && item.sk === 'Z#CARD') as Record<string, unknown[]>;

    expect(card).not.toHaveProperty('recentPages');
    expect(card.lateContacts?.length ?? 0).toBeLessThanOrEqual(lateContactCap);
    expect((await client.get(`/v1/customers/${customerId}`)).body.card.recentPages).toHaveLength(shownPageCount);
  });
});
