/**
 * The route table: the one list of routes that both the CDK stack (one HTTP API route and one
 * Lambda per function) and the local server (the same handlers behind a small adapter) are built
 * from. Each function is a folder under `functions/` whose `handler.ts` exports `handler`.
 */
import type { RouteAccess } from '../auth/scopes.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface Route {
  method: HttpMethod;
  /** API Gateway path syntax: `{name}` for a path parameter, `{name+}` for a greedy one. */
  path: string;
  functionName: string;
  summary: string;
  /** The credential the route needs, named once here for the authorizer (in AWS and locally). */
  access: RouteAccess;
  /** The Lambda's timeout when the route's work grows with the customer's history (default 10 s). */
  timeoutSeconds?: number;
}

/** An HTTP API waits 30 s for its integration: a long route stops just short of that, with its work resumable. */
const longRouteTimeoutSeconds = 29;
const defaultTimeoutSeconds = 10;

export const routes = [
  { method: 'GET', path: '/v1/health', functionName: 'check-health', summary: 'Liveness check', access: 'public' },
  { method: 'GET', path: '/v1/openapi.json', functionName: 'get-openapi', summary: 'OpenAPI 3.1 document', access: 'authenticated' },
  { method: 'POST', path: '/v1/touchpoints', functionName: 'ingest-touchpoint', summary: 'Record one touchpoint', access: 'touchpoints:write' },
  {
    method: 'POST',
    path: '/v1/touchpoints/batch',
    functionName: 'ingest-touchpoint-batch',
    summary: 'Record up to 100 touchpoints, each succeeding or failing alone',
    access: 'touchpoints:write',
    // One sender's items are recorded in order: a known customer's are folded (shared/domain/ingest-lane.ts),
    // anything else of a batch of 100 for one customer is 100 ingests.
    timeoutSeconds: longRouteTimeoutSeconds,
  },
  {
    method: 'POST',
    path: '/v1/web/touchpoints',
    functionName: 'ingest-web-touchpoints',
    summary: "The website snippet's batch of web visits, sent with a public key from one of its allowed origins",
    access: 'public-key',
    timeoutSeconds: longRouteTimeoutSeconds,
  },
  {
    method: 'OPTIONS',
    path: '/v1/web/touchpoints',
    functionName: 'answer-web-preflight',
    summary: "CORS preflight of the web route: answered for the public key's allowed origins only",
    access: 'public-key',
  },
  {
    method: 'GET',
    path: '/v1/customers/lookup',
    functionName: 'lookup-customer',
    summary: 'Recognise a customer by one identifier',
    access: 'customers:read',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}',
    functionName: 'get-customer',
    summary: 'A customer with identifiers and summary',
    access: 'customers:read',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/timeline',
    functionName: 'get-timeline',
    summary: "A customer's touchpoints, newest first, paged",
    access: 'customers:read',
  },
  {
    method: 'GET',
    path: '/v1/customers',
    functionName: 'list-customers',
    summary: "A value tier's customers, most recent day of last contact first, paged",
    access: 'customers:read',
  },
  {
    method: 'PATCH',
    path: '/v1/customers/{customerId}',
    functionName: 'update-customer',
    summary: 'Set the display name and traits',
    access: 'customers:write',
  },
  {
    method: 'PUT',
    path: '/v1/customers/{customerId}/preferences',
    functionName: 'set-preferences',
    summary: 'Record what the customer told us about being contacted',
    access: 'customers:write',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/contact-check',
    functionName: 'check-contact',
    summary: 'May we contact this customer on this channel now, and if not why not',
    access: 'customers:read',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/identifiers',
    functionName: 'list-identifiers',
    summary: 'Every identifier with its provenance: which touchpoint, system, rule or person attached it',
    access: 'customers:read',
  },
  {
    method: 'POST',
    path: '/v1/customers/{customerId}/identifiers',
    functionName: 'link-identifier',
    summary: 'Link an identifier to a customer (shared: true for a household phone or family mailbox)',
    access: 'customers:write',
  },
  {
    method: 'DELETE',
    path: '/v1/customers/{customerId}/identifiers/{type}/{value}',
    functionName: 'unlink-identifier',
    summary: 'Remove an identifier from a customer',
    access: 'customers:write',
  },
  {
    method: 'POST',
    path: '/v1/customers/{customerId}/merge',
    functionName: 'merge-customers',
    timeoutSeconds: longRouteTimeoutSeconds,
    summary: 'Merge another customer into this one',
    access: 'identity:merge',
  },
  {
    method: 'POST',
    path: '/v1/merges/{mergeId}/undo',
    functionName: 'undo-merge',
    timeoutSeconds: longRouteTimeoutSeconds,
    summary: 'Undo a merge: both customers back as they were',
    access: 'identity:merge',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/merges',
    functionName: 'list-merges',
    summary: "A customer's merge and move audit trail",
    access: 'customers:read',
  },
  {
    method: 'GET',
    path: '/v1/merge-candidates',
    functionName: 'list-merge-candidates',
    summary: 'Pairs of customers claiming one identifier, for review',
    access: 'identity:merge',
  },
  {
    method: 'POST',
    path: '/v1/merge-candidates/{candidateId}/dismiss',
    functionName: 'dismiss-merge-candidate',
    summary: 'Dismiss a merge candidate: they are different people',
    access: 'identity:merge',
  },
  {
    method: 'POST',
    path: '/v1/touchpoints/{touchpointId}/move',
    functionName: 'move-touchpoint',
    summary: 'Move a touchpoint to another customer (audited like a merge)',
    access: 'identity:merge',
  },
  {
    method: 'POST',
    path: '/v1/keys',
    functionName: 'create-api-key',
    summary: 'Create an API key: shown once in the answer, stored only as a hash',
    access: 'keys:admin',
  },
  { method: 'GET', path: '/v1/keys', functionName: 'list-api-keys', summary: 'Every API key (never the keys themselves)', access: 'keys:admin' },
  {
    method: 'DELETE',
    path: '/v1/keys/{keyId}',
    functionName: 'revoke-api-key',
    summary: 'Revoke an API key (effective within the authorizer cache time)',
    access: 'keys:admin',
  },
  {
    method: 'DELETE',
    path: '/v1/customers/{customerId}',
    functionName: 'erase-customer',
    timeoutSeconds: longRouteTimeoutSeconds,
    summary: 'Erase everything held about a customer; suppress=true refuses their identifiers from then on',
    access: 'privacy:erase',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/export',
    functionName: 'export-customer',
    timeoutSeconds: longRouteTimeoutSeconds,
    summary: 'Everything held about a customer as one JSON document, paged for long histories',
    access: 'privacy:export',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/access-log',
    functionName: 'get-access-log',
    summary: "Who read the customer's data, when and how, newest first",
    access: 'privacy:export',
  },
  {
    method: 'DELETE',
    path: '/v1/suppressions/{hash}',
    functionName: 'lift-suppression',
    summary: "Lift the suppression of an erased customer's identifier",
    access: 'privacy:erase',
  },
  // Connectors: vendors' webhooks, each verified by its handler with that connector's own secret (docs/connectors.md).
  {
    method: 'POST',
    path: '/v1/connectors/stripe',
    functionName: 'receive-stripe-webhook',
    summary: 'Stripe invoice and dispute events (Stripe-Signature)',
    access: 'connector',
  },
  {
    method: 'POST',
    path: '/v1/connectors/twilio/call-status',
    functionName: 'receive-twilio-call-status',
    summary: 'Twilio voice status callbacks (X-Twilio-Signature)',
    access: 'connector',
  },
  {
    method: 'POST',
    path: '/v1/connectors/twilio/sms',
    functionName: 'receive-twilio-sms',
    summary: 'Twilio incoming messages (X-Twilio-Signature)',
    access: 'connector',
  },
  {
    method: 'POST',
    path: '/v1/connectors/segment/v1/{call}',
    functionName: 'receive-segment-events',
    summary: "Segment's HTTP Tracking API: identify, page, track, alias, group, batch and analytics.js's short paths (write key)",
    access: 'connector',
  },
  {
    method: 'POST',
    path: '/v1/connectors/ses',
    functionName: 'receive-ses-notification',
    summary: 'Amazon SES notifications delivered by an SNS HTTPS subscription (SNS message signature, topic allow-list)',
    access: 'connector',
  },
  {
    method: 'POST',
    path: '/v1/connectors/cti/{system}',
    functionName: 'receive-cti-webhook',
    summary: "A CTI system's call events: newCall, answer, hangup (X-CTI-Signature, a secret per system)",
    access: 'connector',
  },
] as const satisfies readonly Route[];

/** Answers every request no route matches with a problem-details 404 (the HTTP API `$default` route). */
export const notFoundFunctionName = 'route-not-found';

/** The HTTP API Lambda authorizer in front of every route whose access is not `public`. */
export const authorizerFunctionName = 'authorize-request';

export const functionNames: readonly string[] = [
  ...new Set<string>([...routes.map((route) => route.functionName), notFoundFunctionName, authorizerFunctionName]),
];

/** How long a function may run: its route's timeout, else the default. */
export function timeoutSecondsOf(functionName: string): number {
  const route: Route | undefined = routes.find((candidate) => candidate.functionName === functionName);
  return route?.timeoutSeconds ?? defaultTimeoutSeconds;
}

export function handlerEntry(functionName: string): string {
  return `functions/${functionName}/handler.ts`;
}
