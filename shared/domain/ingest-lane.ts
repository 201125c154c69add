import { applyDelta, type CardDelta, cardDelta, fastPathEligible } from './card.ts';
import type { IdempotencyRef, LaneCardWrite, LaneWrite, TouchpointStore } from './customer-store.ts';
import { StoreUnavailableError, SuppressedIdentifierError } from './errors.ts';
import { identifierKey, toIdentifierList } from './identifiers.ts';
import { newRequestId, newTouchpointId, touchpointIdFor } from './ids.ts';
import { type IngestContext, resolveOccurredAt, type TouchpointInput, touchpointOf } from './ingest-touchpoint.ts';
import type { IngestResult } from './model.ts';
import { recognise } from './recognition.ts';
import { WriteRejectedError } from './write-rejection.ts';

/**
 * Touchpoints written in one transaction: two items each (the touchpoint and its locator) besides
 * the card and the decided-by check, well under DynamoDB's 100 items. Their bytes cannot reach its
 * 4 MB: a batch's body is at most 256 KB (shared/http/api-handler.ts).
 */
export const foldedChunkSize = 40;

/** One posted touchpoint of a sender's lane, validated. */
export interface LaneTouchpoint {
  input: TouchpointInput;
  context: IngestContext;
}

/** What the fold answered for a touchpoint it took: recorded, or the failure of its chunk (nothing stored). */
export type LaneAnswer = { result: IngestResult } | { error: unknown };

/** Why a chunk was not folded: `afterFirst` when recording its first touchpoint alone makes the rest plain (it creates the customer or attaches the new identifiers). */
type Refusal = { refused: true; afterFirst: boolean };
const refused = (afterFirst = false): Refusal => ({ refused: true, afterFirst });

/**
 * Records a sender's touchpoints (a batch's lane: the same identifiers, in batch order). When they
 * all go to one known customer and nothing about them is out of the ordinary, each chunk of
 * `foldedChunkSize` is one read and one transaction: the card folded from all of them in one
 * update, and each touchpoint with its locator. That is the web snippet's batch of a returning
 * visitor's page views, which would otherwise cost a read and a transaction (billed twice) per view.
 *
 * Anything else is recorded by `recordAlone`, today's path, one by one and in order: a lone
 * touchpoint, a new customer or new identifiers (the first alone, then the rest folded once more),
 * a key seen before (replays and 409s), suppression, a customer named by id that is unknown or
 * merged, shared or contested identifiers, invoice queries (each guards its own query on the card),
 * touchpoints too old for the fast card path, a key twice in one chunk, and any cancellation of the
 * folded transaction other than the card's guards (those get one exact try from the card handed back).
 *
 * Returns the answers of the touchpoints it folded (undefined where `recordAlone` answered). A
 * fault answers every touchpoint of its chunk with the store's error, nothing stored; a write whose
 * answer was lost is answered as recorded if it landed, and as unknown (no blind retry) otherwise.
 */
export async function ingestTouchpoints(
  store: TouchpointStore,
  lane: readonly LaneTouchpoint[],
  recordAlone: (index: number) => Promise<void>,
): Promise<Array<LaneAnswer | undefined>> {
  const answers = new Array<LaneAnswer | undefined>(lane.length);
  let folding = lane.length > 1;
  let retriesAfterFirst = 1;
  let start = 0;
  while (start < lane.length) {
    const chunk = lane.slice(start, start + foldedChunkSize);
    if (!folding || chunk.length < 2) {
      for (let index = start; index < start + chunk.length; index += 1) await recordAlone(index);
      start += chunk.length;
      continue;
    }
    const outcome = await foldChunk(store, chunk);
    if ('refused' in outcome) {
      // Today's path for the first; for the rest, once more only when that first one makes them plain.
      await recordAlone(start);
      start += 1;
      folding = outcome.afterFirst && retriesAfterFirst > 0;
      retriesAfterFirst -= 1;
      continue;
    }
    if (outcome.rejected) {
      for (let index = start; index < start + chunk.length; index += 1) await recordAlone(index);
    } else {
      outcome.answers.forEach((answer, offset) => {
        answers[start + offset] = answer;
      });
    }
    start += chunk.length;
  }
  return answers;
}

type ChunkOutcome = Refusal | { rejected: true } | { rejected: false; answers: LaneAnswer[] };

