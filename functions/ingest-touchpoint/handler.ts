import { authenticatedClient } from '../../shared/auth/client.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { ingestPostedTouchpoint } from '../../shared/http/ingest-request.ts';

export async function ingestTouchpointRoute(event: ApiEvent): Promise<ApiResponse> {
  const idempotencyHeader = header(event, 'idempotency-key');
  const answer = await ingestPostedTouchpoint(
    event.body,
    { receivedAt: new Date(), ...(idempotencyHeader === undefined ? {} : { idempotencyHeader }) },
    authenticatedClient(event),
  );
  return { statusCode: answer.status, body: answer.body };
}

export const handler = apiHandler(ingestTouchpointRoute, { jsonBody: true });
