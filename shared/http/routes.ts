/**
 * The route table: the one list of routes that both the CDK stack (one HTTP API route and one
 * Lambda per function) and the local server (the same handlers behind a small adapter) are built
 * from. Each function is a folder under `functions/` whose `handler.ts` exports `handler`.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: HttpMethod;
  /** API Gateway path syntax: `{name}` for a path parameter, `{name+}` for a greedy one. */
  path: string;
  functionName: string;
  summary: string;
}

export const routes = [
  { method: 'GET', path: '/v1/health', functionName: 'check-health', summary: 'Liveness check' },
  { method: 'GET', path: '/v1/openapi.json', functionName: 'get-openapi', summary: 'OpenAPI 3.1 document' },
  { method: 'POST', path: '/v1/touchpoints', functionName: 'ingest-touchpoint', summary: 'Record one touchpoint' },
  {
    method: 'POST',
    path: '/v1/touchpoints/batch',
    functionName: 'ingest-touchpoint-batch',
    summary: 'Record up to 100 touchpoints, each succeeding or failing alone',
  },
  {
    method: 'GET',
    path: '/v1/customers/lookup',
    functionName: 'lookup-customer',
    summary: 'Recognise a customer by one identifier',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}',
    functionName: 'get-customer',
    summary: 'A customer with identifiers and summary',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/timeline',
    functionName: 'get-timeline',
    summary: "A customer's touchpoints, newest first, paged",
  },
  {
    method: 'GET',
    path: '/v1/customers',
    functionName: 'list-customers',
    summary: "A value tier's customers, most recently in contact first, paged",
  },
  {
    method: 'PATCH',
    path: '/v1/customers/{customerId}',
    functionName: 'update-customer',
    summary: 'Set the display name and traits',
  },
  {
    method: 'PUT',
    path: '/v1/customers/{customerId}/preferences',
    functionName: 'set-preferences',
    summary: 'Record what the customer told us about being contacted',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/contact-check',
    functionName: 'check-contact',
    summary: 'May we contact this customer on this channel now, and if not why not',
  },
] as const satisfies readonly Route[];

/** Answers every request no route matches with a problem-details 404 (the HTTP API `$default` route). */
export const notFoundFunctionName = 'route-not-found';

export const functionNames: readonly string[] = [
  ...new Set<string>([...routes.map((route) => route.functionName), notFoundFunctionName]),
];

export function handlerEntry(functionName: string): string {
  return `functions/${functionName}/handler.ts`;
}
