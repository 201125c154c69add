import { authenticatedClient } from '../../shared/auth/client.ts';
import { assertSourceAllowed, withClientSource } from '../../shared/auth/source.ts';
import { fingerprint } from '../../shared/domain/fingerprint.ts';
import { recordPreferences } from '../../shared/domain/manage-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { idempotencyKeySchema } from '../../shared/schemas/common.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { preferencesInputSchema } from '../../shared/schemas/preferences.ts';

/** With an Idempotency-Key, a retry of a change that committed answers the same and records nothing more. */
export async function setPreferencesRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const client = authenticatedClient(event);
  const posted = withClientSource(event.body, client);
  const input = parseWith(preferencesInputSchema, posted);
  assertSourceAllowed(input.source, client);
  const rawKey = header(event, 'idempotency-key');
  const key = rawKey === undefined ? undefined : parseWith(idempotencyKeySchema, rawKey, 'Idempotency-Key');
  const idempotency = key ? { key, requestFingerprint: fingerprint({ customerId, preferences: posted }) } : undefined;
  const recorded = await recordPreferences(customerStore(), customerId, input, new Date(), idempotency);
  return { statusCode: 200, body: recorded };
}

export const handler = apiHandler(setPreferencesRoute, { jsonBody: true });
