import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTouchpointClient, parseRetryAfter, type RetryEvent, type RetryOptions, TouchpointApiError, unwrap } from '../../clients/typescript/src/index.ts';

/**
 * The retry rules against a real HTTP server that answers from a script (503s, 429s, dropped
 * connections, pages that are not problems): the cases a healthy local stack cannot be made to
 * produce on demand. test/client/faults.test.ts checks them against the real API with faults.
 */
interface Seen {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: string;
  at: number;
}
type Answer = (response: ServerResponse, request: IncomingMessage) => void;

let server: Server;
let baseUrl: string;
let script: Answer[] = [];
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    seen.push({
      method: request.method ?? '',
      path: request.url ?? '',
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      body,
      at: performance.now(),
    });
    const answer = script.shift() ?? problem(500, 'unscripted');
    answer(response, request);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script = [];
  seen = [];
});

function problem(status: number, slug: string, headers: Record<string, string> = {}): Answer {
  return (response) => {
    response.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    response.end(JSON.stringify({ type: `urn:touchpoint-api:problem:${slug}`, title: slug, status, detail: `scripted ${status}` }));
  };
}

function json(status: number, body: unknown): Answer {
  return (response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
}

const dropConnection: Answer = (_response, request) => request.socket.destroy();

function client(retry: RetryOptions = {}, events: RetryEvent[] = []) {
  return createTouchpointClient({
    baseUrl,
    apiKey: 'tpk_scripted',
    retry: { baseDelayMs: 10, onRetry: (event) => events.push(event), ...retry },
  });
}

const touchpoint = {
  channel: 'web_visit' as const,
  source: 'scripted',
  identifiers: { email: 'ada@example.com' },
  details: { url: 'https://example.com/' },
};
const receipt = { touchpointId: 'tp_1', customerId: 'cus_1', customerCreated: true, replayed: false };

describe('retries', () => {
  it('wait at least the Retry-After the server names, and resend the same body with the same Idempotency-Key', async () => {
    script = [problem(503, 'store-unavailable', { 'retry-after': '1' }), json(201, receipt)];
    const events: RetryEvent[] = [];

    const result = await unwrap(client({}, events).POST('/v1/touchpoints', { body: touchpoint }));

    expect(result.touchpointId).toBe('tp_1');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(seen[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]!.idempotencyKey).toBe(seen[0]!.idempotencyKey);
    expect(seen[1]!.body).toBe(seen[0]!.body);
    expect(JSON.parse(seen[1]!.body)).toEqual(touchpoint);
    expect(events).toEqual([expect.objectContaining({ attempt: 1, status: 503, idempotencyKey: seen[0]!.idempotencyKey })]);
    expect(events[0]!.delayMs).toBeGreaterThanOrEqual(1000);
  });

  it("keep the caller's own Idempotency-Key on every attempt", async () => {
    script = [
      problem(429, 'throttled', { 'retry-after': '0' }),
      problem(503, 'store-unavailable', { 'retry-after': '0' }),
      json(200, { ...receipt, replayed: true }),
    ];

    await unwrap(client().POST('/v1/touchpoints', { params: { header: { 'idempotency-key': 'caller-key-1' } }, body: touchpoint }));

    expect(seen.map((request) => request.idempotencyKey)).toEqual(['caller-key-1', 'caller-key-1', 'caller-key-1']);
  });

  it('give up after maxAttempts and throw the last problem', async () => {
    script = Array.from({ length: 5 }, () => problem(503, 'store-unavailable', { 'retry-after': '0' }));

    const failure = await unwrap(client({ maxAttempts: 3 }).GET('/v1/customers/{customerId}', { params: { path: { customerId: 'cus_1' } } })).catch(
      (error: unknown) => error,
    );

    expect(seen).toHaveLength(3);
    expect(failure).toBeInstanceOf(TouchpointApiError);
    expect(failure).toMatchObject({ status: 503, type: 'urn:touchpoint-api:problem:store-unavailable' });
  });

  it('answer at once when Retry-After is beyond maxDelayMs', async () => {
    script = [problem(503, 'store-unavailable', { 'retry-after': '120' }), json(200, {})];

    const { response } = await client({ maxDelayMs: 5_000 }).GET('/v1/openapi.json');

    expect(response.status).toBe(503);
    expect(seen).toHaveLength(1);
  });

  it('do not repeat a 503 of a write that carries no Idempotency-Key (it may have been applied)', async () => {
    script = [problem(503, 'store-unavailable', { 'retry-after': '0' }), json(201, {})];

    const { response } = await client().POST('/v1/customers/{customerId}/merge', {
      params: { path: { customerId: 'cus_1' } },
      body: { sourceCustomerId: 'cus_2', reason: 'same person' },
    });

    expect(response.status).toBe(503);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.idempotencyKey).toBeUndefined();
  });

  it('repeat a 429 of any request: it was refused before any work', async () => {
    script = [problem(429, 'throttled', { 'retry-after': '0' }), json(201, {})];

    const { response } = await client().POST('/v1/customers/{customerId}/merge', {
      params: { path: { customerId: 'cus_1' } },
      body: { sourceCustomerId: 'cus_2', reason: 'same person' },
    });

    expect(response.status).toBe(201);
    expect(seen).toHaveLength(2);
  });

  it('repeat a keyed write whose connection dropped, with the same key', async () => {
    script = [dropConnection, json(201, receipt)];

    const result = await unwrap(client().POST('/v1/touchpoints', { body: touchpoint }));

    expect(result.touchpointId).toBe('tp_1');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.idempotencyKey).toBe(seen[0]!.idempotencyKey);
  });

  it('back off exponentially with full jitter when no Retry-After is named, and add jitter to one that is', async () => {
    script = [problem(503, 'store-unavailable'), problem(503, 'store-unavailable'), problem(503, 'store-unavailable', { 'retry-after': '0' }), json(200, {})];
    const events: RetryEvent[] = [];

    await client({ baseDelayMs: 100, random: () => 0.5 }, events).GET('/v1/openapi.json');

    expect(events.map((event) => event.delayMs)).toEqual([50, 100, 50]);
  });

  it('are off with retry: false', async () => {
    script = [problem(503, 'store-unavailable', { 'retry-after': '0' }), json(200, {})];

    const { response } = await createTouchpointClient({ baseUrl, apiKey: 'tpk_scripted', retry: false }).GET('/v1/openapi.json');

    expect(response.status).toBe(503);
    expect(seen).toHaveLength(1);
  });

  it('stop waiting when the caller aborts', async () => {
    script = [problem(503, 'store-unavailable', { 'retry-after': '30' }), json(200, {})];
    const controller = new AbortController();

    const pending = client().GET('/v1/openapi.json', { signal: controller.signal });
    while (seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('caller gave up'));

    await expect(pending).rejects.toThrow('caller gave up');
    expect(seen).toHaveLength(1);
  });
});

describe('errors that are not problem documents', () => {
  it('become an about:blank problem with the status and the body as detail', async () => {
    script = [
      (response) => {
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<html>Bad gateway</html>');
      },
    ];

    const failure = await unwrap(client().GET('/v1/openapi.json')).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TouchpointApiError);
    expect(failure).toMatchObject({ status: 502, type: 'about:blank', detail: '<html>Bad gateway</html>' });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores anything else', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');

    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
