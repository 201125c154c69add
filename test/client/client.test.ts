import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isProblem, paginate, TouchpointApiError, unwrap } from '../../clients/typescript/src/index.ts';
import type { components } from '../../clients/typescript/src/index.ts';
import { uniqueEmail, uniquePhone, useClientStack } from './stack.ts';

type TouchpointInput = components['schemas']['TouchpointInput'];

const stack = useClientStack();

function webVisit(identifiers: TouchpointInput['identifiers'], page = 'https://example.com/'): TouchpointInput {
  return { channel: 'web_visit', source: 'test-suite', identifiers, details: { url: page } };
}

async function customerWith(identifiers: TouchpointInput['identifiers']): Promise<string> {
  const recorded = await unwrap(stack.client().POST('/v1/touchpoints', { body: webVisit(identifiers) }));
  if (!('customerId' in recorded)) throw new Error('The test key reads customers: its answers name them');
  return recorded.customerId;
}

describe('lookup', () => {
  it('finds the one customer who owns an identifier', async () => {
    const phone = uniquePhone();
    const customerId = await customerWith({ phone });

    const result = await stack.client().lookup({ phone });

    expect(result.kind).toBe('found');
    expect(result.kind === 'found' && result.customer.customer.customerId).toBe(customerId);
  });

  it('names the candidates when several customers share the identifier (300), most recent contact first', async () => {
    const phone = uniquePhone();
    const caller = await customerWith({ phone });
    const partner = await customerWith({ email: uniqueEmail() });
    await unwrap(
      stack.client().POST('/v1/customers/{customerId}/identifiers', {
        params: { path: { customerId: partner } },
        body: { type: 'phone', value: phone, shared: true },
      }),
    );

    const result = await stack.client().lookup({ phone });

    expect(result.kind).toBe('candidates');
    if (result.kind !== 'candidates') return;
    expect(result.candidates.map((candidate) => candidate.customerId).sort()).toEqual([caller, partner].sort());
    expect(result.candidates.every((candidate) => candidate.matchedBy.shared && candidate.matchedBy.type === 'phone')).toBe(true);
    expect(result.detail).toMatch(/shared/);
  });

  it('answers not-found with the problem document when nobody has the identifier', async () => {
    const result = await stack.client().lookup({ email: uniqueEmail('nobody') });

    expect(result.kind).toBe('not-found');
    expect(result.kind === 'not-found' && result.problem.status).toBe(404);
    expect(result.kind === 'not-found' && result.problem.type).toBe('urn:touchpoint-api:problem:not-found');
  });

  it('throws a TouchpointApiError for an identifier the API refuses (422)', async () => {
    const failure = await stack
      .client()
      .lookup({ phone: 'not a phone number' })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TouchpointApiError);
    expect(failure).toMatchObject({ status: 422, type: 'urn:touchpoint-api:problem:validation-failed' });
  });
});

