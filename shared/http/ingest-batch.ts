import type { AuthenticatedClient } from '../auth/client.ts';
import { idempotencyKeySchema } from '../schemas/common.ts';
import { batchInputSchema } from '../schemas/touchpoint.ts';
import { toProblemResponse } from './error-boundary.ts';
import { claimBatch, type IngestOptions, ingestPostedTouchpoint } from './ingest-request.ts';
import { parseWith } from './validation.ts';

/** Items recorded at once: enough to overlap DynamoDB latency, few enough not to throttle ourselves. */
const concurrency = 8;

/**
 * Records a batch, each item succeeding or failing alone: shared by the batch route and the web
 * route (the snippet's batches), so an item behaves the same on both.
 *
 * An `Idempotency-Key` covers the whole batch: it is bound to the batch's digest first (the same
 * key with another batch is a 409 and stores nothing), and each item without a key of its own is
 * keyed by it and its index. Sending the batch again therefore replays every item that was
 * recorded and records the ones that failed, such as a 503 in the first answer.
 */
export async function ingestBatch(
  body: unknown,
  request: { idempotencyHeader: string | undefined; requestId: string },
  client: AuthenticatedClient,
): Promise<{ results: unknown[] }> {
  const { items } = parseWith(batchInputSchema, body);
  const batchKey = request.idempotencyHeader === undefined ? undefined : parseWith(idempotencyKeySchema, request.idempotencyHeader, 'Idempotency-Key');
  const receivedAt = new Date();
  if (batchKey) await claimBatch(client, batchKey, body, receivedAt);
  const results = new Array<unknown>(items.length);
  const lanes = [...lanesBySender(items).values()];
  let next = 0;
  const worker = async () => {
    while (next < lanes.length) {
      const lane = lanes[next++] ?? [];
      for (const index of lane) {
        const options: IngestOptions = {
          receivedAt,
          // A space cannot occur in a client's key, so a derived key never meets one a client chose.
          ...(batchKey ? { derivedIdempotencyKey: `${batchKey} ${index}` } : {}),
        };
        results[index] = await ingestItem(items[index], options, request.requestId, client);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, lanes.length) }, worker));
  return { results };
}

/**
 * Item indexes grouped by the identifiers they carry, in batch order. Items of one customer update
 * that customer's card: side by side they would cancel each other's transactions and retry (a
 * snippet's batch is all one visitor's), so each group is recorded in order, groups side by side.
 */
function lanesBySender(items: readonly unknown[]): Map<string, number[]> {
  const lanes = new Map<string, number[]>();
  items.forEach((item, index) => {
    const identifiers = typeof item === 'object' && item !== null ? (item as { identifiers?: unknown }).identifiers : undefined;
    const lane = JSON.stringify(identifiers ?? null);
    lanes.set(lane, [...(lanes.get(lane) ?? []), index]);
  });
  return lanes;
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
