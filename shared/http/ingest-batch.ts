import type { AuthenticatedClient } from '../auth/client.ts';
import { idempotencyKeySchema } from '../schemas/common.ts';
import { batchInputSchema } from '../schemas/touchpoint.ts';
import { toProblemResponse } from './error-boundary.ts';
import { customerStore } from '../db/customer-store-instance.ts';
import { ingestTouchpoints } from '../domain/ingest-lane.ts';
import {
  claimBatch,
  type IngestAnswer,
  type IngestOptions,
  type PreparedTouchpoint,
  preparePostedTouchpoint,
  recordedAnswer,
  recordPostedTouchpoint,
} from './ingest-request.ts';
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
      await ingestLane(items, lanes[next++] ?? [], { receivedAt, batchKey, requestId: request.requestId }, client, results);
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

/**
 * Records one sender's items in order, answering each in its slot: an item that fails validation
 * or authorisation alone, the others through the lane use case (which folds what it can into one
 * card write and hands the rest back to be recorded one by one, as a single post would be).
 */
async function ingestLane(
  items: readonly unknown[],
  lane: readonly number[],
  batch: { receivedAt: Date; batchKey: string | undefined; requestId: string },
  client: AuthenticatedClient,
  results: unknown[],
): Promise<void> {
  const prepared: Array<{ index: number; touchpoint: PreparedTouchpoint }> = [];
  for (const index of lane) {
    const options: IngestOptions = {
      receivedAt: batch.receivedAt,
      // A space cannot occur in a client's key, so a derived key never meets one a client chose.
      ...(batch.batchKey ? { derivedIdempotencyKey: `${batch.batchKey} ${index}` } : {}),
    };
    try {
      prepared.push({ index, touchpoint: preparePostedTouchpoint(items[index], options, client) });
    } catch (error) {
      results[index] = problemOf(error, batch.requestId);
    }
  }
  const recordAlone = async (position: number) => {
    const { index, touchpoint } = prepared[position] as (typeof prepared)[number];
    results[index] = await answerOf(() => recordPostedTouchpoint(touchpoint, client), batch.requestId);
  };
  const answers = await ingestTouchpoints(
    customerStore(),
    prepared.map(({ touchpoint }) => touchpoint),
    recordAlone,
  );
  answers.forEach((answer, position) => {
    const { index } = prepared[position] as (typeof prepared)[number];
    if (answer === undefined) return;
    results[index] = 'result' in answer ? slotOf(recordedAnswer(answer.result, client)) : problemOf(answer.error, batch.requestId);
  });
}

/** One item's outcome: its answer, or the problem that made it fail (alone), a 403 for a channel the client may not post. */
async function answerOf(record: () => Promise<IngestAnswer>, requestId: string): Promise<unknown> {
  try {
    return slotOf(await record());
  } catch (error) {
    return problemOf(error, requestId);
  }
}

function slotOf(answer: IngestAnswer): unknown {
  return { status: answer.status, ...answer.body };
}

function problemOf(error: unknown, requestId: string): unknown {
  const { problem, headers } = toProblemResponse(error, requestId);
  return { ...problem, ...(headers['retry-after'] ? { retryAfter: Number(headers['retry-after']) } : {}) };
}
