import { type AuthenticatedClient, authenticatedClient } from '../../shared/auth/client.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { toProblemResponse } from '../../shared/http/error-boundary.ts';
import { claimBatch, type IngestOptions, ingestPostedTouchpoint } from '../../shared/http/ingest-request.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { batchInputSchema, idempotencyKeySchema } from '../../shared/schemas/touchpoint.ts';

/** Items recorded at once: enough to overlap DynamoDB latency, few enough not to throttle ourselves. */
const concurrency = 8;

/**
 * An `Idempotency-Key` header covers the whole batch: it is bound to the batch's digest first (the
 * same key with another batch is a 409 and stores nothing), and each item without a key of its own
 * is keyed by the header and its index. Sending the batch again therefore replays every item that
 * was recorded and records the ones that failed, such as a 503 in the first answer.
 */
export async function ingestTouchpointBatch(event: ApiEvent): Promise<ApiResponse> {
  const client = authenticatedClient(event);
  const { items } = parseWith(batchInputSchema, event.body);
  const rawKey = header(event, 'idempotency-key');
  const batchKey = rawKey === undefined ? undefined : parseWith(idempotencyKeySchema, rawKey, 'Idempotency-Key');
  const receivedAt = new Date();
  if (batchKey) await claimBatch(client, batchKey, event.body, receivedAt);
  const results = new Array<unknown>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const options: IngestOptions = {
        receivedAt,
        // A space cannot occur in a client's key, so a derived key never meets one a client chose.
        ...(batchKey ? { derivedIdempotencyKey: `${batchKey} ${index}` } : {}),
      };
      results[index] = await ingestItem(items[index], options, event.requestContext.requestId, client);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { statusCode: 207, body: { results } };
}

/** One item's outcome: its answer, or the problem that made it fail (alone), a 403 for a channel the client may not post. */
async function ingestItem(item: unknown, options: IngestOptions, requestId: string, client: AuthenticatedClient): Promise<unknown> {
  try {
    const answer = await ingestPostedTouchpoint(item, options, client);
    return { status: answer.status, ...answer.body };
  } catch (error) {
    const { problem, headers } = toProblemResponse(error, requestId);
    return { ...problem, ...(headers['retry-after'] ? { retryAfter: Number(headers['retry-after']) } : {}) };
  }
}

export const handler = apiHandler(ingestTouchpointBatch, { jsonBody: true });
