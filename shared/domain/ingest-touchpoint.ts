import type { CustomerStore, IdempotencyRef, IngestReadResult, TouchpointStore, TouchpointWrite } from './customer-store.ts';
import { IdempotencyConflictError, StoreUnavailableError, UnknownCustomerError, ValidationError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';
import { identifierKey, type Identifier, type NamedIdentifiers, toIdentifierList } from './identifiers.ts';
import { applyDelta, type CardState, cardDelta, emptyCard, fastPathEligible } from './card.ts';
import type { Channel } from './channels.ts';
import type { AttachedIdentifier, IngestResult, Touchpoint } from './model.ts';
import { mergeCustomers } from './merge-customers.ts';
import { newCustomerId, newRequestId, newTouchpointId, touchpointIdFor } from './ids.ts';
import { backOff, maxAttempts } from './retry.ts';
import { automaticMergePolicy, profileKind } from './merge-policy.ts';
import { type Recognition, type ResolvedIdentifier, recognise } from './recognition.ts';

/** How far in the future an `occurredAt` may be, for clocks that run a little fast. */
export const maxClockSkewMs = 5 * 60 * 1000;

/** Tries of an automatic merge that DynamoDB could not take at once; each resumes where the last stopped. */
const automaticMergeAttempts = 3;

/** A touchpoint as posted, validated at the edge (shared/schemas/touchpoint.ts). */
export interface TouchpointInput {
  channel: Channel;
  identifiers: NamedIdentifiers;
  /** Defaults to when it was received. */
  occurredAt?: string;
  source: string;
  summary?: string;
  value?: number;
  details: Record<string, unknown>;
}

/** Where a use case reports what went wrong without failing the request: the caller passes its logger. */
export interface WarningLog {
  warn(message: string, facts: Record<string, unknown>): void;
}

export interface IngestContext {
  receivedAt: Date;
  log: WarningLog;
  /** Identifies the request body, to tell a replay from a reuse of the key with different content. */
  requestFingerprint: string;
  idempotencyKey?: string;
}

export async function ingestTouchpoint(store: TouchpointStore, input: TouchpointInput, context: IngestContext): Promise<IngestResult> {
  const occurredAt = resolveOccurredAt(input.occurredAt, context.receivedAt);
  const identifiers = toIdentifierList(input.identifiers);
  const storedIdentifiers = identifiers.filter((identifier) => identifier.type !== 'customerId');
  const idempotency: IdempotencyRef | undefined = context.idempotencyKey ? { scope: input.source, key: context.idempotencyKey } : undefined;
  // With a key, the id is the key's own: a second write of it, by a retry or a twin request, cannot land.
  const touchpointId = idempotency ? touchpointIdFor(idempotency) : newTouchpointId();
  const requestId = newRequestId();
  const freshCustomerId = newCustomerId();
  /** Customers found merged away while this request ran, and their survivors. */
  const survivors = new Map<string, string>();
  const survivorOf = (customerId: string): string => {
    let current = customerId;
    for (let hops = 0; survivors.has(current) && hops < 10; hops += 1) current = survivors.get(current) as string;
    return current;
  };

  /** Set once the customer's identifier bound refused the new ones: the touchpoint is recorded without them. */
  let attachNone = false;
  /** Customers found not to exist any more (erased) while identifier items still name them. */
  const gone = new Set<string>();
  /** What each attempt chose, by customer: the one whose write landed decides the answer. */
  const chosen = new Map<string, { target: ChosenCustomer; result: Omit<IngestResult, 'replayed'> }>();
  /** Set once a write was sent and no answer came: it may have landed. */
  let outcomeUnknown = false;

  try {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const read = await store.readForIngest({
        identifiers: storedIdentifiers,
        ...(input.identifiers.customerId ? { customerId: input.identifiers.customerId } : {}),
        ...(idempotency ? { idempotency } : {}),
      });
      if (read.idempotency) {
        const replayed = replay(read.idempotency, context.requestFingerprint);
        // Our own earlier attempt, whose answer was lost, stored it: this request's first answer, not a replay.
        return read.idempotency.requestId === requestId ? { ...replayed, replayed: false } : replayed;
      }
      if (input.identifiers.customerId && !read.directCustomer) {
        throw new UnknownCustomerError();
      }
      if (read.directCustomer && input.identifiers.customerId) {
        // Read afresh each attempt: a merge undone since the last one leaves the customer live again.
        if (read.directCustomer.mergedInto) survivors.set(input.identifiers.customerId, read.directCustomer.mergedInto);
        else survivors.delete(input.identifiers.customerId);
      }

      // An identifier naming an erased customer is nobody's: it joins this touchpoint's customer.
      const reclaimable = new Map<string, string>();
      const recognition = recognise(
        storedIdentifiers.map((identifier) => {
          const owner = read.owners.get(identifierKey(identifier));
          if (owner && [owner.customerId, ...owner.sharedWith].every((customerId) => gone.has(customerId))) {
            reclaimable.set(identifierKey(identifier), owner.customerId);
            return { ...identifier, customerId: undefined };
          }
          // Shared by customers of whom some no longer exist: it belongs to the others alone.
          const [holder, ...sharedWith] = [
            ...new Set((owner ? [owner.customerId, ...owner.sharedWith] : []).map(survivorOf).filter((customerId) => !gone.has(customerId))),
          ];
          return { ...identifier, customerId: holder, ...(sharedWith.length ? { sharedWith } : {}) };
        }),
        input.identifiers.customerId && survivorOf(input.identifiers.customerId),
      );
      const target = await chooseCustomer(store, recognition, freshCustomerId, { gone, survivors });
      if (!target) continue;
      const touchpoint = touchpointOf(input, {
        touchpointId,
        customerId: target.customerId,
        occurredAt,
        receivedAt: context.receivedAt,
        ambiguity: target.ambiguity,
      });
      const notAttached = attachNone ? target.attach.map((identifier) => identifier.type) : [];
      const result = {
        touchpointId,
        customerId: target.customerId,
        customerCreated: target.customerCreated,
        ...(notAttached.length ? { identifiersNotAttached: notAttached } : {}),
      };
      // A customer this request created keeps the attempt that created it: a later one finding it known landed nothing.
      if (!chosen.get(target.customerId)?.result.customerCreated) chosen.set(target.customerId, { target, result });
      if (target.decidedBy) target.decidedByHolder = read.owners.get(identifierKey(target.decidedBy))?.customerId;
      const attaching = attachNone ? { ...target, attach: [] } : target;
      const reclaimed = attaching.attach.flatMap((identifier) => {
        const from = reclaimable.get(identifierKey(identifier));
        return from === undefined ? [] : [{ identifier, from }];
      });
      const write = await planWrite(store, touchpoint, attaching, context, idempotency, requestId, result, reclaimed);
      if (!write) continue;
      const named = input.identifiers.customerId;
      if (named && read.directCustomer?.mergedInto && target.customerId !== named) {
        write.redirectedFrom = { customerId: named, mergedInto: read.directCustomer.mergedInto };
      }

      const writeStartedAt = Date.now();
      try {
        await recordWithExactCardFallback(store, write, context.receivedAt);
      } catch (error) {
        if (error instanceof StoreUnavailableError && error.outcomeUnknown) {
          // Safe to try again: the touchpoint id is this request's, so a second write of it cannot land twice.
          outcomeUnknown = true;
          await backOff(attempt);
          continue;
        }
        if (!(error instanceof WriteRejectedError)) throw error;
        if (error.reason === 'already-recorded') return landedEarlier(store, { touchpointId, source: input.source }, chosen, context, requestId);
        if (error.reason === 'customer-merged' && error.mergedInto) survivors.set(target.customerId, error.mergedInto);
        if (error.reason === 'customer-gone') gone.add(target.customerId);
        if (error.reason === 'contention') await backOff(attempt, Date.now() - writeStartedAt);
        if (error.reason === 'identifiers-full') attachNone = true;
        continue;
      }
      const merges = await mergeAnonymousProfiles(store, target, touchpoint, context);
      return { ...result, replayed: false, ...(merges.length ? { merges } : {}) };
    }
    // Before answering 503: an attempt whose answer was lost (or was refused on a retry) may have landed.
    if ((await store.locateTouchpoint(touchpointId).catch(() => undefined)) !== undefined) {
      return landedEarlier(store, { touchpointId, source: input.source }, chosen, context, requestId);
    }
    throw new StoreUnavailableError(undefined, { outcomeUnknown });
  } catch (error) {
    // A read or write that gave way after an earlier attempt's write went unanswered: that write may
    // have landed, so the 503 must not say "nothing was written" (and if it did land, answer it).
    if (!(error instanceof StoreUnavailableError) || !outcomeUnknown || error.outcomeUnknown) throw error;
    if ((await store.locateTouchpoint(touchpointId).catch(() => undefined)) !== undefined) {
      return landedEarlier(store, { touchpointId, source: input.source }, chosen, context, requestId);
    }
    throw new StoreUnavailableError(undefined, { outcomeUnknown: true, cause: error });
  }
}

