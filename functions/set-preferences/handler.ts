import { authenticatedClient } from '../../shared/auth/client.ts';
import { assertSourceAllowed, withClientSource } from '../../shared/auth/source.ts';
import { recordPreferences } from '../../shared/domain/manage-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema, preferencesInputSchema } from '../../shared/schemas/customer.ts';

export async function setPreferencesRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const client = authenticatedClient(event);
  const input = parseWith(preferencesInputSchema, withClientSource(event.body, client));
  assertSourceAllowed(input.source, client);
  const recorded = await recordPreferences(customerStore(), customerId, input, new Date());
  return { statusCode: 200, body: { customerId, ...recorded } };
}

export const handler = apiHandler(setPreferencesRoute, { jsonBody: true });
