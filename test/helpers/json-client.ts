import { routes, timeoutSecondsOf } from '../../shared/http/routes.ts';
import { checkExchange } from './contract.ts';

/**
 * How long a test's HTTP client waits for an answer: longer than the slowest route's own deadline,
 * after which the server answers 503 timeout itself. A client that gave up first would race the
 * machine: on a busy one a slow erase would fail the test with an abort instead of showing what
 * the server answers.
 */
export const answerWaitMs = (Math.max(...routes.map((route) => timeoutSecondsOf(route.functionName))) + 5) * 1000;

export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON and assert on it
  body: any;
}

export interface JsonClient {
  get(path: string): Promise<JsonResponse>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  /** Any request with a raw body, for content-type and malformed-body cases. */
  send(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<JsonResponse>;
}

/**
 * A small fetch-based client for the local API: JSON in, JSON (or problem+json) out. `defaultHeaders`
 * (the test credentials, for one) go with every request; a request's own headers override them,
 * and an `authorization` of `''` sends no Authorization header at all.
 */
export function jsonClient(baseUrl: string, defaultHeaders: Record<string, string> = {}): JsonClient {
  const send: JsonClient['send'] = async (method, path, init = {}) => {
    const headers = withDefaults(defaultHeaders, init.headers);
    const response = await contractFetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(answerWaitMs),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    send,
    get: (path) => send('GET', path),
    post: (path, body, headers = {}) => send('POST', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
  };
}

/** Statuses whose answers carry no body: a Response cannot be built with one. */
const bodilessStatuses = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` for tests that need the raw request or answer, with the exchange held to the OpenAPI
 * document all the same. It answers a fresh Response over the body it already read.
 */
export async function contractFetch(
  url: string,
  init: Omit<RequestInit, 'headers' | 'body'> & { headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const response = await fetch(url, init);
  const text = await response.text();
  const sent = new URL(url);
  // Node's HTTP parser refuses oversized headers before any route runs (API Gateway has limits of
  // its own): that answer is the transport's, not an operation's.
  const transportRefusal = response.status === 431 && text === '';
  if (!transportRefusal)
    checkExchange({
      method: init.method ?? 'GET',
      path: sent.pathname,
      query: Object.fromEntries(sent.searchParams),
      requestHeaders: init.headers,
      requestBody: init.body,
      status: response.status,
      responseHeaders: Object.fromEntries(response.headers),
      responseBody: text,
    });
  return new Response(bodilessStatuses.has(response.status) ? null : text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function withDefaults(defaults: Record<string, string>, given: Record<string, string> = {}): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults)) merged[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(given)) merged[name.toLowerCase()] = value;
  if (merged.authorization === '') delete merged.authorization;
  return merged;
}
