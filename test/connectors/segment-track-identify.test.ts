import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchpointBody, unique, uniqueEmail } from '../fixtures/touchpoints.ts';
import { lookupCustomer, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { eraseCustomer } from '../helpers/privacy-handlers.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { parseTrackEvents } from '../../shared/connectors/segment/track-events.ts';

const writeKey = `wk_${unique()}${unique()}`;
process.env.SEGMENT_WRITE_KEY = writeKey;
/** The mapping docs/connectors.md gives as its example. */
const trackEvents = {
  'Invoice Disputed': {
    channel: 'invoice_query',
    summary: 'Invoice disputed on the website',
    details: { invoiceNumber: { from: 'properties.invoice_number' }, status: 'open', reason: { from: 'properties.reason' } },
  },
  'Order Completed': {
    channel: 'web_visit',
    summary: 'Order completed',
    value: { from: 'properties.revenue' },
    details: { url: { from: 'context.page.url' }, title: { from: 'context.page.title' } },
  },
};
process.env.SEGMENT_TRACK_EVENTS = JSON.stringify(trackEvents);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

function analyticsClient(): Analytics {
  return new Analytics({ writeKey, host: api.url, path: '/v1/connectors/segment/v1/batch', flushAt: 1, maxRetries: 0 });
}

/** What analytics.js sends: a text/plain JSON body with the write key inside, to a short path. */
function browserCall(path: string, body: Record<string, unknown>) {
  return fetch(`${api.url}/v1/connectors/segment/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ writeKey, ...body }),
  });
}

async function customerIdOf(query: Record<string, string>): Promise<string | undefined> {
  const found = await lookupCustomer(query);
  return found.status === 200 ? (found.body.customer.customerId as string) : undefined;
}

async function timelineOf(query: Record<string, string>) {
  const customerId = await customerIdOf(query);
  expect(customerId).toBeDefined();
  return wholeTimeline(customerId as string);
}

describe('Segment track events mapped by configuration', () => {
  it("records a mapped track event sent by @segment/analytics-node as its touchpoint: an open invoice query on the user's customer", async () => {
    const userId = `user-${unique()}`;
    const email = uniqueEmail();
    const analytics = analyticsClient();
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));

    analytics.track({ userId, event: 'Invoice Disputed', properties: { invoice_number: 'INV-7731', reason: 'Charged twice' }, context: { traits: { email } } });
    await analytics.closeAndFlush();

    expect(errors).toEqual([]);
    expect(await timelineOf({ email })).toEqual([
      expect.objectContaining({
        channel: 'invoice_query',
        source: 'segment',
        summary: 'Invoice disputed on the website',
        details: { invoiceNumber: 'INV-7731', status: 'open', reason: 'Charged twice' },
      }),
    ]);
    expect(await customerIdOf({ externalId: `segment:${userId}` })).toBe(await customerIdOf({ email }));
  });

  it('gives an analytics.js "Order Completed" its value and page, and records a retry of it once', async () => {
    const anonymousId = `anon-${unique()}`;
    const order = {
      type: 'track',
      event: 'Order Completed',
      anonymousId,
      messageId: `ajs-next-${unique()}`,
      properties: { order_id: 'o-1', revenue: '49.90', currency: 'GBP' },
      context: { page: { url: 'https://shop.example.org/checkout/done', title: 'Thank you' } },
      timestamp: new Date().toISOString(),
    };

    const answers = [await browserCall('t', order), await browserCall('t', order)];

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(await timelineOf({ anonymousId })).toEqual([
      expect.objectContaining({
        channel: 'web_visit',
        summary: 'Order completed',
        value: 49.9,
        details: { url: 'https://shop.example.org/checkout/done', title: 'Thank you' },
      }),
    ]);
  });

  it('ignores track events the configuration does not name, and skips a mapped one missing a required field while keeping the rest of the batch', async () => {
    const anonymousId = `anon-${unique()}`;
    const unnamed = { type: 'track', event: 'Invoice Downloaded', anonymousId, messageId: `m-${unique()}` };
    const noInvoiceNumber = { type: 'track', event: 'Invoice Disputed', anonymousId, messageId: `m-${unique()}`, properties: { reason: 'unclear' } };
    const disputed = { type: 'track', event: 'Invoice Disputed', anonymousId, messageId: `m-${unique()}`, properties: { invoice_number: 'INV-1' } };

    const answer = await browserCall('b', { batch: [unnamed, noInvoiceNumber, disputed] });

    expect(answer.status).toBe(200);
    expect((await timelineOf({ anonymousId })).map((touchpoint) => touchpoint.details)).toEqual([{ invoiceNumber: 'INV-1', status: 'open' }]);
  });

  it('refuses a configuration that is not JSON or names no channel of the API, naming the variable', () => {
    expect(() => parseTrackEvents('{"Order Completed":')).toThrow(/SEGMENT_TRACK_EVENTS is not JSON/);
    expect(() => parseTrackEvents(JSON.stringify({ 'Order Completed': { channel: 'purchase' } }))).toThrow(/SEGMENT_TRACK_EVENTS Order Completed\.channel/);
    expect(() => parseTrackEvents(JSON.stringify({ 'Order Completed': { channel: 'web_visit', details: { url: { from: 'a..b' } } } }))).toThrow(/dotted path/);
  });
});

describe('Segment identify joining the anonymous visitor to the known customer', () => {
  it("merges the visitor's anonymous profile into the customer the email names, moving its visits and adding no touchpoint", async () => {
    const anonymousId = `anon-${unique()}`;
    const email = uniqueEmail();
    const known = await recordTouchpoint(touchpointBody({ identifiers: { email } }));
    await browserCall('p', { type: 'page', anonymousId, messageId: `m-${unique()}`, properties: { url: 'https://www.example.org/pricing' } });
    const visitor = await customerIdOf({ anonymousId });

    const identify = await browserCall('i', { type: 'identify', anonymousId, userId: `user-${unique()}`, traits: { email }, messageId: `m-${unique()}` });

    expect(identify.status).toBe(200);
    expect(visitor).not.toBe(known.customerId);
    expect(await customerIdOf({ anonymousId })).toBe(known.customerId);
    expect((await timelineOf({ email })).map((touchpoint) => touchpoint.channel).sort()).toEqual(['call', 'web_visit']);
  });

  it('links an anonymousId nobody holds yet to the customer the userId names, sent by @segment/analytics-node', async () => {
    const anonymousId = `anon-${unique()}`;
    const userId = `user-${unique()}`;
    const known = await recordTouchpoint(touchpointBody({ identifiers: { externalId: { system: 'segment', id: userId } } }));
    const analytics = analyticsClient();

    analytics.identify({ userId, anonymousId, traits: { plan: 'pro' } });
    await analytics.closeAndFlush();

    expect(await customerIdOf({ anonymousId })).toBe(known.customerId);
    expect(await timelineOf({ anonymousId })).toHaveLength(1);
  });

  it('creates nobody for ids nobody knows, and takes no anonymousId from another known customer', async () => {
    const unknownVisitor = `anon-${unique()}`;
    const unknownEmail = uniqueEmail();
    const sharedBrowser = `anon-${unique()}`;
    const first = await recordTouchpoint(touchpointBody({ identifiers: { email: uniqueEmail(), anonymousId: sharedBrowser } }));
    const secondEmail = uniqueEmail();
    await recordTouchpoint(touchpointBody({ identifiers: { email: secondEmail } }));

    const answers = [
      await browserCall('i', { type: 'identify', anonymousId: unknownVisitor, traits: { email: unknownEmail }, messageId: `m-${unique()}` }),
      await browserCall('i', { type: 'identify', anonymousId: sharedBrowser, traits: { email: secondEmail }, messageId: `m-${unique()}` }),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect([await customerIdOf({ anonymousId: unknownVisitor }), await customerIdOf({ email: unknownEmail })]).toEqual([undefined, undefined]);
    expect(await customerIdOf({ anonymousId: sharedBrowser })).toBe(first.customerId);
  });

  it('never links the anonymousId of a visitor erased with suppression to anyone', async () => {
    const anonymousId = `anon-${unique()}`;
    const email = uniqueEmail();
    await recordTouchpoint(touchpointBody({ identifiers: { email } }));
    await browserCall('p', { type: 'page', anonymousId, messageId: `m-${unique()}`, properties: { url: 'https://www.example.org/' } });
    expect((await eraseCustomer((await customerIdOf({ anonymousId })) as string, { suppress: 'true' })).status).toBe(200);

    const identify = await browserCall('i', { type: 'identify', anonymousId, traits: { email }, messageId: `m-${unique()}` });

    expect(identify.status).toBe(200);
    expect(await customerIdOf({ anonymousId })).toBeUndefined();
  });
});