/** The answer for a touchpoint an earlier attempt of this request stored, as that attempt would have given it. */
async function landedEarlier(
  store: TouchpointStore,
  touchpoint: Pick<Touchpoint, 'touchpointId' | 'source'>,
  chosen: Map<string, { target: ChosenCustomer; result: Omit<IngestResult, 'replayed'> }>,
  context: IngestContext,
  requestId: string,
): Promise<IngestResult> {
  // Asked only when the touchpoint may have landed: a read that gives way here must not say nothing was written.
  const located = await store.locateTouchpoint(touchpoint.touchpointId).catch((error: unknown) => {
    throw error instanceof StoreUnavailableError ? new StoreUnavailableError(undefined, { outcomeUnknown: true, cause: error }) : error;
  });
  // Stored under the same key by another request (a twin sent at once): this one is its replay.
  if (located?.idempotency && located.idempotency.requestId !== requestId) return replay(located.idempotency, context.requestFingerprint);
  const landed = located && chosen.get(located.customerId);
  if (!landed) throw new StoreUnavailableError(undefined, { outcomeUnknown: true });
  const merges = await mergeAnonymousProfiles(store, landed.target, touchpoint, context);
  return { ...landed.result, replayed: false, ...(merges.length ? { merges } : {}) };
}

interface ChosenCustomer {
  customerId: string;
  customerCreated: boolean;
  decidedBy?: Identifier;
  /** Who held `decidedBy` when it was read: the chosen customer, or one merged into it. */
  decidedByHolder?: string;
  attach: Identifier[];
  /** Known customers that claim some of the identifiers: proposed for review. */
  proposals: ResolvedIdentifier[];
  /** Anonymous profiles seen with this customer: merged into it once the touchpoint is stored. */
  anonymousToMerge: string[];
  ambiguity?: Touchpoint['ambiguity'];
}

