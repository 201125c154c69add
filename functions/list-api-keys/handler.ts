import { listApiKeys } from '../../shared/auth/manage-api-keys.ts';
import { apiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { listApiKeysQuerySchema } from '../../shared/schemas/api-key.ts';

export async function listApiKeysRoute(event: ApiEvent): Promise<ApiResponse> {
  const query = parseWith(listApiKeysQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await listApiKeys(apiKeyStore(), { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
  return { statusCode: 200, body: page };
}

export const handler = apiHandler(listApiKeysRoute, { takesQuery: true });
