import { authenticatedClient } from '../../shared/auth/client.ts';
import { createApiKey } from '../../shared/auth/manage-api-keys.ts';
import { apiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { createApiKeySchema } from '../../shared/schemas/api-key.ts';
import { idempotencyKeySchema } from '../../shared/schemas/common.ts';

/**
 * The key is in this answer and nowhere else: only its SHA-256 is stored. A retry with the same
 * Idempotency-Key answers 200 with the key it made, without the key itself; a retry without one
 * meets the name's claim (409 naming the key).
 */
export async function createApiKeyRoute(event: ApiEvent): Promise<ApiResponse> {
  const input = parseWith(createApiKeySchema, event.body);
  const rawKey = header(event, 'idempotency-key');
  const idempotencyKey = rawKey === undefined ? undefined : parseWith(idempotencyKeySchema, rawKey, 'Idempotency-Key');
  const created = await createApiKey(apiKeyStore(), input, authenticatedClient(event), idempotencyKey);
  const noStore = { 'cache-control': 'no-store' };
  return created.kind === 'created'
    ? { statusCode: 201, body: { ...created.record, key: created.key }, headers: noStore }
    : { statusCode: 200, body: { ...created.record, replayed: true }, headers: noStore };
}

export const handler = apiHandler(createApiKeyRoute, { jsonBody: true });
