import type { ApiEvent } from './api-handler.ts';

/** Who acts, for audit trails: the authenticated client, and the person it names if it names one. */
export function actorOf(event: ApiEvent, requestedBy?: string): string {
  const authorizer = (event.requestContext as { authorizer?: { lambda?: { clientName?: unknown } } }).authorizer;
  const client = typeof authorizer?.lambda?.clientName === 'string' ? authorizer.lambda.clientName : 'local';
  return requestedBy ? `${client} (${requestedBy})` : client;
}
