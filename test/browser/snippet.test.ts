import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../shared/auth/api-keys.ts';
import { buildSnippet } from '../../clients/web/build.ts';
import { launchChromium } from '../helpers/browser.ts';
import { registerKey } from '../helpers/credentials.ts';
import { type JsonClient, jsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { type Site, startSite } from '../helpers/snippet-site.ts';

/**
 * The snippet in a real Chromium: a shop on one local port, the API on another (so every call is
 * cross-origin, as on a real site), a second shop the key is not bound to on a third. What the
 * browser sent is watched through Playwright; what was stored is read through the API's timeline
 * with a read-only key.
 */
const sizeBudgetBytes = 3 * 1024;

let api: TestApi;
let reader: JsonClient;
let browser: Browser;
let snippetFile: string;
let shop: Site;
let otherShop: Site;
let publicKey: string;

beforeAll(async () => {
  snippetFile = await buildSnippet();
  api = await startTestApi({ authorizerCacheSeconds: 0 });
  const tag = () => ({ api: api.url, key: publicKey });
  shop = await startSite(snippetFile, tag);
  otherShop = await startSite(snippetFile, tag);
  const created = await api.client.post('/v1/keys', {
    name: 'shop-web',
    kind: 'public',
    scopes: ['touchpoints:write:web_visit'],
    allowedOrigins: [shop.origin],
  });
  expect(created.status).toBe(201);
  publicKey = created.body.key;
  const readKey = generateApiKey();
  await registerKey(readKey, 'console-reader', ['customers:read']);
  reader = jsonClient(api.url, { authorization: `Bearer ${readKey}` });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([shop?.close(), otherShop?.close(), api?.close()]);
});

interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Every request the page made to the API, in order. */
  apiRequests: Request[];
  anonymousId(): Promise<string | undefined>;
}

async function visitor(options: { gpc?: boolean; site?: Site; path?: string } = {}): Promise<Visitor> {
  const context = await browser.newContext(options.gpc ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {});
  // What a browser with Global Privacy Control switched on exposes to scripts (Chromium has no setting for it).
  if (options.gpc) await context.addInitScript("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })");
  const page = await context.newPage();
  const apiRequests: Request[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(api.url)) apiRequests.push(request);
  });
  await page.goto(`${(options.site ?? shop).origin}${options.path ?? '/'}`);
  await page.waitForFunction("typeof window.touchpoint?.page === 'function'");
  return {
    context,
    page,
    apiRequests,
    anonymousId: async () => (await context.cookies()).find((cookie) => cookie.name === 'tp_aid')?.value,
  };
}

const call = (page: Page, script: string) => page.evaluate(script);

/** The urls of the web visits stored for an anonymous id (its customer's timeline), or undefined when none is. */
async function customerOf(anonymousId: string): Promise<string | undefined> {
  const found = await reader.get(`/v1/customers/lookup?anonymousId=${encodeURIComponent(anonymousId)}`);
  if (found.status === 404) return undefined;
  expect(found.status).toBe(200);
  return found.body.customer.customerId;
}

async function storedVisitUrls(anonymousId: string): Promise<string[] | undefined> {
  const customerId = await customerOf(anonymousId);
  if (!customerId) return undefined;
  const timeline = await reader.get(`/v1/customers/${customerId}/timeline?channel=web_visit`);
  expect(timeline.status).toBe(200);
  return (timeline.body.items as Array<{ details: { url: string } }>).map((item) => new URL(item.details.url).pathname).sort();
}

const poll = { timeout: 20_000, interval: 200 };

