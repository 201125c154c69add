import { authenticatedClient } from '../../shared/auth/client.ts';
import { revokeApiKey } from '../../shared/auth/manage-api-keys.ts';
import { apiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { keyPathSchema } from '../../shared/schemas/api-key.ts';

/** Idempotent: revoking a revoked key answers 200 with the first revocation. Takes effect within the authorizer cache TTL. */
export async function revokeApiKeyRoute(event: ApiEvent): Promise<ApiResponse> {
  const { keyId } = parseWith(keyPathSchema, event.pathParameters ?? {}, 'path');
  const record = await revokeApiKey(apiKeyStore(), keyId, authenticatedClient(event).clientName);
  return { statusCode: 200, body: record };
}

export const handler = apiHandler(revokeApiKeyRoute);