/**
 * Applies the automatic merge policy to a recognition. Conflicts and shared identifiers need to
 * know the other customers' profiles: only then is there a second read.
 */
async function chooseCustomer(
  store: TouchpointStore,
  recognition: Recognition,
  freshCustomerId: string,
  learned: { gone: Set<string>; survivors: Map<string, string> },
): Promise<ChosenCustomer | undefined> {
  if (recognition.kind === 'new-customer') {
    return { customerId: freshCustomerId, customerCreated: true, attach: recognition.attach, proposals: [], anonymousToMerge: [] };
  }
  /** Reads the profiles, noting those that no longer exist; undefined when some did not (recognise again without them). */
  const readExisting = async (customerIds: string[]) => {
    const profiles = await store.readProfiles(customerIds);
    const missing = customerIds.filter((customerId) => !profiles.has(customerId));
    for (const customerId of missing) learned.gone.add(customerId);
    return missing.length ? undefined : profiles;
  };
  if (recognition.kind === 'ambiguous') {
    const found = await readExisting(recognition.candidates);
    if (!found) return undefined;
    // A candidate merged away meanwhile stands for its survivor: recognise again with it.
    const merged = [...found.values()].filter((profile) => profile.mergedInto);
    for (const profile of merged) learned.survivors.set(profile.customerId, profile.mergedInto as string);
    if (merged.length > 0) return undefined;
    const [mostRecent, ...others] = [...found.values()].sort((a, b) =>
      (b.card.lastContact?.occurredAt ?? b.createdAt).localeCompare(a.card.lastContact?.occurredAt ?? a.createdAt),
    );
    if (!mostRecent) return undefined;
    return {
      customerId: mostRecent.customerId,
      customerCreated: false,
      attach: [],
      proposals: [],
      anonymousToMerge: [],
      ambiguity: { otherCandidates: others.map((profile) => profile.customerId), sharedIdentifiers: recognition.sharedIdentifiers },
    };
  }
  const base = {
    customerCreated: false,
    ...(recognition.decidedBy ? { decidedBy: recognition.decidedBy } : {}),
    attach: recognition.attach,
  };
  if (recognition.contested.length === 0) {
    return { ...base, customerId: recognition.customerId, proposals: [], anonymousToMerge: [] };
  }
  const others = [...new Set(recognition.contested.map((identifier) => identifier.customerId as string))];
  const profiles = await readExisting([recognition.customerId, ...others]);
  if (!profiles) return undefined;
  const kindOf = (customerId: string) => {
    const profile = profiles.get(customerId);
    return profile ? profileKind(profile) : 'known';
  };
  // The strongest known customer survives; the recognised one if it is known itself.
  const survivor = [recognition.customerId, ...others].find((customerId) => kindOf(customerId) === 'known') ?? recognition.customerId;
  const anonymousToMerge: string[] = [];
  const proposedCustomers = new Set<string>();
  for (const other of [recognition.customerId, ...others].filter((customerId) => customerId !== survivor)) {
    const action = automaticMergePolicy[`${kindOf(survivor)}+${kindOf(other)}`];
    if (action === 'propose') proposedCustomers.add(other);
    else anonymousToMerge.push(other);
  }
  return {
    ...base,
    ...(survivor === recognition.customerId ? {} : { decidedBy: undefined }),
    customerId: survivor,
    proposals: recognition.contested.filter((identifier) => proposedCustomers.has(identifier.customerId as string)),
    anonymousToMerge,
  };
}

