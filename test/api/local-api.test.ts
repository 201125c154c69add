import { describe, expect, it } from 'vitest';
import { routes } from '../../shared/http/routes.ts';
import { countItems } from '../helpers/dynamodb.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { allChannels, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

const client = useTestApiClient();

describe('the local API over HTTP', () => {
  it('answers the health check with 200 and status ok', async () => {
    const response = await client.get('/v1/health');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('serves an OpenAPI 3.1 document', async () => {
    const response = await client.get('/v1/openapi.json');

    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\.1\./);
    expect(response.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  });

  it('refuses a query parameter a route does not take, naming it, and stores nothing', async () => {
    const phone = uniquePhone();
    const before = await countItems();

    const health = await client.get('/v1/health?verbose=1');
    const ingest = await client.post('/v1/touchpoints?dryRun=true', touchpointBody({ channel: 'call', identifiers: { phone: phone.international } }));

    expect(health.status).toBe(422);
    expect(health.body).toMatchObject({ type: 'urn:touchpoint-api:problem:validation-failed', errors: [{ path: 'query.verbose' }] });
    expect(ingest.status).toBe(422);
    expect(ingest.body.errors).toEqual([{ path: 'query.dryRun', message: 'is not a parameter of this route' }]);
    expect(await countItems()).toBe(before);
  });

  // Connector webhooks take the vendors' payloads: docs/connectors.md documents them, not the API's document.
  it.each(routes.filter((route) => route.access !== 'connector').map((route) => [route.method, route.path] as const))(
    'documents %s %s in the OpenAPI document',
    async (method, path) => {
      const response = await client.get('/v1/openapi.json');

      expect(response.body.paths?.[path]?.[method.toLowerCase()]).toEqual(expect.objectContaining({ responses: expect.any(Object) }));
    },
  );

  it('documents the touchpoint input schema with every channel among its components', async () => {
    const response = await client.get('/v1/openapi.json');

    const touchpointInput = response.body.components?.schemas?.TouchpointInput;
    expect(touchpointInput).toBeDefined();
    for (const channel of allChannels) expect(JSON.stringify(touchpointInput)).toContain(`"${channel}"`);
  });

  it('lets a call centre post a call and find the caller a moment later by phone in another format', async () => {
    const phone = uniquePhone();
    const call = touchpointBody({
      channel: 'call',
      identifiers: { phone: phone.international },
      source: 'call-centre',
      summary: 'Caller asked about a refund',
    });

    const posted = await client.post('/v1/touchpoints', call);
    const lookup = await client.get(`/v1/customers/lookup?${new URLSearchParams({ phone: phone.national })}`);

    expect(posted.status).toBe(201);
    expect(lookup.status).toBe(200);
    expect(lookup.body.customer).toMatchObject({ customerId: posted.body.customerId, identifiers: [{ type: 'phone', value: phone.e164 }] });
    expect(lookup.body.summary).toMatchObject({ touchpointCount: 1, lastContact: { touchpointId: posted.body.touchpointId, channel: 'call' } });
    expect(lookup.body.recent).toEqual([
      expect.objectContaining({
        touchpointId: posted.body.touchpointId,
        channel: 'call',
        source: 'call-centre',
        summary: 'Caller asked about a refund',
        identifiers: { phone: phone.e164 },
        details: call.details,
      }),
    ]);
  });

  it('finds a caller looked up with an unencoded + in the query string, as curl sends it', async () => {
    const phone = uniquePhone();
    const posted = await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone: phone.e164 } }));

    const lookup = await client.get(`/v1/customers/lookup?phone=${phone.e164}`);

    expect(lookup.status).toBe(200);
    expect(lookup.body.customer.customerId).toBe(posted.body.customerId);
  });

  it('reads a customer and its timeline by the id a post returned', async () => {
    const posted = await client.post('/v1/touchpoints', touchpointBody({ channel: 'web_visit' }));

    const customer = await client.get(`/v1/customers/${posted.body.customerId}`);
    const timeline = await client.get(`/v1/customers/${posted.body.customerId}/timeline?channel=web_visit,call&limit=5`);

    expect(customer.status).toBe(200);
    expect(customer.body.customer.customerId).toBe(posted.body.customerId);
    expect(timeline.status).toBe(200);
    expect(timeline.body).toEqual({ items: [expect.objectContaining({ touchpointId: posted.body.touchpointId })], nextCursor: null });
  });

  it('replays a post with the same Idempotency-Key header over HTTP', async () => {
    const body = touchpointBody();
    const headers = { 'Idempotency-Key': `http-${uniquePhone().e164}` };
    const first = await client.post('/v1/touchpoints', body, headers);

    const second = await client.post('/v1/touchpoints', body, headers);

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...first.body, replayed: true });
  });

  it('answers a batch with 207 over HTTP', async () => {
    const response = await client.post('/v1/touchpoints/batch', { items: [touchpointBody(), touchpointBody({ channel: 'email' })] });

    expect(response.status).toBe(207);
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 201]);
  });

  it('answers an unknown route with 404 problem details', async () => {
    const response = await client.get('/v1/no-such-route');

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 404, detail: expect.any(String) });
  });

  it('answers a known path with the wrong method with 404 problem details', async () => {
    const response = await client.send('DELETE', '/v1/health');

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers malformed JSON over HTTP with 400 problem details and stores nothing', async () => {
    const before = await countItems();

    const response = await client.send('POST', '/v1/touchpoints', { body: '{"channel":', headers: { 'content-type': 'application/json' } });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await countItems()).toBe(before);
  });

  it('answers a text/plain body over HTTP with 415 problem details', async () => {
    const response = await client.send('POST', '/v1/touchpoints', {
      body: JSON.stringify(touchpointBody()),
      headers: { 'content-type': 'text/plain' },
    });

    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers a body over 256 KB over HTTP with 413 problem details', async () => {
    const body = touchpointBody({ summary: 'x'.repeat(300 * 1024) });

    const response = await client.post('/v1/touchpoints', body);

    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers an unknown customer over HTTP with 404 problem details', async () => {
    const response = await client.get('/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB/timeline');

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
