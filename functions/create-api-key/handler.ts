import { generateApiKey } from '../../shared/auth/api-keys.ts';
import { authenticatedClient } from '../../shared/auth/client.ts';
import { apiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { createApiKeySchema } from '../../shared/schemas/api-key.ts';

/** The key is in this answer and nowhere else: only its SHA-256 is stored. */
export async function createApiKeyRoute(event: ApiEvent): Promise<ApiResponse> {
  const input = parseWith(createApiKeySchema, event.body);
  const admin = authenticatedClient(event);
  const key = generateApiKey();
  const record = await apiKeyStore().create({ key, name: input.name, scopes: input.scopes, createdBy: admin.clientName });
  // 256 random bits cannot collide with a stored key; a failure here is a bug, not a conflict.
  if (!record) throw new Error('A freshly generated API key already exists');
  return { statusCode: 201, body: { ...record, key }, headers: { 'cache-control': 'no-store' } };
}

export const handler = apiHandler(createApiKeyRoute, { jsonBody: true });
