import { type AuthenticatedClient, authenticatedClient } from '../../shared/auth/client.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { toProblemResponse } from '../../shared/http/error-boundary.ts';
import { ingestPostedTouchpoint } from '../../shared/http/ingest-request.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { batchInputSchema } from '../../shared/schemas/touchpoint.ts';

/** Items recorded at once: enough to overlap DynamoDB latency, few enough not to throttle ourselves. */
const concurrency = 8;

export async function ingestTouchpointBatch(event: ApiEvent): Promise<ApiResponse> {
  const client = authenticatedClient(event);
  const { items } = parseWith(batchInputSchema, event.body);
  const receivedAt = new Date();
  const results = new Array<unknown>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await ingestItem(items[index], receivedAt, event.requestContext.requestId, client);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { statusCode: 207, body: { results } };
}

/** One item's outcome: its ingest result, or the problem that made it fail (alone), a 403 for a channel the client may not post. */
async function ingestItem(item: unknown, receivedAt: Date, requestId: string, client: AuthenticatedClient): Promise<unknown> {
  try {
    const result = await ingestPostedTouchpoint(item, receivedAt, undefined, client);
    return { status: result.replayed ? 200 : 201, ...result };
  } catch (error) {
    const { problem, headers } = toProblemResponse(error, requestId);
    return { ...problem, ...(headers['retry-after'] ? { retryAfter: Number(headers['retry-after']) } : {}) };
  }
}

export const handler = apiHandler(ingestTouchpointBatch, { jsonBody: true });
