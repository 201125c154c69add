import type { JsonClient, JsonResponse } from './json-client.ts';

/**
 * The identity-graph routes over HTTP, as staff and systems call them, for the API tests.
 * `arrange*` helpers fail loudly when the arrangement itself did not succeed.
 */

export interface IngestOutcome {
  touchpointId: string;
  customerId: string;
  customerCreated: boolean;
  merges?: Array<{ mergeId: string; sourceCustomerId: string }>;
}

export type IdentifierType = 'phone' | 'email' | 'accountId' | 'invoiceNumber' | 'anonymousId' | 'externalId';

export function identityApi(client: JsonClient) {
  const sendJson = (method: string, path: string, body: unknown): Promise<JsonResponse> =>
    client.send(method, path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  const expectStatus = (response: JsonResponse, status: number, what: string) => {
    if (response.status !== status) {
      throw new Error(`Arranging ${what} failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }
    return response;
  };

  const api = {
    postTouchpoint: (body: unknown) => client.post('/v1/touchpoints', body),
    async arrangeTouchpoint(body: unknown): Promise<IngestOutcome> {
      return expectStatus(await api.postTouchpoint(body), 201, 'a touchpoint').body;
    },
    link: (customerId: string, body: { type: IdentifierType; value: string; shared?: boolean; requestedBy?: string }) =>
      sendJson('POST', `/v1/customers/${customerId}/identifiers`, body),
    async arrangeLink(customerId: string, body: { type: IdentifierType; value: string; shared?: boolean }) {
      return expectStatus(await api.link(customerId, body), 201, 'a link').body;
    },
    unlink: (customerId: string, type: IdentifierType, value: string) =>
      client.send('DELETE', `/v1/customers/${customerId}/identifiers/${type}/${encodeURIComponent(value)}`),
    merge: (targetId: string, sourceCustomerId: string, reason = 'Same person, confirmed on the phone') =>
      sendJson('POST', `/v1/customers/${targetId}/merge`, { sourceCustomerId, reason }),
    async arrangeMerge(targetId: string, sourceCustomerId: string): Promise<{ mergeId: string }> {
      return expectStatus(await api.merge(targetId, sourceCustomerId), 201, 'a merge').body;
    },
    undo: (mergeId: string) => sendJson('POST', `/v1/merges/${mergeId}/undo`, { reason: 'Two people after all' }),
    move: (touchpointId: string, customerId: string) =>
      sendJson('POST', `/v1/touchpoints/${touchpointId}/move`, { customerId, reason: 'The caller was the other one' }),
    setPreferences: (customerId: string, body: Record<string, unknown>) =>
      sendJson('PUT', `/v1/customers/${customerId}/preferences`, { receivedVia: 'call', source: 'call-centre', ...body }),
    lookup: (type: IdentifierType | 'customerId', value: string) => client.get(`/v1/customers/lookup?${new URLSearchParams({ [type]: value })}`),
    customer: (customerId: string) => client.get(`/v1/customers/${customerId}`),
    identifiers: (customerId: string) => client.get(`/v1/customers/${customerId}/identifiers`),
    merges: (customerId: string) => client.get(`/v1/customers/${customerId}/merges`),
    candidates: (query = '') => client.get(`/v1/merge-candidates${query}`),
    dismiss: (candidateId: string) => sendJson('POST', `/v1/merge-candidates/${candidateId}/dismiss`, {}),

    /** Every touchpoint of a customer, newest first, all pages; with the page's redirect fields. */
    async timeline(customerId: string): Promise<{ items: Array<Record<string, unknown>>; customerId?: string; redirectedFrom?: string }> {
      const items: Array<Record<string, unknown>> = [];
      let cursor: string | null = null;
      let first: JsonResponse | undefined;
      do {
        const query = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
        const page = expectStatus(await client.get(`/v1/customers/${customerId}/timeline?${query}`), 200, 'a timeline read');
        first ??= page;
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return { items, customerId: first?.body.customerId, redirectedFrom: first?.body.redirectedFrom };
    },

    /** Every open merge candidate, all pages (the filter on status can leave a page short). */
    async openCandidates(): Promise<Array<{ candidateId: string; customerIds: string[]; identifiers: unknown[]; status: string }>> {
      const items = [];
      let cursor: string | null = null;
      do {
        const page = expectStatus(await api.candidates(`?limit=200${cursor ? `&cursor=${cursor}` : ''}`), 200, 'a candidate list');
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items;
    },

    /**
     * What staff see of a customer: the lookup by one of its identifiers, the customer (card without
     * its freshness stamp), the whole timeline and the identifiers with provenance.
     */
    async views(customerId: string, lookupBy: { type: IdentifierType; value: string }) {
      const [lookup, customer, identifiers, timeline] = await Promise.all([
        api.lookup(lookupBy.type, lookupBy.value),
        api.customer(customerId),
        api.identifiers(customerId),
        api.timeline(customerId),
      ]);
      return {
        lookup: { status: lookup.status, body: withoutFreshness(lookup.body) },
        customer: { status: customer.status, body: withoutFreshness(customer.body) },
        identifiers: { status: identifiers.status, body: identifiers.body },
        timeline: timeline.items,
      };
    },
  };
  return api;
}

/** A customer view without `card.freshness` (when it was updated and read), which a merge and undo move on. */
export function withoutFreshness(body: { card?: Record<string, unknown> } | undefined) {
  if (!body?.card) return body;
  const { freshness: _freshness, ...card } = body.card;
  return { ...body, card };
}

export const ids = (items: Array<Record<string, unknown>>) => items.map((item) => item.touchpointId as string);