async function mergeAnonymousProfiles(
  store: TouchpointStore,
  target: ChosenCustomer,
  touchpoint: Pick<Touchpoint, 'touchpointId' | 'source'>,
  context: IngestContext,
): Promise<Array<{ mergeId: string; sourceCustomerId: string }>> {
  const merges: Array<{ mergeId: string; sourceCustomerId: string }> = [];
  for (const sourceCustomerId of target.anonymousToMerge) {
    const request = {
      targetCustomerId: target.customerId,
      sourceCustomerId,
      reason: `automatic: anonymous profile seen with this customer on touchpoint ${touchpoint.touchpointId}`,
      actor: `automatic:${touchpoint.source}`,
    };
    for (let attempt = 1; attempt <= automaticMergeAttempts; attempt += 1) {
      try {
        const record = await mergeCustomers(store, request, context.receivedAt);
        merges.push({ mergeId: record.mergeId, sourceCustomerId });
        break;
      } catch (error) {
        // Posting the same merge again resumes it where the store gave way.
        if (error instanceof StoreUnavailableError && attempt < automaticMergeAttempts) {
          await backOff(attempt);
          continue;
        }
        // The touchpoint is stored; a merge left unfinished is finished by the scheduled merge repair
        // (finishInterruptedMerges) or by posting it again; a profile merged elsewhere meanwhile needs nothing.
        context.log.warn('Automatic merge did not complete', { sourceCustomerId, targetCustomerId: target.customerId, error: String(error) });
        break;
      }
    }
  }
  return merges;
}

/** The touchpoint to store for a posted one, once its customer is chosen. */
export function touchpointOf(
  input: TouchpointInput,
  placed: { touchpointId: string; customerId: string; occurredAt: string; receivedAt: Date; ambiguity?: Touchpoint['ambiguity'] | undefined },
): Touchpoint {
  return {
    touchpointId: placed.touchpointId,
    customerId: placed.customerId,
    channel: input.channel,
    occurredAt: placed.occurredAt,
    receivedAt: placed.receivedAt.toISOString(),
    source: input.source,
    identifiers: input.identifiers,
    summary: input.summary ?? null,
    details: input.details,
    ...(input.value === undefined ? {} : { value: input.value }),
    ...(placed.ambiguity ? { ambiguity: placed.ambiguity } : {}),
  };
}

export function resolveOccurredAt(occurredAt: string | undefined, receivedAt: Date): string {
  if (occurredAt === undefined) return receivedAt.toISOString();
  const when = new Date(occurredAt);
  if (when.getTime() - receivedAt.getTime() > maxClockSkewMs) {
    throw new ValidationError([{ path: 'occurredAt', message: 'is more than 5 minutes in the future' }]);
  }
  return when.toISOString();
}

