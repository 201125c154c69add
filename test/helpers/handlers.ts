import { handler as getCustomerHandler } from '../../functions/get-customer/handler.ts';
import { handler as getTimelineHandler } from '../../functions/get-timeline/handler.ts';
import { handler as ingestBatchHandler } from '../../functions/ingest-touchpoint-batch/handler.ts';
import { handler as ingestHandler } from '../../functions/ingest-touchpoint/handler.ts';
import { handler as lookupHandler } from '../../functions/lookup-customer/handler.ts';
import { handler as mergeHandler } from '../../functions/merge-customers/handler.ts';
import { handler as setPreferencesHandler } from '../../functions/set-preferences/handler.ts';
import { apiEvent, type InvokeResult, invoke } from './api-event.ts';

/**
 * The Lambdas as API Gateway calls them: each helper builds a payload 2.0 event and invokes the
 * function's exported middy `handler`, so the whole middleware stack runs.
 */

export function postTouchpoint(body: unknown, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(ingestHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints', body, headers }));
}

export function postBatch(body: unknown, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(ingestBatchHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints/batch', body, headers }));
}

export function mergeCustomers(targetCustomerId: string, sourceCustomerId: string, reason = 'Same person, confirmed on the phone'): Promise<InvokeResult> {
  return invoke(
    mergeHandler,
    apiEvent({
      method: 'POST',
      routePath: '/v1/customers/{customerId}/merge',
      path: `/v1/customers/${targetCustomerId}/merge`,
      pathParameters: { customerId: targetCustomerId },
      body: { sourceCustomerId, reason },
    }),
  );
}

export function lookupCustomer(query: Record<string, string>): Promise<InvokeResult> {
  return invoke(lookupHandler, apiEvent({ routePath: '/v1/customers/lookup', query }));
}

export function getCustomer(customerId: string): Promise<InvokeResult> {
  return invoke(
    getCustomerHandler,
    apiEvent({
      routePath: '/v1/customers/{customerId}',
      path: `/v1/customers/${encodeURIComponent(customerId)}`,
      pathParameters: { customerId },
    }),
  );
}

export function getTimeline(customerId: string, query: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(
    getTimelineHandler,
    apiEvent({
      routePath: '/v1/customers/{customerId}/timeline',
      path: `/v1/customers/${encodeURIComponent(customerId)}/timeline`,
      pathParameters: { customerId },
      ...(Object.keys(query).length > 0 ? { query } : {}),
    }),
  );
}

/** Posts a touchpoint that must succeed and returns its ingest result. */
export async function recordTouchpoint(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ touchpointId: string; customerId: string; customerCreated: boolean; replayed: boolean }> {
  const response = await postTouchpoint(body, headers);
  if (response.status !== 201) {
    throw new Error(`Arranging a touchpoint failed with ${response.status}: ${response.rawBody}`);
  }
  return response.body;
}

/** Every touchpoint of a customer, all pages, newest first. */
export async function wholeTimeline(customerId: string, query: Record<string, string> = {}): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const page = await getTimeline(customerId, { limit: '200', ...query, ...(cursor ? { cursor } : {}) });
    if (page.status !== 200) throw new Error(`Reading the timeline failed with ${page.status}: ${page.rawBody}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/** PUT preferences as the call centre records them, unless the body says otherwise. */
export function putPreferences(customerId: string, body: Record<string, unknown>): Promise<InvokeResult> {
  return invoke(
    setPreferencesHandler,
    apiEvent({
      method: 'PUT',
      routePath: '/v1/customers/{customerId}/preferences',
      path: `/v1/customers/${customerId}/preferences`,
      pathParameters: { customerId },
      body: { receivedVia: 'call', source: 'call-centre', ...body },
    }),
  );
}
