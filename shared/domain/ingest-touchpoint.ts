import { monotonicFactory } from 'ulid';
import { toIdentifierList } from '../schemas/identifiers.ts';
import type { TouchpointInput } from '../schemas/touchpoint.ts';
import type { CustomerStore, IdempotencyRef, IngestReadResult, TouchpointWrite } from './customer-store.ts';
import {
  IdempotencyConflictError,
  StoreUnavailableError,
  ValidationError,
  WriteRejectedError,
} from './errors.ts';
import { identifierKey, type Identifier } from './identifiers.ts';
import { applyDelta, cardDelta, emptyCard, fastPathEligible } from './card.ts';
import type { AttachedIdentifier, IngestResult, Touchpoint } from './model.ts';
import { type Recognition, recognise } from './recognition.ts';

/** How far in the future an `occurredAt` may be, for clocks that run a little fast. */
export const maxClockSkewMs = 5 * 60 * 1000;

/**
 * Each attempt re-reads what changed; contention (another transaction on the same customer) is
 * the common reason to go round again, so the later attempts back off with jitter.
 */
export const maxAttempts = 8;

const nextUlid = monotonicFactory();

export const newCustomerId = () => `cus_${nextUlid()}`;
export const newTouchpointId = () => `tp_${nextUlid()}`;

export interface IngestContext {
  receivedAt: Date;
  /** Identifies the request body, to tell a replay from a reuse of the key with different content. */
  requestFingerprint: string;
  idempotencyKey?: string;
}

export async function ingestTouchpoint(
  store: CustomerStore,
  input: TouchpointInput,
  context: IngestContext,
): Promise<IngestResult> {
  const occurredAt = resolveOccurredAt(input.occurredAt, context.receivedAt);
  const identifiers = toIdentifierList(identifiersOf(input));
  const storedIdentifiers = identifiers.filter((identifier) => identifier.type !== 'customerId');
  const idempotency: IdempotencyRef | undefined = context.idempotencyKey
    ? { scope: input.source, key: context.idempotencyKey }
    : undefined;
  const touchpointId = newTouchpointId();
  const freshCustomerId = newCustomerId();

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const read = await store.readForIngest({
      identifiers: storedIdentifiers,
      ...(input.identifiers.customerId ? { customerId: input.identifiers.customerId } : {}),
      ...(idempotency ? { idempotency } : {}),
    });
    if (read.idempotency) return replay(read.idempotency, context.requestFingerprint);
    if (input.identifiers.customerId && !read.directCustomerExists) {
      throw new ValidationError([{ path: 'identifiers.customerId', message: 'no customer has this id' }]);
    }

    const recognition = recognise(
      storedIdentifiers.map((identifier) => ({ ...identifier, customerId: read.owners.get(identifierKey(identifier)) })),
      input.identifiers.customerId,
    );
    const customerId = recognition.kind === 'new-customer' ? freshCustomerId : recognition.customerId;
    const touchpoint: Touchpoint = {
      touchpointId,
      customerId,
      channel: input.channel,
      occurredAt,
      receivedAt: context.receivedAt.toISOString(),
      source: input.source,
      identifiers: identifiersOf(input),
      summary: input.summary ?? null,
      details: input.details,
      ...(input.value === undefined ? {} : { value: input.value }),
    };
    const result = { touchpointId, customerId, customerCreated: recognition.kind === 'new-customer' };
    const write = await planWrite(store, touchpoint, recognition, context, idempotency, result);
    if (!write) continue;

    try {
      await recordWithExactCardFallback(store, write, context.receivedAt);
      return { ...result, replayed: false };
    } catch (error) {
      if (!(error instanceof WriteRejectedError)) throw error;
      if (error.reason === 'contention') await backOff(attempt);
    }
  }
  throw new StoreUnavailableError();
}

/** An invoice query names its invoice: the invoice number recognises the customer even when not sent as an identifier. */
function identifiersOf(input: TouchpointInput): TouchpointInput['identifiers'] {
  if (input.channel !== 'invoice_query' || input.identifiers.invoiceNumber) return input.identifiers;
  return { ...input.identifiers, invoiceNumber: input.details.invoiceNumber };
}

