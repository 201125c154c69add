import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../shared/auth/api-keys.ts';
import { registerKey } from '../helpers/credentials.ts';
import { countAllItems } from '../helpers/dynamodb.ts';
import { type JsonClient, jsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { touchpointBody } from '../fixtures/touchpoints.ts';

/** What a client may post, and under which name: the channel scope and `source` rules, over HTTP. */
let api: TestApi;
let billing: JsonClient;
let website: JsonClient;
let hub: JsonClient;

beforeAll(async () => {
  api = await startTestApi();
  const as = async (name: string, scopes: Parameters<typeof registerKey>[2]) => {
    const key = generateApiKey();
    await registerKey(key, name, scopes);
    return jsonClient(api.url, { authorization: `Bearer ${key}` });
  };
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
    const created = await billing.post('/v1/touchpoints', bodyWithoutSource('invoice_query'));
    const timeline = await api.client.get(`/v1/customers/${created.body.customerId}/timeline`);

    expect(created.status).toBe(201);
    expect(timeline.body.items[0].source).toBe('billing');
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
    const created = await hub.post('/v1/touchpoints', touchpointBody({ channel: 'sms', source: 'sms-gateway' }));
    const timeline = await api.client.get(`/v1/customers/${created.body.customerId}/timeline`);

    expect(created.status).toBe(201);
    expect(timeline.body.items[0].source).toBe('sms-gateway');
  });

  it('fails only the batch items of a forbidden channel, each with a 403 problem', async () => {
    const response = await billing.post('/v1/touchpoints/batch', {
      items: [bodyWithoutSource('invoice_query'), bodyWithoutSource('web_visit'), bodyWithoutSource('invoice_query')],
    });

    expect(response.status).toBe(207);
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 403, 201]);
    expect(response.body.results[1]).toMatchObject({ type: expect.stringContaining('forbidden'), title: 'Forbidden' });
  });

  it('keeps idempotency keys apart per client: the same key from two clients records two touchpoints', async () => {
    const key = `same-key-${Date.now()}`;
    const fromWebsite = await website.post('/v1/touchpoints', bodyWithoutSource('web_visit'), { 'idempotency-key': key });
    const fromHub = await hub.post('/v1/touchpoints', touchpointBody({ channel: 'web_visit', source: 'website-2' }), { 'idempotency-key': key });

    expect(fromWebsite.status).toBe(201);
    expect(fromHub.status).toBe(201);
    expect(fromHub.body.touchpointId).not.toBe(fromWebsite.body.touchpointId);
  });
});
