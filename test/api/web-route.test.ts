import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../shared/auth/api-keys.ts';
import type { JsonClient } from '../helpers/json-client.ts';
import { jsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { registerKey } from '../helpers/credentials.ts';

/**
 * The web route and public keys over HTTP, through the local server: the same route table and
 * handlers as API Gateway. The browser's side of it is test/browser/snippet.test.ts.
 */
// Read at the first request (as at a cold start): small enough to reach in a test.
process.env.WEB_VISITOR_REQUESTS_PER_MINUTE = '3';

const site = 'https://shop.example.com';
let api: TestApi;
let anonymous: JsonClient;
let publicKey: string;
let secretKey: string;

beforeAll(async () => {
  api = await startTestApi({ authorizerCacheSeconds: 0 });
  anonymous = jsonClient(api.url);
  const created = await api.client.post('/v1/keys', {
    name: 'shop-web',
    kind: 'public',
    scopes: ['touchpoints:write:web_visit'],
    allowedOrigins: [site, 'http://localhost:5173'],
  });
  expect(created.status).toBe(201);
  publicKey = created.body.key;
  secretKey = generateApiKey();
  await registerKey(secretKey, 'web-secret', ['touchpoints:write:web_visit']);
});

afterAll(async () => {
  await api?.close();
});

let counter = 0;
function visit(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    channel: 'web_visit',
    identifiers: { anonymousId: `anon-${Date.now()}-${counter}` },
    details: { url: `${site}/page/${counter}` },
    ...overrides,
  };
}

function postWeb(items: unknown[], headers: Record<string, string> = { origin: site }, key = publicKey) {
  return anonymous.send('POST', `/v1/web/touchpoints?key=${encodeURIComponent(key)}`, {
    body: JSON.stringify({ items }),
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
  });
}

async function isStored(anonymousId: string): Promise<boolean> {
  const found = await api.client.get(`/v1/customers/lookup?anonymousId=${encodeURIComponent(anonymousId)}`);
  expect([200, 404]).toContain(found.status);
  return found.status === 200;
}

describe('creating a public key', () => {
  it('answers the key with its kind and origins', async () => {
    const created = await api.client.post('/v1/keys', {
      name: 'blog-web',
      kind: 'public',
      scopes: ['touchpoints:write:web_visit'],
      allowedOrigins: ['https://blog.example.com'],
    });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'public', allowedOrigins: ['https://blog.example.com'], scopes: ['touchpoints:write:web_visit'] });
    const listed = await api.client.get('/v1/keys?limit=200');
    expect(listed.body.items.find((key: { keyId: string }) => key.keyId === created.body.keyId)).toMatchObject({ kind: 'public' });
  });

  it.each([
    ['plain http outside this machine', { allowedOrigins: ['http://shop.example.com'] }, 'allowedOrigins.0'],
    ['a path', { allowedOrigins: ['https://shop.example.com/checkout'] }, 'allowedOrigins.0'],
    ['a trailing slash', { allowedOrigins: ['https://shop.example.com/'] }, 'allowedOrigins.0'],
    ['a wildcard', { allowedOrigins: ['https://*.example.com'] }, 'allowedOrigins.0'],
    ['no origins', { allowedOrigins: undefined }, 'allowedOrigins'],
    ['a scope that reads', { scopes: ['touchpoints:write:web_visit', 'customers:read'] }, 'scopes'],
    ['another channel', { scopes: ['touchpoints:write:call'] }, 'scopes'],
  ])('refuses a public key with %s', async (_, change, path) => {
    const refused = await api.client.post('/v1/keys', {
      name: `bad-web-${counter++}`,
      kind: 'public',
      scopes: ['touchpoints:write:web_visit'],
      allowedOrigins: [site],
      ...change,
    });

    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it('refuses origins on a secret key', async () => {
    const refused = await api.client.post('/v1/keys', { name: 'odd-secret', scopes: ['customers:read'], allowedOrigins: [site] });

    expect(refused.status).toBe(422);
  });
});

