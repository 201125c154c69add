import { applyDelta, type CardState, cardDelta, emptyCard } from './card.ts';
import { identityChangeUnavailable, NotFoundError, StoreUnavailableError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';
import { type Identifier, identifierKey } from './identifiers.ts';
import type { IdentifierState, IdentityStore, ProfileRecord, ProfileReplacement, StoredTouchpoint } from './identity-store.ts';
import { backOff, maxAttempts, persistently } from './retry.ts';
import type { AttachedIdentifier } from './model.ts';

/*
 * The steps merge, undo and move share: rewriting a profile from its touchpoints, moving chosen
 * touchpoints between customers, and saying so when an identity change gave way part-way.
 */

/** The card recomputed from a customer's touchpoints: exact, whatever order they arrived in. */
export function foldCard(touchpoints: StoredTouchpoint[], now: Date, version: number): CardState {
  const ordered = [...touchpoints].sort((a, b) =>
    a.occurredAt === b.occurredAt ? a.touchpointId.localeCompare(b.touchpointId) : a.occurredAt < b.occurredAt ? -1 : 1,
  );
  const card = ordered.reduce((current, touchpoint) => applyDelta(current, cardDelta(touchpoint), now), emptyCard());
  return { ...card, version };
}

/** An identity change that gave way part-way says so: posting it again resumes it (every step is idempotent). */
export async function identityChange<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new StoreUnavailableError(identityChangeUnavailable, { cause: error });
    throw error;
  }
}

/** The per-key changes that turn one identifier list into another (the store never replaces it whole). */
function identifierChanges(current: AttachedIdentifier[], next: AttachedIdentifier[]): { set: AttachedIdentifier[]; remove: Identifier[] } {
  const before = new Map(current.map((identifier) => [identifierKey(identifier), identifier]));
  const after = new Set(next.map(identifierKey));
  return {
    set: next.filter((identifier) => JSON.stringify(before.get(identifierKey(identifier))) !== JSON.stringify(identifier)),
    remove: current.filter((identifier) => !after.has(identifierKey(identifier))).map(({ type, value }) => ({ type, value })),
  };
}

interface ProfileRewrite {
  /** The identifier list as it should be, computed from the list as read: written as per-key changes. */
  identifiers?: AttachedIdentifier[];
  preferences?: ProfileReplacement['preferences'];
  identifierPermissions?: ProfileReplacement['identifierPermissions'];
  revive?: ProfileReplacement['revive'];
}

/**
 * Rewrites a customer's card from its touchpoints (and other profile changes), retrying while
 * ingests move it on; answers the touchpoints the card was folded from.
 */
export async function recomputeProfile(
  store: IdentityStore,
  customerId: string,
  now: Date,
  changes: (profile: ProfileRecord) => ProfileRewrite = () => ({}),
): Promise<StoredTouchpoint[]> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const profile = await persistently(() => store.readProfile(customerId));
    if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
    const touchpoints = await persistently(() => store.listTouchpoints(customerId));
    const { identifiers, ...rest } = changes(profile);
    const writeStartedAt = Date.now();
    try {
      // Not retried as a step: a write whose answer was lost moved the version, and the next
      // round reads it again and writes the same content.
      await store.replaceProfile(customerId, {
        card: foldCard(touchpoints, now, profile.card.version + 1),
        expectedVersion: profile.card.version,
        ...rest,
        ...(identifiers ? { identifierChanges: identifierChanges(profile.identifiers, identifiers) } : {}),
      });
      return touchpoints;
    } catch (error) {
      const retryable =
        error instanceof StoreUnavailableError || (error instanceof WriteRejectedError && (error.reason === 'card-stale' || error.reason === 'contention'));
      if (!retryable) throw error;
      if (attempt > 1) await backOff(attempt, Date.now() - writeStartedAt);
    }
  }
  throw new StoreUnavailableError();
}

/**
 * Moves the touchpoints `select` picks from one customer to another, re-reading after a chunk gave
 * way (a chunk whose answer was lost has moved already; the next listing no longer has it).
 */
export async function moveSelected(
  store: IdentityStore,
  from: string,
  select: (touchpoints: StoredTouchpoint[]) => Array<{ touchpoint: StoredTouchpoint; to: string; movedBy: string[] }>,
): Promise<void> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const moves = select(await persistently(() => store.listTouchpoints(from)));
    if (moves.length === 0) return;
    const moveStartedAt = Date.now();
    try {
      await store.moveTouchpoints(moves);
      return;
    } catch (error) {
      const retryable =
        error instanceof StoreUnavailableError ||
        (error instanceof WriteRejectedError && (error.reason === 'touchpoint-moved' || error.reason === 'contention'));
      if (!retryable) throw error;
      await backOff(attempt, Date.now() - moveStartedAt);
    }
  }
  throw new StoreUnavailableError();
}

/** The profile's identifier entries, with the shared flag as the given states leave each one. */
export function withSharing(identifiers: AttachedIdentifier[], states: IdentifierState[], side: 'before' | 'after'): AttachedIdentifier[] {
  const byKey = new Map(states.map((state) => [identifierKey(state.identifier), state[side]]));
  return identifiers.map((identifier) => {
    const owner = byKey.get(identifierKey(identifier));
    return owner ? { ...identifier, shared: owner.sharedWith.length > 0 } : identifier;
  });
}
