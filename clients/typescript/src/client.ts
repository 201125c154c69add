import createClient, { type Client } from 'openapi-fetch';
import { idempotencyKeyMiddleware } from './idempotency.js';
import { type LookupIdentifier, type LookupResult, lookupCustomer } from './lookup.js';
import { paginate } from './paging.js';
import { type RetryOptions, retryingFetch } from './retry.js';
import type { paths } from './schema.js';

export interface TouchpointClientOptions {
  /** The API's origin, e.g. `https://touchpoint.example.com` or `http://localhost:3000` (paths start with /v1). */
  baseUrl: string;
  /** An API key or an OIDC access token, sent as `Authorization: Bearer ...`; a function is asked before every request (a token that refreshes). */
  apiKey: string | (() => string | Promise<string>);
  /** Retries on 429/503 (see RetryOptions); `false` sends every request once. */
  retry?: RetryOptions | false;
  /** Makes an Idempotency-Key for a keyed write sent without one (default crypto.randomUUID). */
  idempotencyKey?: () => string;
  /** The fetch to send with (default globalThis.fetch). */
  fetch?: (request: Request) => Promise<Response>;
}

type TimelineQuery = Omit<NonNullable<paths['/v1/customers/{customerId}/timeline']['get']['parameters']['query']>, 'cursor'>;
type Touchpoint = NonNullable<paths['/v1/customers/{customerId}/timeline']['get']['responses'][200]['content']['application/json']>['items'][number];
type Tier = paths['/v1/customers']['get']['parameters']['query']['tier'];
type CustomerCard = paths['/v1/customers']['get']['responses'][200]['content']['application/json']['items'][number];

/** Every route of the document (`GET`, `POST`, ... from openapi-fetch), and the helpers people reach for first. */
export interface TouchpointClient extends Client<paths> {
  /** Recognise a customer by one identifier: found, candidates (a shared identifier) or not found. */
  lookup(identifier: LookupIdentifier, options?: { signal?: AbortSignal }): Promise<LookupResult>;
  /** A customer's touchpoints, newest first, across every page. */
  timeline(customerId: string, query?: TimelineQuery): AsyncGenerator<Touchpoint, void, undefined>;
  /** A value tier's customers, most recently in contact first, across every page. */
  customers(tier: Tier, query?: { limit?: number }): AsyncGenerator<CustomerCard, void, undefined>;
}

export function createTouchpointClient(options: TouchpointClientOptions): TouchpointClient {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.retry === false ? send : retryingFetch(send, options.retry),
  });
  const { apiKey } = options;
  client.use(
    {
      async onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${typeof apiKey === 'function' ? await apiKey() : apiKey}`);
        return request;
      },
    },
    idempotencyKeyMiddleware(options.idempotencyKey ?? (() => globalThis.crypto.randomUUID())),
  );
  return Object.assign(client, {
    lookup: (identifier: LookupIdentifier, lookupOptions: { signal?: AbortSignal } = {}) => lookupCustomer(client, identifier, lookupOptions.signal),
    timeline: (customerId: string, query: TimelineQuery = {}) =>
      paginate((cursor) =>
        client.GET('/v1/customers/{customerId}/timeline', {
          params: { path: { customerId }, query: { ...query, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    customers: (tier: Tier, query: { limit?: number } = {}) =>
      paginate((cursor) => client.GET('/v1/customers', { params: { query: { tier, ...query, ...(cursor ? { cursor } : {}) } } })),
  });
}