function replay(record: NonNullable<IngestReadResult['idempotency']>, requestFingerprint: string): IngestResult {
  if (record.requestFingerprint !== requestFingerprint) {
    throw new IdempotencyConflictError('This Idempotency-Key was already used for a different request; use a new key for new content.');
  }
  return { ...record.result, replayed: true };
}

/** The write for this touchpoint, or undefined when the customer vanished (merged or erased) meanwhile. */
async function planWrite(
  store: CustomerStore,
  touchpoint: Touchpoint,
  target: ChosenCustomer,
  context: IngestContext,
  idempotency: IdempotencyRef | undefined,
  requestId: string,
  result: Omit<IngestResult, 'replayed' | 'merges'>,
  reclaimed: Array<{ identifier: Identifier; from: string }>,
): Promise<TouchpointWrite | undefined> {
  const customer = await planCardWrite(store, touchpoint, target.customerCreated, context.receivedAt);
  if (!customer) return undefined;
  const receivedAt = touchpoint.receivedAt;
  const attach = (identifier: Identifier): AttachedIdentifier => ({
    ...identifier,
    provenance: {
      attachedAt: receivedAt,
      source: touchpoint.source,
      touchpointId: touchpoint.touchpointId,
      rule: target.customerCreated ? 'first-contact' : 'seen-with-known-identifier',
    },
  });
  const contested = target.proposals;
  const otherCustomerIds = [...new Set(contested.map((identifier) => identifier.customerId as string))];
  return {
    touchpoint,
    customer,
    ...(target.decidedBy ? { decidedBy: { identifier: target.decidedBy, customerId: target.decidedByHolder ?? target.customerId } } : {}),
    attach: target.attach.map(attach),
    ...(reclaimed.length ? { reclaimed } : {}),
    ...(target.anonymousToMerge.length ? { joining: target.anonymousToMerge } : {}),
    mergeCandidates: otherCustomerIds.map((otherCustomerId) => ({
      customerId: touchpoint.customerId,
      otherCustomerId,
      identifiers: contested.filter((identifier) => identifier.customerId === otherCustomerId).map(({ type, value }) => ({ type, value })),
      touchpointId: touchpoint.touchpointId,
      detectedAt: receivedAt,
    })),
    ...(idempotency ? { idempotency: { ...idempotency, requestFingerprint: context.requestFingerprint, requestId, result } } : {}),
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
  customerCreated: boolean,
  now: Date,
): Promise<TouchpointWrite['customer'] | undefined> {
  const delta = cardDelta(touchpoint);
  if (customerCreated) {
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
 * computed from it and written with an optimistic lock, without reading anything again. In a
 * burst on one customer two refusals stay blind writes instead, because a herd of version-guarded
 * writes lets one through per round: a touchpoint overtaken by a newer one is appended as a late
 * contact, and at a tier boundary (every writer refused at once) an exact write that lost goes
 * back to the fast path once another moved the boundary (headroom grows only then).
 */
export async function recordWithExactCardFallback(store: CustomerStore, write: TouchpointWrite, now: Date): Promise<void> {
  const delta = cardDelta(write.touchpoint);
  let attempt = write;
  /** The card that last refused this touchpoint's fast write. */
  let refusedFast: CardState | undefined;
  for (let round = 1; ; round += 1) {
    try {
      await store.recordTouchpoint(attempt);
      return;
    } catch (error) {
      const current = error instanceof WriteRejectedError && error.reason === 'card-stale' ? error.currentCard : undefined;
      if (!current || round >= maxAttempts) throw error;
      // A second stale card means fast writes keep landing: give them room before trying again.
      if (round > 1) await backOff(round);
      const overtaken = (current.lastContact?.occurredAt ?? '') > write.touchpoint.occurredAt;
      const refused = attempt.customer;
      const boundaryMoved =
        refusedFast !== undefined && (current.frequencyHeadroom > refusedFast.frequencyHeadroom || current.monetaryHeadroom > refusedFast.monetaryHeadroom);
      if (refused.kind === 'fast') refusedFast = current;
      const fastAgain =
        write.customer.kind === 'fast' && ((refused.kind === 'fast' && !refused.asLate && overtaken) || (refused.kind === 'exact' && boundaryMoved));
      attempt =
        fastAgain && write.customer.kind === 'fast'
          ? { ...write, customer: { ...write.customer, asLate: overtaken } }
          : { ...write, customer: { kind: 'exact', card: applyDelta(current, delta, now), expectedVersion: current.version } };
    }
  }
}
