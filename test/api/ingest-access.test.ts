import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../shared/auth/api-keys.ts';
import { registerKey } from '../helpers/credentials.ts';
import { countAllItems } from '../helpers/dynamodb.ts';
import { type JsonClient, jsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { detailsFor, touchpointBody } from '../fixtures/touchpoints.ts';

/** What a client may post, and under which name: the channel scope and `source` rules, over HTTP. */
let api: TestApi;
let billing: JsonClient;
let website: JsonClient;
let hub: JsonClient;

async function as(name: string, scopes: Parameters<typeof registerKey>[2]): Promise<JsonClient> {
  const key = generateApiKey();
  await registerKey(key, name, scopes);
  return jsonClient(api.url, { authorization: `Bearer ${key}` });
}

beforeAll(async () => {
  api = await startTestApi();
  billing = await as('billing', ['touchpoints:write:invoice_query']);
  website = await as('website', ['touchpoints:write:web_visit', 'customers:read']);
  hub = await as('integration-hub', ['touchpoints:write:*', 'touchpoints:relay']);
});

afterAll(async () => {
  await api?.close();
});

function bodyWithoutSource(channel: NonNullable<Parameters<typeof touchpointBody>[0]>['channel']) {
  const { source: _source, ...body } = touchpointBody({ channel });
  return body;
}

describe('posting touchpoints with a channel-scoped key', () => {
  it('lets the billing system post an invoice query, recorded with source billing', async () => {
    const body = bodyWithoutSource('invoice_query');
    const accepted = await billing.post('/v1/touchpoints', body);
    const stored = await api.client.get(`/v1/customers/lookup?phone=${encodeURIComponent(String(body.identifiers.phone))}`);

    expect(accepted.status).toBe(202);
    expect(stored.body.recent[0]).toMatchObject({ touchpointId: accepted.body.touchpointId, source: 'billing' });
  });

  it('refuses a call from the billing system with 403 problem details, storing nothing', async () => {
    const before = await countAllItems();

    const response = await billing.post('/v1/touchpoints', bodyWithoutSource('call'));

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toMatch(/touchpoints:write:call/);
    expect(await countAllItems()).toBe(before);
  });

  it('refuses a body naming another source with 403', async () => {
    const response = await website.post('/v1/touchpoints', touchpointBody({ channel: 'web_visit', source: 'billing' }));

    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(/source/);
  });

  it('accepts a body naming the client itself as source', async () => {
    const response = await website.post('/v1/touchpoints', touchpointBody({ channel: 'web_visit', source: 'website' }));

    expect(response.status).toBe(201);
  });

  it('lets a relaying hub name the system behind it as source', async () => {
    const body = touchpointBody({ channel: 'sms', source: 'sms-gateway' });
    const accepted = await hub.post('/v1/touchpoints', body);
    const stored = await api.client.get(`/v1/customers/lookup?phone=${encodeURIComponent(String(body.identifiers.phone))}`);

    expect(accepted.status).toBe(202);
    expect(stored.body.recent[0]).toMatchObject({ touchpointId: accepted.body.touchpointId, source: 'sms-gateway' });
  });

  it('fails only the batch items of a forbidden channel, each with a 403 problem', async () => {
    const response = await billing.post('/v1/touchpoints/batch', {
      items: [bodyWithoutSource('invoice_query'), bodyWithoutSource('web_visit'), bodyWithoutSource('invoice_query')],
    });

    expect(response.status).toBe(207);
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([202, 403, 202]);
    expect(response.body.results[1]).toMatchObject({ type: expect.stringContaining('forbidden'), title: 'Forbidden' });
  });

  it('keeps idempotency keys apart per client: the same key from two clients records two touchpoints', async () => {
    const key = `same-key-${Date.now()}`;
    const fromWebsite = await website.post('/v1/touchpoints', bodyWithoutSource('web_visit'), { 'idempotency-key': key });
    const fromHub = await hub.post('/v1/touchpoints', touchpointBody({ channel: 'web_visit', source: 'website-2' }), { 'idempotency-key': key });

    expect(fromWebsite.status).toBe(201);
    expect(fromHub.status).toBe(202);
    expect(fromHub.body.touchpointId).not.toBe(fromWebsite.body.touchpointId);
  });
});

describe('what a write-only key can read from an ingest answer over HTTP', () => {
  it('is the same status, headers and body length for a known customer, an unknown one and a suppressed one', async () => {
    const email = (tag: string) => `probe.${tag}.${Date.now()}@example.com`;
    const known = email('known');
    const suppressed = email('suppressed');
    const arranged = await api.client.post(
      '/v1/touchpoints',
      touchpointBody({ channel: 'email', identifiers: { email: known }, details: detailsFor('email') }),
    );
    const erased = await api.client.post(
      '/v1/touchpoints',
      touchpointBody({ channel: 'email', identifiers: { email: suppressed }, details: detailsFor('email') }),
    );
    await api.client.send('DELETE', `/v1/customers/${erased.body.customerId}?suppress=true`);
    const visitOf = (address: string) => ({ channel: 'web_visit', identifiers: { email: address }, details: detailsFor('web_visit') });
    const publicSite = await as('public-site', ['touchpoints:write:web_visit']);

    const answers = await Promise.all([known, email('unknown'), suppressed].map((address) => publicSite.post('/v1/touchpoints', visitOf(address))));

    expect(arranged.status).toBe(201);
    const seen = answers.map((answer) => ({
      status: answer.status,
      headers: [...answer.headers.entries()].filter(([name]) => !['date', 'x-request-id'].includes(name)),
      length: JSON.stringify(answer.body).length,
      fields: Object.keys(answer.body),
    }));
    expect(seen[0]).toMatchObject({ status: 202, fields: ['touchpointId'] });
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  });
});
