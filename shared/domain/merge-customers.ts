import { maxIdentifiersPerCustomer } from './bounds.ts';
import { strictest } from './contact-policy.ts';
import { ConflictError, NotFoundError, StoreUnavailableError, ValidationError } from './errors.ts';
import { identifierKey } from './identifiers.ts';
import type { IdentifierOwner, IdentifierState, IdentityStore, MergeRecord, ProfileRecord } from './identity-store.ts';
import { newMergeId } from './ids.ts';
import { backOff, maxAttempts, persistently } from './retry.ts';
import type { AttachedIdentifier, ContactChannel, ContactPreferences, IdentifierPermissions } from './model.ts';
import { identityChange, moveSelected, recomputeProfile, withSharing } from './identity-steps.ts';
import { completeUndo } from './undo-merge.ts';

export interface MergeRequest {
  targetCustomerId: string;
  sourceCustomerId: string;
  reason: string;
  actor: string;
}

/**
 * Merges the source customer into the target. The source is marked merged first (atomically with
 * the merge record, so no new touchpoint lands on it), then its identifiers and touchpoints move and
 * the target's card is recomputed. Every step is idempotent: posting the same merge again resumes it.
 */
export async function mergeCustomers(store: IdentityStore, request: MergeRequest, now: Date): Promise<MergeRecord> {
  return identityChange(async () => {
    const { targetCustomerId, sourceCustomerId } = request;
    if (targetCustomerId === sourceCustomerId) {
      throw new ValidationError([{ path: 'sourceCustomerId', message: 'must differ from the target customer' }]);
    }
    const profiles = await persistently(() => store.readProfiles([targetCustomerId, sourceCustomerId]));
    const target = profiles.get(targetCustomerId);
    const source = profiles.get(sourceCustomerId);
    if (!target) throw new NotFoundError(`No customer has the id ${targetCustomerId}.`);
    if (!source) throw new NotFoundError(`No customer has the id ${sourceCustomerId}.`);
    if (source.mergedInto === targetCustomerId && source.mergedBy) {
      // The same merge posted again (a retry whose first try committed): finish it if need be, answer it.
      const mergedBy = source.mergedBy;
      const existing = await persistently(() => store.readMergeRecord(mergedBy));
      if (existing?.status === 'in_progress') return completeMerge(store, existing, now);
      if (existing?.status === 'completed') return existing;
    }
    if (source.mergedInto) {
      throw new ConflictError(`Customer ${sourceCustomerId} was already merged into ${source.mergedInto}.`, {
        mergedInto: source.mergedInto,
        mergeId: source.mergedBy,
      });
    }
    if (target.mergedInto) {
      throw new ConflictError(`Customer ${targetCustomerId} was merged into ${target.mergedInto}; merge into the survivor.`, {
        mergedInto: target.mergedInto,
        mergeId: target.mergedBy,
      });
    }
    const together = new Set([...target.identifiers, ...source.identifiers].map(identifierKey)).size;
    if (together > maxIdentifiersPerCustomer) {
      throw new ConflictError(
        `Together the customers have ${together} identifiers, more than the ${maxIdentifiersPerCustomer} one customer can hold; unlink some first.`,
        { identifierCount: together },
      );
    }
    const record: MergeRecord = {
      mergeId: newMergeId(),
      kind: 'merge',
      targetCustomerId,
      sourceCustomerId,
      reason: request.reason,
      actor: request.actor,
      status: 'in_progress',
      createdAt: now.toISOString(),
      completedAt: null,
      undoneAt: null,
      undoneBy: null,
      movedIdentifiers: [],
      identifierStates: [],
      movedTouchpointCount: 0,
      touchpointId: null,
      targetBefore: { preferences: target.preferences, identifierPermissions: target.identifierPermissions },
    };
    await beginWhenUnlocked(store, record);
    return completeMerge(store, record, now);
  });
}

/**
 * Begins a merge of two customers read live. The store refuses it while either is locked by another
 * merge (into the target, or of the source's own merges into it), an undo or an erase: those end
 * soon, so it waits and tries again; one merged or erased meanwhile is answered as such.
 */
async function beginWhenUnlocked(store: IdentityStore, record: MergeRecord): Promise<void> {
  const { targetCustomerId, sourceCustomerId, mergeId } = record;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await persistently(async () => {
        try {
          await store.beginMerge(record);
        } catch (error) {
          // A try whose answer was lost began it already: the record is there.
          if (error instanceof ConflictError && (await store.readMergeRecord(mergeId))) return;
          throw error;
        }
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const again = await persistently(() => store.readProfiles([targetCustomerId, sourceCustomerId]));
      for (const customerId of [targetCustomerId, sourceCustomerId]) {
        const profile = again.get(customerId);
        if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
        if (profile.mergedInto) {
          throw new ConflictError(`Customer ${customerId} was merged into ${profile.mergedInto} meanwhile; merge into the survivor.`, {
            mergedInto: profile.mergedInto,
            mergeId: profile.mergedBy,
          });
        }
      }
      if (attempt >= maxAttempts) {
        throw new ConflictError(`Customer ${targetCustomerId} or ${sourceCustomerId} is being merged, unmerged or erased; retry once that has finished.`, {
          targetCustomerId,
          sourceCustomerId,
        });
      }
      await backOff(attempt);
    }
  }
}

