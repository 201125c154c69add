import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique, uniqueEmail } from '../fixtures/touchpoints.ts';
import { lookupCustomer, wholeTimeline } from '../helpers/handlers.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';

const writeKey = `wk_${unique()}${unique()}`;
process.env.SEGMENT_WRITE_KEY = writeKey;

let api: TestApi;
let segmentHost: string;

beforeAll(async () => {
  api = await startTestApi();
  segmentHost = `${api.url}/v1/connectors/segment`;
});

afterAll(async () => {
  await api?.close();
});

/** The real server-side client, pointed at the local stack, flushing at once (it resolves `path` against `host`, so the path is whole). */
function analyticsClient(key = writeKey): Analytics {
  return new Analytics({ writeKey: key, host: api.url, path: '/v1/connectors/segment/v1/batch', flushAt: 1, maxRetries: 0 });
}

/** What analytics.js sends: a text/plain JSON body with the write key inside, to a short path. */
function browserCall(path: string, body: Record<string, unknown>) {
  return fetch(`${segmentHost}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ writeKey, ...body }) });
}

async function visitsOf(query: Record<string, string>) {
  const found = await lookupCustomer(query);
  expect(found.status).toBe(200);
  return wholeTimeline(found.body.customer.customerId);
}

describe('Segment-compatible tracking endpoint', () => {
  it("records @segment/analytics-node's page calls as web visits, through its batch path and Basic auth", async () => {
    const userId = `user-${unique()}`;
    const analytics = analyticsClient();
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));

    analytics.page({
      userId,
      name: 'Billing',
      properties: { url: 'https://www.example.org/account/billing', title: 'Billing', referrer: 'https://www.example.org/' },
    });
    await analytics.closeAndFlush();

    expect(errors).toEqual([]);
    const visits = await visitsOf({ externalId: `segment:${userId}` });
    expect(visits).toEqual([
      expect.objectContaining({
        channel: 'web_visit',
        source: 'segment',
        details: expect.objectContaining({ url: 'https://www.example.org/account/billing', title: 'Billing', referrer: 'https://www.example.org/' }),
      }),
    ]);
  });

  it("accepts analytics.js's text/plain bodies on the short paths, and joins the anonymous visitor to the user once a page names both", async () => {
    const anonymousId = `anon-${unique()}`;
    const userId = `user-${unique()}`;
    const email = uniqueEmail();
    const context = { page: { url: 'https://www.example.org/pricing', title: 'Pricing' }, userAgent: 'Mozilla/5.0' };

    const before = await browserCall('p', { type: 'page', anonymousId, messageId: `ajs-next-${unique()}`, context, timestamp: new Date().toISOString() });
    const identify = await browserCall('i', { type: 'identify', anonymousId, userId, traits: { email }, messageId: `ajs-next-${unique()}` });
    const after = await browserCall('p', {
      type: 'page',
      anonymousId,
      userId,
      messageId: `ajs-next-${unique()}`,
      context: { ...context, traits: { email } },
      timestamp: new Date().toISOString(),
    });

    expect([before.status, identify.status, after.status]).toEqual([200, 200, 200]);
    expect(await before.json()).toEqual({ success: true });
    const visits = await visitsOf({ email });
    expect(visits).toHaveLength(2);
    expect((await lookupCustomer({ anonymousId })).body.customer.customerId).toBe((await lookupCustomer({ email })).body.customer.customerId);
  });

  it('records a message retried with the same messageId once', async () => {
    const anonymousId = `anon-${unique()}`;
    const message = {
      type: 'page',
      anonymousId,
      messageId: `ajs-next-${unique()}`,
      properties: { url: 'https://www.example.org/' },
      timestamp: new Date().toISOString(),
    };

    const answers = [await browserCall('p', message), await browserCall('page', message), await browserCall('b', { batch: [message] })];

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(await visitsOf({ anonymousId })).toHaveLength(1);
  });

  it('accepts track, alias, group and screen calls (200) and stores nothing for them', async () => {
    const anonymousId = `anon-${unique()}`;
    const analytics = analyticsClient();

    analytics.track({ anonymousId, event: 'Invoice Downloaded', properties: { invoice: 'INV-1' } });
    analytics.group({ anonymousId, groupId: 'acme' });
    analytics.alias({ userId: `user-${unique()}`, previousId: anonymousId });
    const responses = [
      await browserCall('t', { type: 'track', anonymousId, event: 'Clicked' }),
      await browserCall('g', { type: 'group', anonymousId, groupId: 'acme' }),
    ];
    await analytics.closeAndFlush();

    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect((await lookupCustomer({ anonymousId })).status).toBe(404);
  });

  it('refuses a wrong or missing write key (401), storing nothing', async () => {
    const anonymousId = `anon-${unique()}`;
    const page = { type: 'page', anonymousId, properties: { url: 'https://www.example.org/' } };
    const analytics = analyticsClient(`wk_${unique()}${unique()}`);
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));

    analytics.page({ anonymousId, properties: { url: 'https://www.example.org/' } });
    await analytics.closeAndFlush();
    const missing = await fetch(`${segmentHost}/v1/p`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(page) });

    expect(errors).toHaveLength(1);
    expect(missing.status).toBe(401);
    expect((await lookupCustomer({ anonymousId })).status).toBe(404);
  });

  it('answers 400 for invalid JSON and for a request with no usable message, as Segment does', async () => {
    const invalid = await fetch(`${segmentHost}/v1/p`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"writeKey":' });
    const noIds = await browserCall('p', { type: 'page', properties: { url: 'https://www.example.org/' } });

    expect([invalid.status, noIds.status]).toEqual([400, 400]);
  });

  it('keeps the good messages of a batch when one is unusable', async () => {
    const anonymousId = `anon-${unique()}`;
    const good = { type: 'page', anonymousId, messageId: `m-${unique()}`, properties: { url: 'https://www.example.org/a' } };
    const bad = { type: 'page', messageId: `m-${unique()}`, properties: { url: 'https://www.example.org/b' } };
    const badUrl = { type: 'page', anonymousId, messageId: `m-${unique()}`, properties: { url: 'javascript:alert(1)' } };

    const response = await browserCall('batch', { batch: [good, bad, badUrl] });

    expect(response.status).toBe(200);
    expect((await visitsOf({ anonymousId })).map((visit) => (visit.details as { url: string }).url)).toEqual(['https://www.example.org/a']);
  });
});
