import { ConflictError, NotFoundError, StoreUnavailableError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';
import type { IdentityStore, MergeRecord, StoredTouchpoint } from './identity-store.ts';
import { newMergeId } from './ids.ts';
import { backOff, maxAttempts, persistently } from './retry.ts';
import { foldCard, identityChange } from './identity-steps.ts';

/**
 * Moves one touchpoint to another customer (staff correcting an ambiguous match), audited like a
 * merge. Posting the same move again once it went through answers the move that did it.
 */
export async function moveTouchpoint(
  store: IdentityStore,
  request: { touchpointId: string; customerId: string; reason: string; actor: string },
  now: Date,
): Promise<MergeRecord> {
  return identityChange(async () => {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const touchpoint = await persistently(() => store.readTouchpoint(request.touchpointId));
      if (!touchpoint) throw new NotFoundError(`No touchpoint has the id ${request.touchpointId}.`);
      const from = touchpoint.customerId;
      if (from === request.customerId) {
        const lastMove = touchpoint.movedBy.at(-1);
        const done = lastMove ? await persistently(() => store.readMergeRecord(lastMove)) : undefined;
        if (done?.kind === 'move' && done.targetCustomerId === request.customerId) return done;
        throw new ConflictError(`Touchpoint ${request.touchpointId} is already on ${from}.`);
      }
      const profiles = await persistently(() => store.readProfiles([from, request.customerId]));
      const target = profiles.get(request.customerId);
      const origin = profiles.get(from);
      if (!target || target.mergedInto) throw new NotFoundError(`No live customer has the id ${request.customerId}.`);
      if (!origin) throw new NotFoundError(`No customer has the id ${from}.`);
      const [fromTouchpoints, toTouchpoints] = await Promise.all([
        persistently(() => store.listTouchpoints(from)),
        persistently(() => store.listTouchpoints(request.customerId)),
      ]);
      const mergeId = newMergeId();
      const record: MergeRecord = {
        mergeId,
        kind: 'move',
        targetCustomerId: request.customerId,
        sourceCustomerId: from,
        reason: request.reason,
        actor: request.actor,
        status: 'completed',
        createdAt: now.toISOString(),
        completedAt: now.toISOString(),
        undoneAt: null,
        undoneBy: null,
        movedIdentifiers: [],
        identifierStates: [],
        movedTouchpointCount: 1,
        touchpointId: touchpoint.touchpointId,
        targetBefore: null,
      };
      const moved: StoredTouchpoint = { ...touchpoint, customerId: request.customerId, movedBy: [...touchpoint.movedBy, mergeId] };
      try {
        await store.moveTouchpoint({
          touchpoint,
          to: request.customerId,
          record,
          fromCard: {
            card: foldCard(
              fromTouchpoints.filter((item) => item.touchpointId !== touchpoint.touchpointId),
              now,
              origin.card.version + 1,
            ),
            expectedVersion: origin.card.version,
          },
          toCard: { card: foldCard([...toTouchpoints, moved], now, target.card.version + 1), expectedVersion: target.card.version },
        });
        return record;
      } catch (error) {
        // Rejected (cards moved on) or unanswered (perhaps moved): read again, which also finds a move that went through.
        if (!(error instanceof WriteRejectedError || error instanceof StoreUnavailableError)) throw error;
        await backOff(attempt);
      }
    }
    throw new StoreUnavailableError();
  });
}

/** The identity store and the one read a move needs beyond it. */

/**
 * Undoes a touchpoint move, which is listed with the merges under a merge id: the touchpoint goes
 * back by a move of its own (audited like any), then the first move is marked undone. A retry
 * whose first try moved it back already only marks it.
 */
export async function undoMove(store: IdentityStore, record: MergeRecord, actor: string, now: Date): Promise<MergeRecord> {
  const { mergeId, touchpointId, targetCustomerId, sourceCustomerId } = record;
  if (record.status === 'undone' || !touchpointId) return record;
  const touchpoint = await persistently(() => store.readTouchpoint(touchpointId));
  if (!touchpoint) throw new NotFoundError(`The touchpoint ${touchpointId} of move ${mergeId} no longer exists.`);
  const lastMove = touchpoint.movedBy.at(-1);
  if (touchpoint.customerId === targetCustomerId && lastMove === mergeId) {
    await moveTouchpoint(store, { touchpointId, customerId: sourceCustomerId, reason: `Undo of ${mergeId}`, actor }, now);
  } else if (touchpoint.customerId !== sourceCustomerId) {
    throw new ConflictError(`Touchpoint ${touchpointId} was moved again after ${mergeId}; undo that move first.`, { blockingMergeId: lastMove });
  }
  const changes = { status: 'undone' as const, undoneAt: now.toISOString(), undoneBy: actor };
  const marked = await persistently(() => store.updateMergeRecord(mergeId, changes, 'completed'));
  return marked ? { ...record, ...changes } : ((await persistently(() => store.readMergeRecord(mergeId))) ?? record);
}
