import { authenticatedClient } from '../../shared/auth/client.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import { apiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { keyPathSchema } from '../../shared/schemas/api-key.ts';

/** Idempotent: revoking a revoked key answers 200 with the first revocation. Takes effect within the authorizer cache TTL. */
export async function revokeApiKeyRoute(event: ApiEvent): Promise<ApiResponse> {
  const { keyId } = parseWith(keyPathSchema, event.pathParameters ?? {}, 'path');
  const record = await apiKeyStore().revoke(keyId, authenticatedClient(event).clientName);
  if (!record) throw new NotFoundError(`No API key has the id ${keyId}.`);
  return { statusCode: 200, body: record };
}

export const handler = apiHandler(revokeApiKeyRoute);