describe('POST /v1/web/touchpoints', () => {
  it('stores visits from an allowed origin and answers receipts only, with CORS for exactly that origin', async () => {
    const first = visit();
    const second = visit({ identifiers: first.identifiers, details: { url: `${site}/second` } });
    const response = await postWeb([first, second]);

    expect(response.status).toBe(207);
    expect(response.headers.get('access-control-allow-origin')).toBe(site);
    expect(response.headers.get('vary')).toMatch(/Origin/i);
    expect(response.body.results).toEqual([
      { status: 202, touchpointId: expect.stringMatching(/^tp_/) },
      { status: 202, touchpointId: expect.stringMatching(/^tp_/) },
    ]);
    expect(await isStored(first.identifiers.anonymousId)).toBe(true);
  });

  it('answers an identify the same way whether the email is a customer or not', async () => {
    const email = `known-${Date.now()}@example.com`;
    await api.client.post('/v1/touchpoints', { channel: 'call', identifiers: { email }, details: { direction: 'inbound', durationSeconds: 5 } });
    const known = await postWeb([visit({ identifiers: { anonymousId: `anon-k-${Date.now()}`, email } })]);
    const unknown = await postWeb([visit({ identifiers: { anonymousId: `anon-u-${Date.now()}`, email: `nobody-${Date.now()}@example.com` } })]);

    expect(Object.keys(known.body.results[0]).sort()).toEqual(['status', 'touchpointId']);
    expect(Object.keys(unknown.body.results[0]).sort()).toEqual(['status', 'touchpointId']);
    expect([known.status, known.body.results[0].status]).toEqual([unknown.status, unknown.body.results[0].status]);
  });

  it('stores a visit retried with the same idempotency key once', async () => {
    const retried = visit({ idempotencyKey: `web-retry-${Date.now()}` });
    const first = await postWeb([retried]);
    const again = await postWeb([retried]);

    expect(again.body.results[0].touchpointId).toBe(first.body.results[0].touchpointId);
  });

  it('refuses a request without an Origin, naming why, and stores nothing', async () => {
    const lost = visit();
    const response = await postWeb([lost], {});

    expect(response.status).toBe(403);
    expect(response.body.type).toMatch(/origin-required$/);
    expect(response.body.detail).toMatch(/Origin/);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(await isStored(lost.identifiers.anonymousId)).toBe(false);
  });

  it('refuses an origin the key is not bound to without CORS headers, and stores nothing', async () => {
    const lost = visit();
    const response = await postWeb([lost], { origin: 'https://copycat.example.net' });

    expect(response.status).toBe(403);
    expect(response.body.type).toMatch(/origin-not-allowed$/);
    expect(response.body.detail).toContain('https://copycat.example.net');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(await isStored(lost.identifiers.anonymousId)).toBe(false);
  });

  it('refuses a visit sent with Sec-GPC: 1 and stores nothing', async () => {
    const lost = visit();
    const response = await postWeb([lost], { origin: site, 'sec-gpc': '1' });

    expect(response.status).toBe(403);
    expect(response.body.type).toMatch(/global-privacy-control$/);
    // The page may read why: the origin is allowed.
    expect(response.headers.get('access-control-allow-origin')).toBe(site);
    expect(await isStored(lost.identifiers.anonymousId)).toBe(false);
  });

  it('refuses any channel but web_visit, item by item', async () => {
    const response = await postWeb([{ channel: 'call', identifiers: { email: 'x@example.com' }, details: { direction: 'inbound', durationSeconds: 1 } }]);

    expect(response.status).toBe(207);
    expect(response.body.results[0].status).toBe(403);
  });

  it.each([
    ['no key', undefined, 401],
    ['an unknown key', generateApiKey(), 403],
    ['a secret key (never put one in a page)', 'secret', 403],
  ])('refuses %s', async (_, key, status) => {
    const lost = visit();
    const path = key === undefined ? '/v1/web/touchpoints' : `/v1/web/touchpoints?key=${encodeURIComponent(key === 'secret' ? secretKey : key)}`;
    const response = await anonymous.send('POST', path, {
      body: JSON.stringify({ items: [lost] }),
      headers: { 'content-type': 'text/plain', origin: site },
    });

    expect(response.status).toBe(status);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(await isStored(lost.identifiers.anonymousId)).toBe(false);
  });

  it('refuses a revoked public key at once', async () => {
    const created = await api.client.post('/v1/keys', { name: 'old-web', kind: 'public', scopes: ['touchpoints:write:web_visit'], allowedOrigins: [site] });
    expect((await api.client.send('DELETE', `/v1/keys/${created.body.keyId}`)).status).toBe(200);

    const response = await postWeb([visit()], { origin: site }, created.body.key);

    expect(response.status).toBe(403);
  });
});

