import { webRequest } from '../../shared/http/web-request.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { ingestBatch } from '../../shared/http/ingest-batch.ts';

/**
 * The website snippet's batches: the batch route's shape and per-item answers (202 receipts, the
 * key being write-only), sent with a public key from one of its origins. A browser asking not to
 * be tracked (Sec-GPC: 1) is refused before anything is stored.
 */
export async function ingestWebTouchpoints(event: ApiEvent): Promise<ApiResponse> {
  return webRequest(event, { refuseGlobalPrivacyControl: true }, async (client) => ({
    statusCode: 207,
    body: await ingestBatch(event.body, { idempotencyHeader: header(event, 'idempotency-key'), requestId: event.requestContext.requestId }, client),
  }));
}

export const handler = apiHandler(ingestWebTouchpoints, { jsonBody: 'or-text-plain', takesQuery: true });
