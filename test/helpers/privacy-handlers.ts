import { handler as createApiKeyHandler } from '../../functions/create-api-key/handler.ts';
import { handler as eraseCustomerHandler } from '../../functions/erase-customer/handler.ts';
import { handler as exportCustomerHandler } from '../../functions/export-customer/handler.ts';
import { handler as getAccessLogHandler } from '../../functions/get-access-log/handler.ts';
import { handler as liftSuppressionHandler } from '../../functions/lift-suppression/handler.ts';
import { handler as listApiKeysHandler } from '../../functions/list-api-keys/handler.ts';
import { handler as revokeApiKeyHandler } from '../../functions/revoke-api-key/handler.ts';
import type { AuthorizerContext } from '../../shared/auth/client.ts';
import { apiEvent, type InvokeResult, invoke } from './api-event.ts';

/** The access and privacy Lambdas as API Gateway calls them, with the default test client unless told. */

type Query = Record<string, string>;
const customerPath = (customerId: string, suffix = '') => `/v1/customers/${encodeURIComponent(customerId)}${suffix}`;

export function exportCustomer(customerId: string, query: Query = {}, authorizer?: AuthorizerContext): Promise<InvokeResult> {
  return invoke(
    exportCustomerHandler,
    apiEvent({
      routePath: '/v1/customers/{customerId}/export',
      path: customerPath(customerId, '/export'),
      pathParameters: { customerId },
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(authorizer ? { authorizer } : {}),
    }),
  );
}

export function getAccessLog(customerId: string, query: Query = {}): Promise<InvokeResult> {
  return invoke(
    getAccessLogHandler,
    apiEvent({
      routePath: '/v1/customers/{customerId}/access-log',
      path: customerPath(customerId, '/access-log'),
      pathParameters: { customerId },
      ...(Object.keys(query).length > 0 ? { query } : {}),
    }),
  );
}

export function eraseCustomer(customerId: string, query: Query = {}): Promise<InvokeResult> {
  return invoke(
    eraseCustomerHandler,
    apiEvent({
      method: 'DELETE',
      routePath: '/v1/customers/{customerId}',
      path: customerPath(customerId),
      pathParameters: { customerId },
      ...(Object.keys(query).length > 0 ? { query } : {}),
    }),
  );
}

export function liftSuppression(hash: string): Promise<InvokeResult> {
  return invoke(
    liftSuppressionHandler,
    apiEvent({ method: 'DELETE', routePath: '/v1/suppressions/{hash}', path: `/v1/suppressions/${hash}`, pathParameters: { hash } }),
  );
}

export function createApiKey(body: unknown): Promise<InvokeResult> {
  return invoke(createApiKeyHandler, apiEvent({ method: 'POST', routePath: '/v1/keys', body }));
}

export function listApiKeys(query: Query = {}): Promise<InvokeResult> {
  return invoke(listApiKeysHandler, apiEvent({ routePath: '/v1/keys', ...(Object.keys(query).length > 0 ? { query } : {}) }));
}

export function revokeApiKey(keyId: string): Promise<InvokeResult> {
  return invoke(revokeApiKeyHandler, apiEvent({ method: 'DELETE', routePath: '/v1/keys/{keyId}', path: `/v1/keys/${keyId}`, pathParameters: { keyId } }));
}
