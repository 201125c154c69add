import { authenticatedClient } from '../../shared/auth/client.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { ingestBatch } from '../../shared/http/ingest-batch.ts';

export async function ingestTouchpointBatch(event: ApiEvent): Promise<ApiResponse> {
  const body = await ingestBatch(
    event.body,
    { idempotencyHeader: header(event, 'idempotency-key'), requestId: event.requestContext.requestId },
    authenticatedClient(event),
  );
  return { statusCode: 207, body };
}

export const handler = apiHandler(ingestTouchpointBatch, { jsonBody: true });