async function foldChunk(store: TouchpointStore, chunk: readonly LaneTouchpoint[]): Promise<ChunkOutcome> {
  const [first] = chunk as [LaneTouchpoint, ...LaneTouchpoint[]];
  const identifiers = toIdentifierList(first.input.identifiers);
  const sameSender = (item: LaneTouchpoint) => JSON.stringify(toIdentifierList(item.input.identifiers)) === JSON.stringify(identifiers);
  if (!chunk.every(sameSender)) return refused();
  if (chunk.some((item) => item.input.channel === 'invoice_query')) return refused();
  const customerIdNamed = first.input.identifiers.customerId;
  const stored = identifiers.filter((identifier) => identifier.type !== 'customerId');

  const now = first.context.receivedAt;
  if (chunk.some((item) => item.context.receivedAt.getTime() !== now.getTime())) return refused();
  const planned = [];
  for (const { input, context } of chunk) {
    let occurredAt: string;
    try {
      occurredAt = resolveOccurredAt(input.occurredAt, context.receivedAt);
    } catch {
      return refused(); // its 422 is the path's own
    }
    const idempotency: IdempotencyRef | undefined = context.idempotencyKey ? { scope: input.source, key: context.idempotencyKey } : undefined;
    planned.push({ input, context, occurredAt, idempotency, touchpointId: idempotency ? touchpointIdFor(idempotency) : newTouchpointId() });
  }
  if (new Set(planned.map((item) => item.touchpointId)).size < planned.length) return refused();
  const deltas: CardDelta[] = planned.map((item) =>
    cardDelta({
      touchpointId: item.touchpointId,
      channel: item.input.channel,
      occurredAt: item.occurredAt,
      summary: item.input.summary ?? null,
      details: item.input.details,
      ...(item.input.value === undefined ? {} : { value: item.input.value }),
    }),
  );
  // An old touchpoint needs the exact card, read first: today's path does that.
  if (!deltas.every((delta) => fastPathEligible(delta, now))) return refused();
  const refs = planned.flatMap((item) => (item.idempotency ? [item.idempotency] : []));

  let read: Awaited<ReturnType<TouchpointStore['readForIngest']>>;
  try {
    read = await store.readForIngest({ identifiers: stored, ...(customerIdNamed ? { customerId: customerIdNamed } : {}), moreIdempotency: refs });
  } catch (error) {
    if (error instanceof SuppressedIdentifierError) return refused();
    return { rejected: false, answers: chunk.map(() => ({ error })) };
  }
  if ((read.keysUsed ?? []).length > 0) return refused();
  if (customerIdNamed && (!read.directCustomer || read.directCustomer.mergedInto)) return refused();
  const owners = stored.map((identifier) => read.owners.get(identifierKey(identifier)));
  if (owners.some((owner) => owner && owner.sharedWith.length > 0)) return refused();
  const recognition = recognise(
    stored.map((identifier, index) => ({ ...identifier, customerId: owners[index]?.customerId })),
    customerIdNamed,
  );
  if (recognition.kind === 'ambiguous') return refused();
  if (recognition.kind === 'new-customer' || recognition.attach.length > 0) return refused(true);
  if (recognition.contested.length > 0) return refused();

  const { customerId } = recognition;
  const results = planned.map((item) => ({ touchpointId: item.touchpointId, customerId, customerCreated: false }));
  const touchpoints = planned.map((item, index) => ({
    touchpoint: touchpointOf(item.input, { touchpointId: item.touchpointId, customerId, occurredAt: item.occurredAt, receivedAt: now }),
    ...(item.idempotency
      ? {
          idempotency: {
            ...item.idempotency,
            requestFingerprint: item.context.requestFingerprint,
            requestId: newRequestId(),
            result: results[index] as (typeof results)[number],
          },
        }
      : {}),
  }));

  const write = (card: LaneCardWrite): LaneWrite => ({
    customerId,
    receivedAt: now.toISOString(),
    card,
    ...(recognition.decidedBy ? { decidedBy: { identifier: recognition.decidedBy, customerId } } : {}),
    touchpoints,
  });
  const recorded = (): ChunkOutcome => ({ rejected: false, answers: results.map((result) => ({ result: { ...result, replayed: false } })) });
  let card: LaneCardWrite = { kind: 'fast', deltas };
  for (;;) {
    try {
      await store.recordTouchpoints(write(card));
      return recorded();
    } catch (error) {
      const current = error instanceof WriteRejectedError && error.reason === 'card-stale' ? error.currentCard : undefined;
      // A tier boundary, the page list's cap, a newer last contact: the exact card, from the card as it is, once.
      if (current && card.kind === 'fast') {
        card = { kind: 'exact', card: deltas.reduce((folded, delta) => applyDelta(folded, delta, now), current), expectedVersion: current.version };
        continue;
      }
      if (error instanceof WriteRejectedError) return { rejected: true };
      if (error instanceof StoreUnavailableError && error.outcomeUnknown) return (await landed(store, touchpoints[0])) ? recorded() : failed(chunk, error);
      return failed(chunk, error);
    }
  }
}

function failed(chunk: readonly LaneTouchpoint[], error: unknown): ChunkOutcome {
  return { rejected: false, answers: chunk.map(() => ({ error })) };
}

/** Whether a folded transaction whose answer was lost landed: all or nothing, so its first locator tells. */
async function landed(store: TouchpointStore, first: LaneWrite['touchpoints'][number] | undefined): Promise<boolean> {
  if (!first) return false;
  const located = await store.locateTouchpoint(first.touchpoint.touchpointId).catch(() => undefined);
  return located !== undefined && (!first.idempotency || located.idempotency?.requestId === first.idempotency.requestId);
}