function resolveOccurredAt(occurredAt: string | undefined, receivedAt: Date): string {
  if (occurredAt === undefined) return receivedAt.toISOString();
  const when = new Date(occurredAt);
  if (when.getTime() - receivedAt.getTime() > maxClockSkewMs) {
    throw new ValidationError([{ path: 'occurredAt', message: 'is more than 5 minutes in the future' }]);
  }
  return when.toISOString();
}

function replay(record: NonNullable<IngestReadResult['idempotency']>, requestFingerprint: string): IngestResult {
  if (record.requestFingerprint !== requestFingerprint) {
    throw new IdempotencyConflictError(
      'This Idempotency-Key was already used for a different request; use a new key for new content.',
    );
  }
  return { ...record.result, replayed: true };
}

/** The write for this touchpoint, or undefined when the customer vanished (merged or erased) meanwhile. */
async function planWrite(
  store: CustomerStore,
  touchpoint: Touchpoint,
  recognition: Recognition,
  context: IngestContext,
  idempotency: IdempotencyRef | undefined,
  result: Omit<IngestResult, 'replayed'>,
): Promise<TouchpointWrite | undefined> {
  const customer = await planCardWrite(store, touchpoint, recognition, context.receivedAt);
  if (!customer) return undefined;
  const receivedAt = touchpoint.receivedAt;
  const attach = (identifier: Identifier): AttachedIdentifier => ({
    ...identifier,
    provenance: {
      attachedAt: receivedAt,
      source: touchpoint.source,
      touchpointId: touchpoint.touchpointId,
      rule: recognition.kind === 'new-customer' ? 'first-contact' : 'seen-with-known-identifier',
    },
  });
  const contested = recognition.kind === 'known-customer' ? recognition.contested : [];
  const otherCustomerIds = [...new Set(contested.map((identifier) => identifier.customerId as string))];
  return {
    touchpoint,
    customer,
    attach: recognition.attach.map(attach),
    mergeCandidates: otherCustomerIds.map((otherCustomerId) => ({
      customerId: touchpoint.customerId,
      otherCustomerId,
      identifiers: contested
        .filter((identifier) => identifier.customerId === otherCustomerId)
        .map(({ type, value }) => ({ type, value })),
      touchpointId: touchpoint.touchpointId,
      detectedAt: receivedAt,
    })),
    ...(idempotency ? { idempotency: { ...idempotency, requestFingerprint: context.requestFingerprint, result } } : {}),
  };
}

/**
 * How the card is updated. A recent touchpoint of a known customer takes the fast path: a blind
 * update whose guards fail if it would be wrong (so ingest stays one read and one write). An old
 * one (backfill) needs the exact path from the start, so the card is read first.
 */
export async function planCardWrite(
  store: CustomerStore,
  touchpoint: Touchpoint,
  recognition: Recognition,
  now: Date,
): Promise<TouchpointWrite['customer'] | undefined> {
  const delta = cardDelta(touchpoint);
  if (recognition.kind === 'new-customer') {
    return { kind: 'new', createdAt: touchpoint.receivedAt, card: applyDelta(emptyCard(), delta, now) };
  }
  if (fastPathEligible(delta, now)) {
    return { kind: 'fast', delta, invoiceQueryExpectedNew: delta.invoiceQuery?.state.status === 'open' };
  }
  const current = await store.readCard(touchpoint.customerId);
  return current && { kind: 'exact', card: applyDelta(current, delta, now), expectedVersion: current.version };
}

/**
 * When the card's guards fail, the store hands back the card as it is: the exact update is
 * computed from it and written with an optimistic lock, without reading anything again.
 */
export async function recordWithExactCardFallback(store: CustomerStore, write: TouchpointWrite, now: Date): Promise<void> {
  const delta = cardDelta(write.touchpoint);
  let attempt = write;
  for (let round = 1; ; round += 1) {
    try {
      await store.recordTouchpoint(attempt);
      return;
    } catch (error) {
      const current = error instanceof WriteRejectedError && error.reason === 'card-stale' ? error.currentCard : undefined;
      if (!current || round >= maxAttempts) throw error;
      attempt = { ...write, customer: { kind: 'exact', card: applyDelta(current, delta, now), expectedVersion: current.version } };
    }
  }
}

export function backOff(attempt: number): Promise<void> {
  const ceilingMs = Math.min(200, 10 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}