describe('typed errors', () => {
  it('carry the problem document of a 422, field errors included, and nothing is stored', async () => {
    const email = uniqueEmail();
    const missingDetails = { channel: 'call', source: 'test-suite', identifiers: { email } };

    const failure = await stack
      .client()
      // The point is a body the types forbid, as a caller in plain JavaScript would send it.
      .request('post', '/v1/touchpoints', { body: JSON.parse(JSON.stringify(missingDetails)) })
      .then((result) => unwrap(result))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TouchpointApiError);
    const error = failure as TouchpointApiError;
    expect(error.status).toBe(422);
    expect(error.type).toBe('urn:touchpoint-api:problem:validation-failed');
    expect(error.title).toBeTruthy();
    expect(error.problem.errors?.some((field) => field.path.startsWith('details'))).toBe(true);
    expect(error.message).toContain('422');
    expect((await stack.client().lookup({ email })).kind).toBe('not-found');
  });

  it('keep the extension members of a problem (the owner named by a 409)', async () => {
    const email = uniqueEmail();
    const owner = await customerWith({ email });
    const other = await customerWith({ phone: uniquePhone() });

    const failure = await unwrap(
      stack.client().POST('/v1/customers/{customerId}/identifiers', {
        params: { path: { customerId: other } },
        body: { type: 'email', value: email, shared: false },
      }),
    ).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TouchpointApiError);
    expect((failure as TouchpointApiError).status).toBe(409);
    expect((failure as TouchpointApiError).problem.customerId).toBe(owner);
  });

  it('say 404 for an unknown customer', async () => {
    const failure = await unwrap(
      stack.client().GET('/v1/customers/{customerId}', { params: { path: { customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB' } } }),
    ).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TouchpointApiError);
    expect(failure).toMatchObject({ status: 404, type: 'urn:touchpoint-api:problem:not-found' });
    expect(isProblem((failure as TouchpointApiError).problem)).toBe(true);
  });

  it('say 403 when the key lacks the scope, and 401 or 403 for a key the API does not know', async () => {
    const writer = await stack.clientFor('web-tracker', ['touchpoints:write:web_visit']);

    const refused = await unwrap(writer.GET('/v1/customers/{customerId}', { params: { path: { customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB' } } })).catch(
      (error: unknown) => error,
    );
    const unknown = await unwrap(stack.client({ apiKey: 'tpk_nobody-has-this-key-00000000000000000' }).GET('/v1/openapi.json')).catch(
      (error: unknown) => error,
    );

    expect(refused).toMatchObject({ status: 403, type: 'urn:touchpoint-api:problem:forbidden' });
    expect(unknown).toBeInstanceOf(TouchpointApiError);
    expect([401, 403]).toContain((unknown as TouchpointApiError).status);
  });

  it('ask a key function before every request (a token that refreshes)', async () => {
    const asked: number[] = [];
    const client = stack.client({
      apiKey: () => {
        asked.push(asked.length);
        return asked.length === 1 ? 'tpk_expired-token-000000000000000000000000' : 'tpk_test-suite-key-with-every-scope-0000000000';
      },
    });

    const first = await client.GET('/v1/openapi.json');
    const second = await client.GET('/v1/openapi.json');

    expect(first.response.status).toBe(403);
    expect(second.response.status).toBe(200);
    expect(asked).toHaveLength(2);
  });
});

describe('idempotency keys', () => {
  it('are generated for a keyed write sent without one: the same key again replays the first answer', async () => {
    const sent: (string | null)[] = [];
    const client = stack.client({
      idempotencyKey: () => 'client-test-fixed-key-1',
      fetch: (request) => {
        sent.push(request.headers.get('idempotency-key'));
        return fetch(request);
      },
    });
    const body = webVisit({ email: uniqueEmail() });

    const first = await unwrap(client.POST('/v1/touchpoints', { body }));
    const again = await unwrap(client.POST('/v1/touchpoints', { body }));

    expect(sent).toEqual(['client-test-fixed-key-1', 'client-test-fixed-key-1']);
    expect('replayed' in first && first.replayed).toBe(false);
    expect('replayed' in again && again.replayed).toBe(true);
    expect(again.touchpointId).toBe(first.touchpointId);
  });

  it('are a fresh UUID per request by default, and never sent on routes that take none', async () => {
    const sent: { method: string; key: string | null }[] = [];
    const client = stack.client({
      fetch: (request) => {
        sent.push({ method: request.method, key: request.headers.get('idempotency-key') });
        return fetch(request);
      },
    });
    const email = uniqueEmail();

    const first = await unwrap(client.POST('/v1/touchpoints', { body: webVisit({ email }) }));
    await unwrap(client.POST('/v1/touchpoints', { body: webVisit({ email }, 'https://example.com/pricing') }));
    if (!('customerId' in first)) throw new Error('The test key reads customers');
    await unwrap(client.PATCH('/v1/customers/{customerId}', { params: { path: { customerId: first.customerId } }, body: { displayName: 'Ada' } }));

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(sent[0]?.key).toMatch(uuid);
    expect(sent[1]?.key).toMatch(uuid);
    expect(sent[0]?.key).not.toBe(sent[1]?.key);
    expect(sent[2]).toEqual({ method: 'PATCH', key: null });
  });

  it("take a touchpoint's own idempotencyKey as the header, so the two never disagree", async () => {
    const sent: (string | null)[] = [];
    const client = stack.client({
      fetch: (request) => {
        sent.push(request.headers.get('idempotency-key'));
        return fetch(request);
      },
    });
    const body = { ...webVisit({ email: uniqueEmail() }), idempotencyKey: 'client-body-key-7' };

    const first = await unwrap(client.POST('/v1/touchpoints', { body }));
    const again = await unwrap(client.POST('/v1/touchpoints', { body }));

    expect(sent).toEqual(['client-body-key-7', 'client-body-key-7']);
    expect(again.touchpointId).toBe(first.touchpointId);
  });
});

const hopByHop = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

describe('exactly once across a retry', () => {
  it('stores a touchpoint once when the answer to the first attempt is lost on the way back', async () => {
    // A proxy in front of the local API that lets the first POST through, then cuts the connection
    // before the answer reaches the client: the touchpoint is stored, the client never hears so.
    let posts = 0;
    const keys: (string | undefined)[] = [];
    const proxy = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && !hopByHop.has(name)) headers.set(name, value);
      const upstream = await fetch(`${stack.url()}${request.url}`, { method: request.method ?? 'GET', headers, ...(body ? { body } : {}) });
      const answer = await upstream.text();
      if (request.method === 'POST') {
        posts += 1;
        keys.push(request.headers['idempotency-key'] as string | undefined);
        if (posts === 1) {
          request.socket.destroy();
          return;
        }
      }
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      response.end(answer);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const email = uniqueEmail('lost-answer');
    try {
      const client = stack.client({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });

      const recorded = await unwrap(client.POST('/v1/touchpoints', { body: webVisit({ email }) }));
      const customer = await stack.client().lookup({ email });
      const timeline = [];
      if (customer.kind === 'found') for await (const touchpoint of stack.client().timeline(customer.customer.customer.customerId)) timeline.push(touchpoint);

      expect(posts).toBe(2);
      expect(keys[0]).toBeDefined();
      expect(keys[1]).toBe(keys[0]);
      expect('replayed' in recorded && recorded.replayed).toBe(true);
      expect(timeline.map((touchpoint) => touchpoint.touchpointId)).toEqual([recorded.touchpointId]);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('paging', () => {
  it('walks a timeline of more than 100 touchpoints page by page, newest first, each once', async () => {
    const email = uniqueEmail('long-history');
    const start = Date.parse('2026-06-01T00:00:00Z');
    const items = Array.from({ length: 101 }, (_, index) => ({
      ...webVisit({ email }, `https://example.com/page/${index}`),
      occurredAt: new Date(start + index * 60_000).toISOString(),
    }));
    const recorded: string[] = [];
    for (const batch of [items.slice(0, 100), items.slice(100)]) {
      const { results } = await unwrap(stack.client().POST('/v1/touchpoints/batch', { body: { items: batch } }));
      for (const result of results) {
        if ('detail' in result) throw new Error(`An item failed: ${result.detail}`);
        recorded.push(result.touchpointId);
      }
    }
    const customer = await stack.client().lookup({ email });
    if (customer.kind !== 'found') throw new Error(`Expected the customer, got ${customer.kind}`);
    const pagesFetched: string[] = [];
    const client = stack.client({
      fetch: (request) => {
        pagesFetched.push(new URL(request.url).searchParams.get('cursor') ?? 'first');
        return fetch(request);
      },
    });

    const seen: { touchpointId: string; occurredAt: string }[] = [];
    for await (const touchpoint of client.timeline(customer.customer.customer.customerId, { limit: 50 })) seen.push(touchpoint);

    expect(seen).toHaveLength(101);
    expect(new Set(seen.map((touchpoint) => touchpoint.touchpointId))).toEqual(new Set(recorded));
    expect(seen.map((touchpoint) => touchpoint.occurredAt)).toEqual(items.map((item) => item.occurredAt).reverse());
    expect(pagesFetched).toHaveLength(3);
    expect(pagesFetched[0]).toBe('first');
  });

  it('keeps the filters on every page (a cursor is valid only for the request that issued it)', async () => {
    const email = uniqueEmail('filtered');
    const visits = Array.from({ length: 5 }, (_, index) => webVisit({ email }, `https://example.com/f/${index}`));
    const calls: TouchpointInput[] = Array.from({ length: 3 }, () => ({
      channel: 'call',
      source: 'test-suite',
      identifiers: { email },
      details: { direction: 'inbound', durationSeconds: 30 },
    }));
    await unwrap(stack.client().POST('/v1/touchpoints/batch', { body: { items: [...visits, ...calls] } }));
    const customer = await stack.client().lookup({ email });
    if (customer.kind !== 'found') throw new Error(`Expected the customer, got ${customer.kind}`);

    const channels: string[] = [];
    for await (const touchpoint of stack.client().timeline(customer.customer.customer.customerId, { channel: 'call', limit: 1 })) {
      channels.push(touchpoint.channel);
    }

    expect(channels).toEqual(['call', 'call', 'call']);
  });

  it('stops fetching when the loop stops', async () => {
    const email = uniqueEmail('stop');
    await unwrap(
      stack.client().POST('/v1/touchpoints/batch', {
        body: { items: Array.from({ length: 6 }, (_, index) => webVisit({ email }, `https://example.com/s/${index}`)) },
      }),
    );
    const customer = await stack.client().lookup({ email });
    if (customer.kind !== 'found') throw new Error(`Expected the customer, got ${customer.kind}`);
    let requests = 0;
    const client = stack.client({
      fetch: (request) => {
        requests += 1;
        return fetch(request);
      },
    });

    const firstTwo: string[] = [];
    for await (const touchpoint of client.timeline(customer.customer.customer.customerId, { limit: 2 })) {
      firstTwo.push(touchpoint.touchpointId);
      if (firstTwo.length === 2) break;
    }

    expect(firstTwo).toHaveLength(2);
    expect(requests).toBe(1);
  });

  it("walks a value tier's customers page by page", async () => {
    const mine = [await customerWith({ phone: uniquePhone() }), await customerWith({ phone: uniquePhone() }), await customerWith({ phone: uniquePhone() })];
    let pages = 0;
    const client = stack.client({
      fetch: (request) => {
        pages += 1;
        return fetch(request);
      },
    });

    const listed: string[] = [];
    for await (const customer of client.customers('bronze', { limit: 1 })) listed.push(customer.customerId);

    expect(listed).toEqual(expect.arrayContaining(mine));
    expect(new Set(listed).size).toBe(listed.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('pages any list route through paginate, here the API keys, and throws the problem of a page that fails', async () => {
    for (const name of ['paging-a', 'paging-b', 'paging-c']) await stack.clientFor(name, ['customers:read']);
    const client = stack.client();

    const names: string[] = [];
    for await (const key of paginate((cursor) => client.GET('/v1/keys', { params: { query: { limit: 1, ...(cursor ? { cursor } : {}) } } }))) {
      names.push(key.name);
    }
    const forged = paginate((cursor) => client.GET('/v1/keys', { params: { query: { limit: 1, cursor: cursor ?? 'not-a-cursor' } } }));
    const failure = await forged.next().catch((error: unknown) => error);

    expect(names).toEqual(expect.arrayContaining(['paging-a', 'paging-b', 'paging-c']));
    expect(new Set(names).size).toBe(names.length);
    expect(failure).toBeInstanceOf(TouchpointApiError);
    expect((failure as TouchpointApiError).status).toBe(400);
  });
});