/**
 * Longer than any Lambda that runs a merge may live (29 s): a merge still in progress after this
 * was cut short (a fault or a killed process between its steps), not merely under way. A merge
 * under way is left to the process running it: two completing one merge at once would trip over
 * each other's moves.
 */
export const mergeCutShortAfterMs = 60_000;

export interface InterruptedMergesReport {
  finished: string[];
  failed: Array<{ mergeId: string; error: string }>;
}

/**
 * Finishes every merge and undo cut short: still in progress `mergeCutShortAfterMs` after it began.
 * Until then touchpoints carrying the source's identifiers still go to the survivor (ingest guards
 * the holder it read), so nothing waits on a merge; an undo cut short holds its survivor's identity
 * lock until finished here. One failing merge does not stop the others; the next run tries it again.
 */
export async function finishInterruptedMerges(store: IdentityStore, now: Date): Promise<InterruptedMergesReport> {
  const report: InterruptedMergesReport = { finished: [], failed: [] };
  const stale = await persistently(() => store.listUnfinishedMerges(new Date(now.getTime() - mergeCutShortAfterMs).toISOString()));
  for (const record of stale) {
    try {
      await (record.status === 'undoing' ? completeUndo(store, record, now) : completeMerge(store, record, now));
      report.finished.push(record.mergeId);
    } catch (error) {
      report.failed.push({ mergeId: record.mergeId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  return report;
}

/**
 * What a merge does to each of the source's identifiers: its owner becomes the target, and where it
 * is shared, the source's place goes to the target (a customer never shares with itself).
 */
async function planIdentifierStates(store: IdentityStore, source: ProfileRecord, target: string): Promise<IdentifierState[]> {
  const owners = await Promise.all(source.identifiers.map((identifier) => persistently(() => store.findIdentifierOwner(identifier))));
  return source.identifiers.flatMap(({ type, value }, index) => {
    const before = owners[index];
    const after = before && ownerAfterMerge(before, source.customerId, target);
    return before && after ? [{ identifier: { type, value }, before, after }] : [];
  });
}

/** Who holds an identifier once `from` is merged into `target`; undefined when `from` does not hold it. */
function ownerAfterMerge(before: IdentifierOwner, from: string, target: string): IdentifierOwner | undefined {
  if (before.customerId !== from && !before.sharedWith.includes(from)) return undefined;
  const owner = before.customerId === from ? target : before.customerId;
  const sharedWith = [...new Set(before.sharedWith.map((customerId) => (customerId === from ? target : customerId)))].filter(
    (customerId) => customerId !== owner,
  );
  return { customerId: owner, sharedWith };
}

/**
 * Gives the source's identifiers to the target as planned. One that changed hands between planning
 * and now (a link shared it, an unlink released part of it) is planned again from what it is now,
 * so that no identifier is left naming the merged-away source; the new plan is written to the merge
 * record first, so that a resumed merge and an undo know what was actually applied. Answers the
 * states as applied and which of them moved.
 */
async function moveIdentifiers(store: IdentityStore, record: MergeRecord): Promise<{ states: IdentifierState[]; moved: Set<string> }> {
  const { sourceCustomerId: source, targetCustomerId: target, mergeId } = record;
  let states = record.identifierStates;
  const applied = await Promise.all(states.map((state) => persistently(() => store.setIdentifierOwner(state.identifier, state.before, state.after, mergeId))));
  for (const [index, { identifier }] of states.entries()) {
    for (let attempt = 1; !applied[index]; attempt += 1) {
      const current = await persistently(() => store.findIdentifierOwner(identifier));
      const after = current && ownerAfterMerge(current, source, target);
      // The source holds it no longer (unlinked, or released to others): it stays where it went.
      if (!current || !after) break;
      if (attempt > maxAttempts) throw new StoreUnavailableError();
      states = states.map((state, at) => (at === index ? { identifier, before: current, after } : state));
      const replanned = states;
      await persistently(() => store.planMergeIdentifiers(record, { identifierStates: replanned }));
      applied[index] = await persistently(() => store.setIdentifierOwner(identifier, current, after, mergeId));
    }
  }
  return { states, moved: new Set(states.filter((_, index) => applied[index]).map((state) => identifierKey(state.identifier))) };
}

async function completeMerge(store: IdentityStore, started: MergeRecord, now: Date): Promise<MergeRecord> {
  const { targetCustomerId: target, sourceCustomerId: source, mergeId } = started;
  // The source is frozen now (marked merged: no touchpoint or link can add to it), so its
  // identifiers are final: plan what happens to each and keep the plan for the undo, then apply it.
  const [sourceProfile, targetAtStart] = await Promise.all([source, target].map((id) => persistently(() => store.readProfile(id))));
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);
  // The merge locks its target from its beginning, so the target is live; a merge begun before that
  // lock existed may find it merged away or erased, and must not bring anything onto it.
  if (!targetAtStart || targetAtStart.mergedInto) {
    throw new ConflictError(`Merge ${mergeId} cannot finish: its target ${target} is no longer a live customer.`, {
      mergedInto: targetAtStart?.mergedInto ?? null,
    });
  }
  let record = started;
  if (record.identifierStates.length === 0 && sourceProfile.identifiers.length > 0) {
    const identifierStates = await planIdentifierStates(store, sourceProfile, target);
    const planned = { identifierStates, movedIdentifiers: identifierStates.map((state) => state.identifier) };
    // Only while in progress: a try whose answer was lost wrote the same plan.
    await persistently(() => store.planMergeIdentifiers(record, planned));
    record = { ...record, ...planned };
  }
  const { states, moved } = await moveIdentifiers(store, record);
  // The record keeps what moved, for the undo: an identifier the source lost before it moved (an
  // unlink meanwhile) is no part of the merge, and an undo must not hand it back.
  const applied = states.filter((state) => moved.has(identifierKey(state.identifier)));
  const whatMoved = { identifierStates: applied, movedIdentifiers: applied.map((state) => state.identifier) };
  record = { ...record, ...whatMoved };
  await moveSelected(store, source, (touchpoints) => touchpoints.map((touchpoint) => ({ touchpoint, to: target, movedBy: [...touchpoint.movedBy, mergeId] })));
  const folded = await recomputeProfile(store, target, now, (targetProfile) => ({
    identifiers: withSharing(
      unionIdentifiers(
        targetProfile.identifiers,
        sourceProfile.identifiers.filter((identifier) => moved.has(identifierKey(identifier))),
        mergeId,
        now,
      ),
      applied,
      'after',
    ),
    preferences: strictestPreferences(targetProfile.preferences, sourceProfile.preferences),
    identifierPermissions: strictestPermissions(targetProfile.identifierPermissions, sourceProfile.identifierPermissions),
  }));
  // Counted on the survivor, so that a merge resumed after a fault reports what a fault-free one does.
  const movedTouchpointCount = folded.filter((touchpoint) => touchpoint.movedBy.includes(mergeId)).length;
  const completed = { status: 'completed' as const, completedAt: now.toISOString(), movedTouchpointCount };
  // Completed and the target's lock released at once; not finished here: finished by a try whose
  // answer was lost (or by the scheduled job), so answer what it recorded.
  const finished = await persistently(() => store.finishMerge(mergeId, target, { completedAt: completed.completedAt, movedTouchpointCount, ...whatMoved }));
  const result = finished ? { ...record, ...completed } : await persistently(() => store.readMergeRecord(mergeId));
  if (result?.status !== 'completed') throw new ConflictError(`Merge ${mergeId} changed while it was being completed; read it again.`);
  await persistently(() => store.closeMergeCandidate([target, source], 'merged'));
  return result;
}

function unionIdentifiers(target: AttachedIdentifier[], source: AttachedIdentifier[], mergeId: string, now: Date): AttachedIdentifier[] {
  const byKey = new Map(target.map((identifier) => [identifierKey(identifier), identifier]));
  for (const identifier of source) {
    if (byKey.has(identifierKey(identifier))) continue;
    byKey.set(identifierKey(identifier), {
      ...identifier,
      provenance: { ...identifier.provenance, rule: 'merged', mergeId, mergedAt: now.toISOString() },
    });
  }
  return [...byKey.values()];
}

const contactChannels: ContactChannel[] = ['phone', 'email', 'sms', 'mail'];

/** On a merge the strictest permission wins, never the union; the target's stated choices win otherwise. */
export function strictestPreferences(target: ContactPreferences | null, source: ContactPreferences | null): ContactPreferences | null {
  if (!target || !source) return target ?? source;
  const channels: ContactPreferences['channels'] = {};
  for (const channel of contactChannels) {
    const permission = strictest(target.channels[channel], source.channels[channel]);
    if (permission) channels[channel] = permission;
  }
  return {
    channels,
    preferredChannel: target.preferredChannel ?? source.preferredChannel,
    quietHours: target.quietHours ?? source.quietHours,
    updatedAt: target.updatedAt > source.updatedAt ? target.updatedAt : source.updatedAt,
  };
}

export function strictestPermissions(
  target: Record<string, IdentifierPermissions>,
  source: Record<string, IdentifierPermissions>,
): Record<string, IdentifierPermissions> {
  const combined = { ...source, ...target };
  for (const [key, theirs] of Object.entries(source)) {
    const ours = target[key];
    if (!ours) continue;
    const channels: IdentifierPermissions['channels'] = {};
    for (const channel of contactChannels) {
      const permission = strictest(ours.channels[channel], theirs.channels[channel]);
      if (permission) channels[channel] = permission;
    }
    combined[key] = { channels, marketing: strictest(ours.marketing ?? undefined, theirs.marketing ?? undefined) ?? null };
  }
  return combined;
}
