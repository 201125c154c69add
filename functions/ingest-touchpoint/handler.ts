import { authenticatedClient } from '../../shared/auth/client.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { ingestPostedTouchpoint } from '../../shared/http/ingest-request.ts';

export async function ingestTouchpointRoute(event: ApiEvent): Promise<ApiResponse> {
  const result = await ingestPostedTouchpoint(event.body, new Date(), header(event, 'idempotency-key'), authenticatedClient(event));
  return { statusCode: result.replayed ? 200 : 201, body: result };
}

export const handler = apiHandler(ingestTouchpointRoute, { jsonBody: true });
