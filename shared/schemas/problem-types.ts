// Without zod, unlike problem.ts: every function's error boundary names problem types, and the
// functions that validate nothing (check-health, route-not-found) need not bundle zod for that.

/**
 * Every problem type this API answers with, by slug, and what it means to a client. The `type` of
 * a problem is `urn:touchpoint-api:problem:<slug>`; the document lists each one.
 */
export const problemTypes = {
  'malformed-json': 'The body is not valid JSON, or JSON this API refuses (duplicate keys, absurd nesting, lone surrogates)',
  'invalid-cursor': 'A cursor this API did not issue for this list and request',
  unauthenticated: 'No credential: send Authorization: Bearer <API key or token>',
  forbidden: 'The credential is refused (unknown, revoked, expired, without the Bearer prefix) or lacks the scope or channel needed',
  'not-found': 'The customer, touchpoint, merge, candidate or key named does not exist',
  'route-not-found': 'No route has this method and path',
  conflict: 'The change contradicts the current state (extension members name what is in the way)',
  'idempotency-conflict': 'The Idempotency-Key was used before for a different request',
  'identifier-suppressed': 'An identifier belongs to an erased customer who asked not to be recorded again',
  'payload-too-large': 'The body is over the size limit',
  'unsupported-media-type': 'The body is not sent as application/json',
  'validation-failed': 'Fields or parameters are invalid; `errors` names each one and why',
  'internal-error': 'A bug on our side; quote the requestId',
  'store-unavailable': 'The database throttled or failed: retry after Retry-After seconds with the same Idempotency-Key',
  timeout: 'The request ran out of time: retry after Retry-After seconds with the same Idempotency-Key',
  'authorizer-unavailable': 'The credential could not be checked (local server): retry after Retry-After seconds',
  'connector-not-configured': 'A connector whose sender secret or setting this stack lacks: nothing was recorded; retry after Retry-After seconds',
  'invalid-public-key': 'The web route: the key is not a live public key (unknown, revoked, or a secret key)',
  'origin-required': 'The web route: the request has no Origin header (a public key is accepted only from a page of its sites)',
  'origin-not-allowed': 'The web route: the Origin is not one the public key is bound to',
  'global-privacy-control': 'The web route: the browser sent Sec-GPC: 1, so nothing was recorded',
  'rate-limited': "The web route: the public key's or the visitor's rate limit was reached; retry after Retry-After seconds",
} as const;

export type ProblemSlug = keyof typeof problemTypes;

export const problemTypeBase = 'urn:touchpoint-api:problem:';
