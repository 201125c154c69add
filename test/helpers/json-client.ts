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

/** A small fetch-based client for the local API: JSON in, JSON (or problem+json) out. */
export function jsonClient(baseUrl: string): JsonClient {
  const send: JsonClient['send'] = async (method, path, init = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    send,
    get: (path) => send('GET', path),
    post: (path, body, headers = {}) =>
      send('POST', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
  };
}
