export { createTouchpointClient, type TouchpointClient, type TouchpointClientOptions } from './client.js';
export { type FetchResult, isProblem, type Problem, type SuccessData, TouchpointApiError, unwrap } from './errors.js';
export { isKeyedRoute, type KeyedRoute } from './idempotency.js';
export type { CustomerView, LookupCandidate, LookupIdentifier, LookupResult } from './lookup.js';
export { type Page, paginate } from './paging.js';
export { parseRetryAfter, type RetryEvent, type RetryOptions } from './retry.js';
export type { components, operations, paths } from './schema.js';
