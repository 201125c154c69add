import { type AuthenticatedClient, forbidden } from './client.ts';

/**
 * `source` names the system a touchpoint came from, and is taken from the credential, not trusted
 * from the body: a body without `source` gets the client's name; a body with one must name the
 * client, unless the client holds `touchpoints:relay` (an integration hub posting for others).
 */
export function withClientSource(body: unknown, client: AuthenticatedClient): unknown {
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  return isObject && (body as Record<string, unknown>).source === undefined ? { ...body, source: client.clientName } : body;
}

export function assertSourceAllowed(source: string, client: AuthenticatedClient): void {
  if (source !== client.clientName && !client.scopes.has('touchpoints:relay')) {
    throw forbidden(`source must be left out or be "${client.clientName}", the name of this credential.`);
  }
}