describe('consent first', () => {
  it('sets no cookie and sends nothing before consent, then logs the page once the visitor consents', async () => {
    const { context, page, apiRequests, anonymousId } = await visitor({ path: '/welcome' });
    try {
      await call(page, 'touchpoint.page(); touchpoint.identify({ email: "early@example.com" }); touchpoint.flush()');
      await call(page, "history.pushState({}, '', '/before-consent')");

      expect(await anonymousId()).toBeUndefined();
      expect(apiRequests).toEqual([]);

      await call(page, 'touchpoint.consent(true); touchpoint.flush()');
      const id = await anonymousId();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await expect.poll(() => storedVisitUrls(id as string), poll).toEqual(['/before-consent']);
    } finally {
      await context.close();
    }
  });

  it('clears the cookie and the queue on consent(false), and sends nothing after', async () => {
    const { context, page, apiRequests, anonymousId } = await visitor();
    try {
      await call(page, 'touchpoint.consent(true)');
      const id = await anonymousId();
      // Withdrawn within the batching delay: the queued page view never leaves.
      await call(page, 'touchpoint.consent(false); touchpoint.page(); touchpoint.flush()');

      expect(await anonymousId()).toBeUndefined();
      expect(await call(page, 'document.cookie')).not.toContain('tp_aid');
      expect(apiRequests).toEqual([]);
      expect(await storedVisitUrls(id as string)).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('honours Global Privacy Control: no cookie and no request even after consent(true)', async () => {
    const { context, page, apiRequests, anonymousId } = await visitor({ gpc: true });
    try {
      expect(await call(page, 'navigator.globalPrivacyControl')).toBe(true);
      await call(page, 'touchpoint.consent(true); touchpoint.page(); touchpoint.identify({ email: "gpc@example.com" }); touchpoint.flush()');
      await call(page, "history.pushState({}, '', '/gpc-next')");
      await call(page, 'touchpoint.flush()');

      expect(await anonymousId()).toBeUndefined();
      expect(apiRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('visits', () => {
  it('logs SPA navigation: pushState, replaceState to a new url, and popstate', async () => {
    const { context, page, anonymousId } = await visitor({ path: '/spa' });
    try {
      await call(page, 'touchpoint.consent(true)');
      await call(page, "history.pushState({}, '', '/spa/products/42')");
      // The same url again (a framework saving scroll state) is not a new visit.
      await call(page, "history.replaceState({ scroll: 10 }, '', location.href)");
      await call(page, "history.replaceState({}, '', '/spa/products/42?tab=reviews')");
      await call(page, 'history.back()');
      await page.waitForURL('**/spa');
      await call(page, 'touchpoint.flush()');
      const id = (await anonymousId()) as string;

      await expect.poll(() => storedVisitUrls(id), poll).toEqual(['/spa', '/spa', '/spa/products/42', '/spa/products/42']);
    } finally {
      await context.close();
    }
  });

  it('delivers the queue with sendBeacon when the page is hidden', async () => {
    const { context, page, anonymousId } = await visitor({ path: '/leaving' });
    try {
      // Without fetch, only the beacon can deliver.
      await call(page, "window.fetch = () => Promise.reject(new TypeError('fetch is switched off in this test'))");
      await call(page, 'touchpoint.consent(true)');
      const id = (await anonymousId()) as string;
      // Still in the batching delay when the visitor leaves.
      await page.goto('about:blank');

      await expect.poll(() => storedVisitUrls(id), poll).toEqual(['/leaving']);
    } finally {
      await context.close();
    }
  });

  it('retries a batch whose answer was lost with the same idempotency keys, and the visit is stored once', async () => {
    const { context, page, apiRequests, anonymousId } = await visitor({ path: '/flaky' });
    try {
      let lost = 0;
      await page.route(`${api.url}/**`, async (route) => {
        if (lost > 0) return route.continue();
        lost += 1;
        // The request lands and is stored; the visitor's network drops the answer.
        await route.fetch();
        await route.abort('connectionreset');
      });
      await call(page, 'touchpoint.consent(true); touchpoint.flush()');
      const id = (await anonymousId()) as string;

      await expect.poll(() => apiRequests.length, poll).toBe(2);
      const keys = apiRequests.map((request) => (JSON.parse(request.postData() ?? '{}').items as Array<{ idempotencyKey: string }>)[0]?.idempotencyKey);
      expect(keys[0]).toMatch(/^web-/);
      expect(keys[1]).toBe(keys[0]);
      await expect.poll(() => storedVisitUrls(id), poll).toEqual(['/flaky']);
      const response = await apiRequests[1]?.response();
      expect(response?.status()).toBe(207);
      expect(await storedVisitUrls(id)).toEqual(['/flaky']);
    } finally {
      await context.close();
    }
  });
});

describe('identify', () => {
  it("joins the visitor's anonymous history to the customer who signs in", async () => {
    const email = `signed-in-${Date.now()}@example.com`;
    const phoneCall = await api.client.post('/v1/touchpoints', {
      channel: 'call',
      identifiers: { email },
      details: { direction: 'inbound', durationSeconds: 60 },
    });
    expect(phoneCall.status).toBe(201);
    const customerId = phoneCall.body.customerId as string;
    const { context, page, anonymousId } = await visitor({ path: '/catalogue' });
    try {
      await call(page, 'touchpoint.consent(true)');
      await call(page, "history.pushState({}, '', '/basket')");
      await call(page, 'touchpoint.flush()');
      const id = (await anonymousId()) as string;
      await expect.poll(() => storedVisitUrls(id), poll).toEqual(['/basket', '/catalogue']);

      await call(page, "history.pushState({}, '', '/account')");
      await call(page, `touchpoint.identify({ email: ${JSON.stringify(email)} }); touchpoint.flush()`);

      await expect.poll(() => customerOf(id), poll).toBe(customerId);
      const history = async () => {
        const timeline = await reader.get(`/v1/customers/${customerId}/timeline`);
        expect(timeline.status).toBe(200);
        const items = timeline.body.items as Array<{ channel: string; details: { url?: string } }>;
        return items.map((item) => (item.channel === 'web_visit' ? new URL(item.details.url as string).pathname : item.channel)).sort();
      };
      await expect.poll(history, poll).toEqual(['/account', '/account', '/basket', '/catalogue', 'call']);
    } finally {
      await context.close();
    }
  });
});

describe('a site the key is not bound to', () => {
  it('is refused: CORS fails in the browser and the API stores nothing', async () => {
    const { context, page, apiRequests, anonymousId } = await visitor({ site: otherShop, path: '/copycat' });
    try {
      const fromApi = (request: Request) => request.url().startsWith(api.url);
      // Finished or failed (CORS), the request is over: the API has answered it.
      const over = Promise.race([page.waitForEvent('requestfinished', fromApi), page.waitForEvent('requestfailed', fromApi)]);
      await call(page, 'touchpoint.consent(true); touchpoint.flush()');
      const request = await over;
      const id = (await anonymousId()) as string;

      expect(request.failure()?.errorText ?? 'no failure').not.toBe('no failure');
      const direct = await call(
        page,
        `fetch(${JSON.stringify(`${api.url}/v1/web/touchpoints?key=${publicKey}`)}, { method: 'POST', body: '{"items":[]}' })
          .then(() => 'read', (error) => 'blocked: ' + error.name)`,
      );
      expect(direct).toBe('blocked: TypeError');
      expect(apiRequests.length).toBeGreaterThan(0);
      expect(await storedVisitUrls(id)).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});

describe('the built file', () => {
  it(`is one file under ${sizeBudgetBytes} bytes gzipped`, () => {
    const file = readFileSync(snippetFile);
    const gzipped = gzipSync(file, { level: 9 }).length;
    console.log(`clients/web/dist/touchpoint.js: ${file.length} bytes, ${gzipped} bytes gzipped (budget ${sizeBudgetBytes})`);

    expect(gzipped).toBeLessThan(sizeBudgetBytes);
    expect(file.toString()).not.toMatch(/\bimport\b|\brequire\(/);
  });
});