describe('rate limits', () => {
  it('refuses a visitor over its limit with 429, Retry-After and CORS, and stores nothing for the refused request', async () => {
    const anonymousId = `anon-busy-${Date.now()}`;
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof postWeb>> | undefined;
    let refusedUrl = '';
    // Twice the limit and one: however the requests fall across a window boundary, one window overflows.
    for (let index = 0; index < 7; index += 1) {
      const url = `${site}/busy/${index}`;
      const response = await postWeb([visit({ identifiers: { anonymousId }, details: { url } })]);
      statuses.push(response.status);
      if (response.status === 429 && !refused) {
        refused = response;
        refusedUrl = url;
      }
    }

    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 429 && status !== 207)).toEqual([]);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused?.headers.get('access-control-allow-origin')).toBe(site);
    expect(refused?.body.type).toMatch(/rate-limited$/);
    const found = await api.client.get(`/v1/customers/lookup?anonymousId=${anonymousId}`);
    const timeline = await api.client.get(`/v1/customers/${found.body.customer.customerId}/timeline?limit=50`);
    expect(timeline.body.items.map((item: { details: { url: string } }) => item.details.url)).not.toContain(refusedUrl);
  });

  it('does not slow other visitors of the same site', async () => {
    const response = await postWeb([visit()]);

    expect(response.status).toBe(207);
  });

  it('refuses a batch naming several visitors, and stores nothing', async () => {
    const one = visit();
    const response = await postWeb([one, visit()]);

    expect(response.status).toBe(422);
    expect(response.headers.get('access-control-allow-origin')).toBe(site);
    expect(await isStored(one.identifiers.anonymousId)).toBe(false);
  });
});

describe('a public key elsewhere', () => {
  it('is refused as a Bearer credential, even on the route its scope names', async () => {
    const lost = visit();
    const response = await anonymous.post('/v1/touchpoints', lost, { authorization: `Bearer ${publicKey}`, origin: site });

    expect(response.status).toBe(403);
    expect(await isStored(lost.identifiers.anonymousId)).toBe(false);
  });

  it('cannot read anything', async () => {
    const response = await anonymous.get('/v1/customers/lookup?anonymousId=anything');
    const withKey = await anonymous.send('GET', '/v1/customers/lookup?anonymousId=anything', { headers: { authorization: `Bearer ${publicKey}` } });

    expect(response.status).toBe(401);
    expect(withKey.status).toBe(403);
  });
});

describe('OPTIONS /v1/web/touchpoints (preflight)', () => {
  function preflight(origin: string | undefined, key = publicKey) {
    return anonymous.send('OPTIONS', `/v1/web/touchpoints?key=${encodeURIComponent(key)}`, {
      headers: {
        ...(origin ? { origin } : {}),
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
  }

  it.each([site, 'http://localhost:5173'])('answers %s, an origin of the key, with what the snippet needs and no wildcard', async (origin) => {
    const response = await preflight(origin);

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(response.headers.get('vary')).toMatch(/Origin/i);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it.each([
    ['another origin', 'https://copycat.example.net', publicKey],
    ['no origin', undefined, publicKey],
    ['a look-alike origin', 'https://shop.example.com.evil.example', publicKey],
    ['an unknown key', site, generateApiKey()],
  ])('refuses %s without CORS headers', async (_, origin, key) => {
    const response = await preflight(origin, key);

    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/Origin/i);
  });
});
