import { generateApiKey } from '../../shared/auth/api-keys.ts';
import { authenticatedClient } from '../../shared/auth/client.ts';
import { ConflictError, ValidationError } from '../../shared/domain/errors.ts';
import { fingerprint } from '../../shared/domain/fingerprint.ts';
import { apiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { createApiKeySchema } from '../../shared/schemas/api-key.ts';
import { idempotencyKeySchema } from '../../shared/schemas/touchpoint.ts';

/**
 * The key is in this answer and nowhere else: only its SHA-256 is stored. A retry with the same
 * Idempotency-Key answers 200 with the key it made, without the key itself; a retry without one
 * meets the name's claim (409 naming the key).
 */
export async function createApiKeyRoute(event: ApiEvent): Promise<ApiResponse> {
  const input = parseWith(createApiKeySchema, event.body);
  const rawKey = header(event, 'idempotency-key');
  const idempotencyKey = rawKey === undefined ? undefined : parseWith(idempotencyKeySchema, rawKey, 'Idempotency-Key');
  const admin = authenticatedClient(event);
  const key = generateApiKey();
  const outcome = await apiKeyStore().create({
    key,
    name: input.name,
    scopes: input.scopes,
    kind: input.kind,
    ...(input.allowedOrigins ? { allowedOrigins: input.allowedOrigins } : {}),
    createdBy: admin.clientName,
    ...(input.replaces ? { replaces: input.replaces } : {}),
    ...(idempotencyKey ? { idempotency: { scope: admin.clientId, key: idempotencyKey, requestFingerprint: fingerprint(input) } } : {}),
  });
  const noStore = { 'cache-control': 'no-store' };
  switch (outcome.kind) {
    case 'created':
      return { statusCode: 201, body: { ...outcome.record, key }, headers: noStore };
    case 'replayed':
      return { statusCode: 200, body: { ...outcome.record, replayed: true }, headers: noStore };
    case 'name-taken':
      throw new ConflictError(
        `The name ${input.name} belongs to another key: one name is one system. To rotate that system's key, send "replaces" with its key id.`,
        { name: input.name, ...(outcome.keyId ? { keyId: outcome.keyId } : {}) },
      );
    case 'not-replaceable':
      throw new ValidationError([{ path: 'replaces', message: `is not the id of a key named ${input.name}` }]);
    case 'key-exists':
      // 256 random bits cannot collide with a stored key; a failure here is a bug, not a conflict.
      throw new Error('A freshly generated API key already exists');
  }
}

export const handler = apiHandler(createApiKeyRoute, { jsonBody: true });
