import { monotonicFactory } from 'ulid';
import { maxIdentifiersPerCustomer } from './bounds.ts';
import { applyDelta, type CardState, cardDelta, emptyCard } from './card.ts';
import { strictest } from './contact-policy.ts';
import { ConflictError, identityChangeUnavailable, NotFoundError, StoreUnavailableError, ValidationError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';
import { byStrength, type Identifier, identifierKey } from './identifiers.ts';
import type {
  IdentifierOwner,
  IdentifierState,
  IdentityStore,
  MergeRecord,
  ProfileRecord,
  ProfileReplacement,
  StoredTouchpoint,
} from './identity-store.ts';
import { backOff, maxAttempts } from './ingest-touchpoint.ts';
import type { AttachedIdentifier, ContactChannel, ContactPreferences, IdentifierPermissions } from './model.ts';

const nextUlid = monotonicFactory();
export const newMergeId = () => `mrg_${nextUlid()}`;

export interface MergeRequest {
  targetCustomerId: string;
  sourceCustomerId: string;
  reason: string;
  actor: string;
}

/** The card recomputed from a customer's touchpoints: exact, whatever order they arrived in. */
export function foldCard(touchpoints: StoredTouchpoint[], now: Date, version: number): CardState {
  const ordered = [...touchpoints].sort((a, b) =>
    a.occurredAt === b.occurredAt ? a.touchpointId.localeCompare(b.touchpointId) : a.occurredAt < b.occurredAt ? -1 : 1,
  );
  const card = ordered.reduce((current, touchpoint) => applyDelta(current, cardDelta(touchpoint), now), emptyCard());
  return { ...card, version };
}

/**
 * Tries of one step of an identity mutation that DynamoDB could not take (throttled, timed out,
 * answer lost). Every step is idempotent, so trying it again is safe, and a mutation resumes at the
 * step that gave way instead of starting over: at a 20 % fault rate a merge or undo of some twenty
 * calls still completes in one request nearly always.
 */
const stepAttempts = 6;

async function persistently<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      // Contention: another transaction held one of the items for a moment; nothing was written.
      const contention = error instanceof WriteRejectedError && error.reason === 'contention';
      if (!(error instanceof StoreUnavailableError || contention)) throw error;
      if (attempt >= stepAttempts) throw contention ? new StoreUnavailableError(undefined, { cause: error }) : error;
      await backOff(attempt);
    }
  }
}

/**
 * Runs a step again, reading afresh, while its conditional write finds the identifier changed hands
 * since it was read (a concurrent link, unlink or merge of the same identifier): the loser of such a
 * race decides again on what the winner left instead of failing.
 */
async function whileIdentifierMoves<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await persistently(step);
    } catch (error) {
      if (!(error instanceof WriteRejectedError && error.reason === 'identifier-taken')) throw error;
      if (attempt >= maxAttempts) throw new ConflictError('The identifier kept changing hands meanwhile; read it again and retry.');
      await backOff(attempt);
    }
  }
}

/** An identity change that gave way part-way says so: posting it again resumes it (every step is idempotent). */
async function identityChange<T>(change: () => Promise<T>): Promise<T> {
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
  revive?: boolean;
}

/**
 * Rewrites a customer's card from its touchpoints (and other profile changes), retrying while
 * ingests move it on; answers the touchpoints the card was folded from.
 */
async function recomputeProfile(
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
        error instanceof StoreUnavailableError ||
        (error instanceof WriteRejectedError && (error.reason === 'card-stale' || error.reason === 'contention'));
      if (!retryable) throw error;
      if (attempt > 1) await backOff(attempt);
    }
  }
  throw new StoreUnavailableError();
}

/**
 * Moves the touchpoints `select` picks from one customer to another, re-reading after a chunk gave
 * way (a chunk whose answer was lost has moved already; the next listing no longer has it).
 */
async function moveSelected(
  store: IdentityStore,
  from: string,
  select: (touchpoints: StoredTouchpoint[]) => Array<{ touchpoint: StoredTouchpoint; to: string; movedBy: string[] }>,
): Promise<void> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const moves = select(await persistently(() => store.listTouchpoints(from)));
    if (moves.length === 0) return;
    try {
      await store.moveTouchpoints(moves);
      return;
    } catch (error) {
      const retryable =
        error instanceof StoreUnavailableError ||
        (error instanceof WriteRejectedError && (error.reason === 'touchpoint-moved' || error.reason === 'contention'));
      if (!retryable) throw error;
      await backOff(attempt);
    }
  }
  throw new StoreUnavailableError();
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
        throw new ConflictError(
          `Customer ${targetCustomerId} or ${sourceCustomerId} is being merged, unmerged or erased; retry once that has finished.`,
          { targetCustomerId, sourceCustomerId },
        );
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
  const applied = await Promise.all(
    states.map((state) => persistently(() => store.setIdentifierOwner(state.identifier, state.before, state.after, mergeId))),
  );
  for (const [index, { identifier }] of states.entries()) {
    for (let attempt = 1; !applied[index]; attempt += 1) {
      const current = await persistently(() => store.findIdentifierOwner(identifier));
      const after = current && ownerAfterMerge(current, source, target);
      // The source holds it no longer (unlinked, or released to others): it stays where it went.
      if (!current || !after) break;
      if (attempt > maxAttempts) throw new StoreUnavailableError();
      states = states.map((state, at) => (at === index ? { identifier, before: current, after } : state));
      const replanned = states;
      await persistently(() => store.updateMergeRecord(mergeId, { identifierStates: replanned }, 'in_progress'));
      applied[index] = await persistently(() => store.setIdentifierOwner(identifier, current, after, mergeId));
    }
  }
  return { states, moved: new Set(states.filter((_, index) => applied[index]).map((state) => identifierKey(state.identifier))) };
}

/** The profile's identifier entries, with the shared flag as the given states leave each one. */
function withSharing(identifiers: AttachedIdentifier[], states: IdentifierState[], side: 'before' | 'after'): AttachedIdentifier[] {
  const byKey = new Map(states.map((state) => [identifierKey(state.identifier), state[side]]));
  return identifiers.map((identifier) => {
    const owner = byKey.get(identifierKey(identifier));
    return owner ? { ...identifier, shared: owner.sharedWith.length > 0 } : identifier;
  });
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
    await persistently(() => store.updateMergeRecord(mergeId, planned, 'in_progress'));
    record = { ...record, ...planned };
  }
  const { states, moved } = await moveIdentifiers(store, record);
  record = { ...record, identifierStates: states };
  await moveSelected(store, source, (touchpoints) =>
    touchpoints.map((touchpoint) => ({ touchpoint, to: target, movedBy: [...touchpoint.movedBy, mergeId] })),
  );
  const folded = await recomputeProfile(store, target, now, (targetProfile) => ({
    identifiers: withSharing(
      unionIdentifiers(
        targetProfile.identifiers,
        sourceProfile.identifiers.filter((identifier) => moved.has(identifierKey(identifier))),
        mergeId,
        now,
      ),
      states.filter((state) => moved.has(identifierKey(state.identifier))),
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
  const finished = await persistently(() => store.finishMerge(mergeId, target, { completedAt: completed.completedAt, movedTouchpointCount }));
  const result = finished ? { ...record, ...completed } : await persistently(() => store.readMergeRecord(mergeId));
  if (result?.status !== 'completed') throw new ConflictError(`Merge ${mergeId} changed while it was being completed; read it again.`);
  await persistently(() => store.closeMergeCandidate([target, source], 'merged'));
  return result;
}

/**
 * Undoes a merge: the source comes back with its identifiers and touchpoints; a touchpoint recorded
 * after the merge goes to whichever customer its strongest identifier belonged to. A merge whose
 * survivor was itself merged later must wait until that later merge is undone. Posting the undo
 * again answers the undone merge (a retry whose first try committed), or resumes one cut short.
 */
export async function undoMerge(store: MovingStore, mergeId: string, actor: string, now: Date): Promise<MergeRecord> {
  return identityChange(async () => {
    const record = await persistently(() => store.readMergeRecord(mergeId));
    if (record?.kind === 'move') return undoMove(store, record, actor, now);
    if (record?.kind !== 'merge') throw new NotFoundError(`No merge or move has the id ${mergeId}.`);
    if (record.status === 'undone') return record;
    if (record.status === 'in_progress') {
      throw new ConflictError(`Merge ${mergeId} has not finished; post the merge again to finish it, then undo.`);
    }
    const { targetCustomerId: target } = record;
    const survivor = await persistently(() => store.readProfile(target));
    if (!survivor) throw new NotFoundError(`No customer has the id ${target}.`);
    if (survivor.mergedInto && record.status === 'completed') {
      throw new ConflictError(
        `Customer ${target} was merged into ${survivor.mergedInto} after this merge; undo merge ${survivor.mergedBy} first.`,
        { blockingMergeId: survivor.mergedBy },
      );
    }
    // Lock the survivor for the undo (an interrupted undo, status `undoing`, holds the lock and resumes).
    const undoing = { ...record, status: 'undoing' as const, undoneBy: actor, undoStartedAt: now.toISOString() };
    if (record.status === 'completed') {
      await persistently(async () => {
        try {
          await store.beginUndo(undoing);
        } catch (error) {
          // A try whose answer was lost took the lock already.
          if (error instanceof ConflictError && (await store.readMergeRecord(mergeId))?.status === 'undoing') return;
          throw error;
        }
      });
    }
    return completeUndo(store, record.status === 'completed' ? undoing : record, now);
  });
}

/** The steps of an undo after the lock is taken; each idempotent, so an undo cut short resumes here. */
async function completeUndo(store: IdentityStore, record: MergeRecord, now: Date): Promise<MergeRecord> {
  const { targetCustomerId: target, sourceCustomerId: source, mergeId } = record;
  const targetProfile = await persistently(() => store.readProfile(target));
  if (!targetProfile) throw new NotFoundError(`No customer has the id ${target}.`);
  const sourceProfile = await persistently(() => store.readProfile(source));
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);

  // Revive the source before its identifiers come back, so that new touchpoints carrying them land on a live customer.
  if (sourceProfile.mergedInto) {
    await persistently(() =>
      store.replaceProfile(source, { card: sourceProfile.card, expectedVersion: sourceProfile.card.version, revive: true }).catch(
        (error: unknown) => {
          // Revived already (by a try whose answer was lost), or its card moved on: the recompute below settles it.
          if (!(error instanceof WriteRejectedError)) throw error;
        },
      ),
    );
  }
  const restored = await Promise.all(
    record.identifierStates.map((state) => persistently(() => store.setIdentifierOwner(state.identifier, state.after, state.before, mergeId))),
  );
  // Identifiers that changed hands since the merge (unlinked, linked elsewhere) stay where they are now.
  const restoredStates = record.identifierStates.filter((_, index) => restored[index]);
  const restoredKeys = new Set(restoredStates.map((state) => identifierKey(state.identifier)));
  const belongsTo = (customerId: string, owner: { customerId: string; sharedWith: string[] }) =>
    owner.customerId === customerId || owner.sharedWith.includes(customerId);

  const sourceKeys = new Set(record.movedIdentifiers.map(identifierKey));
  const targetKeys = new Set(targetProfile.identifiers.map(identifierKey).filter((key) => !sourceKeys.has(key)));
  await moveSelected(store, target, (touchpoints) =>
    touchpoints
      .filter(
        (touchpoint) =>
          touchpoint.movedBy.at(-1) === mergeId ||
          (touchpoint.movedBy.length === 0 &&
            touchpoint.receivedAt >= record.createdAt &&
            belongsToSource(touchpoint, source, sourceKeys, targetKeys)),
      )
      .map((touchpoint) => ({
        touchpoint,
        to: source,
        movedBy: touchpoint.movedBy.at(-1) === mergeId ? touchpoint.movedBy.slice(0, -1) : touchpoint.movedBy,
      })),
  );

  await recomputeProfile(store, source, now, (profile) => ({
    identifiers: withSharing(
      profile.identifiers.filter((identifier) => restoredKeys.has(identifierKey(identifier))),
      restoredStates,
      'before',
    ),
  }));
  await recomputeProfile(store, target, now, (profile) => {
    const unchangedSinceMerge = (profile.preferences?.updatedAt ?? '') <= (record.completedAt ?? '');
    const permissions = Object.fromEntries(
      Object.entries(profile.identifierPermissions).filter(([key]) => !sourceKeys.has(key)),
    );
    const stateOf = new Map(restoredStates.map((state) => [identifierKey(state.identifier), state.before]));
    return {
      identifiers: withSharing(
        profile.identifiers.filter((identifier) => {
          const before = stateOf.get(identifierKey(identifier));
          return !before || belongsTo(target, before);
        }),
        restoredStates,
        'before',
      ),
      ...(unchangedSinceMerge && record.targetBefore
        ? { preferences: record.targetBefore.preferences, identifierPermissions: { ...permissions, ...record.targetBefore.identifierPermissions } }
        : { identifierPermissions: permissions }),
    };
  });
  const undone = { status: 'undone' as const, undoneAt: now.toISOString(), undoneBy: record.undoneBy };
  const finished = await persistently(() => store.finishUndo(mergeId, target, { undoneAt: undone.undoneAt, undoneBy: undone.undoneBy }));
  // Not finished here: finished by a try whose answer was lost (or by the scheduled job), so answer what it recorded.
  const result = finished ? { ...record, ...undone } : await persistently(() => store.readMergeRecord(mergeId));
  if (result?.status !== 'undone') throw new ConflictError(`Merge ${mergeId} changed while it was being undone; read it again.`);
  // The pair may claim one identifier again: a conflict that recurs proposes them anew.
  await persistently(() => store.reopenMergeCandidate([target, source]));
  return result;
}

/** After a merge, a touchpoint belongs to the source if its strongest identifier known to either side was the source's. */
function belongsToSource(touchpoint: StoredTouchpoint, source: string, sourceKeys: Set<string>, targetKeys: Set<string>): boolean {
  if (touchpoint.identifiers.customerId === source) return true;
  const identifiers = Object.entries(touchpoint.identifiers)
    .filter(([type]) => type !== 'customerId')
    .map(([type, value]) => ({
      type,
      value: typeof value === 'object' && value ? `${value.system}:${value.id}` : String(value),
    })) as Identifier[];
  const deciding = identifiers.sort(byStrength).find((identifier) => sourceKeys.has(identifierKey(identifier)) || targetKeys.has(identifierKey(identifier)));
  return deciding !== undefined && sourceKeys.has(identifierKey(deciding));
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

type MovingStore = IdentityStore & { readTouchpoint(touchpointId: string): Promise<StoredTouchpoint | undefined> };

/**
 * Undoes a touchpoint move, which is listed with the merges under a merge id: the touchpoint goes
 * back by a move of its own (audited like any), then the first move is marked undone. A retry
 * whose first try moved it back already only marks it.
 */
async function undoMove(store: MovingStore, record: MergeRecord, actor: string, now: Date): Promise<MergeRecord> {
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

/**
 * Moves one touchpoint to another customer (staff correcting an ambiguous match), audited like a
 * merge. Posting the same move again once it went through answers the move that did it.
 */
export async function moveTouchpoint(
  store: MovingStore,
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
            card: foldCard(fromTouchpoints.filter((item) => item.touchpointId !== touchpoint.touchpointId), now, origin.card.version + 1),
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

/** Links an identifier to a customer; linking it again answers the link as first made. */
export async function linkIdentifier(
  store: IdentityStore,
  request: { customerId: string; identifier: Identifier; shared: boolean; actor: string },
  now: Date,
): Promise<AttachedIdentifier> {
  return identityChange(async () => {
    const attached: AttachedIdentifier = {
      ...request.identifier,
      provenance: { attachedAt: now.toISOString(), source: request.actor, rule: 'linked-by-staff' },
    };
    // Read again on each round: a link refused because the identifier changed hands (or the customer
    // was merged or erased) meanwhile decides again on what it is now.
    const outcome = await whileIdentifierMoves(async () => {
      const profile = await store.readProfile(request.customerId);
      if (!profile) throw new NotFoundError(`No customer has the id ${request.customerId}.`);
      if (profile.mergedInto) {
        throw new ConflictError(`Customer ${request.customerId} was merged into ${profile.mergedInto}; link to the survivor.`, {
          mergedInto: profile.mergedInto,
        });
      }
      const linkedAlready = profile.identifiers.some((identifier) => identifierKey(identifier) === identifierKey(request.identifier));
      if (!linkedAlready && profile.identifiers.length >= maxIdentifiersPerCustomer) {
        throw new ValidationError([
          { path: 'value', message: `the customer already has ${maxIdentifiersPerCustomer} identifiers, the most one can hold; unlink one first` },
        ]);
      }
      // A try whose answer was lost linked it: the next one finds it linked already.
      return store.linkIdentifier(request.customerId, attached, request.shared);
    });
    if (outcome.kind === 'owned-by-other') {
      throw new ConflictError(
        `This ${request.identifier.type} belongs to customer ${outcome.customerId}. Merge the customers, or link it with "shared": true if both really use it.`,
        { customerId: outcome.customerId },
      );
    }
    if (outcome.kind === 'already-linked') {
      const linked = await persistently(() => store.readProfile(request.customerId));
      const entry = linked?.identifiers.find((identifier) => identifierKey(identifier) === identifierKey(request.identifier));
      if (entry) return entry;
    }
    return attached;
  });
}

/**
 * Unlinks an identifier from a customer. Two unlinks of one identifier at once both answer done
 * (the loser finds it gone); posted again after it went through, 404 with nothing changed.
 */
export async function unlinkIdentifier(store: IdentityStore, customerId: string, identifier: Identifier): Promise<void> {
  return identityChange(async () => {
    const profile = await persistently(() => store.readProfile(customerId));
    const unlinked = await whileIdentifierMoves(() => store.unlinkIdentifier(customerId, identifier));
    // A customer that no longer exists still lets go of an identifier whose item names it (a
    // leftover; no profile is written for it); else it has nothing to unlink.
    if (unlinked) return;
    if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
    const held = profile.identifiers.some((entry) => identifierKey(entry) === identifierKey(identifier));
    // Not linked (any more): a try whose answer was lost, or an unlink at the same time, unlinked
    // what the profile listed when this began.
    if (held) return;
    // Posted again after it went through, it cannot tell that from a new request: the message says so.
    throw new NotFoundError(`Customer ${customerId} has no such ${identifier.type} (if an earlier try of this unlink answered 503, it went through).`);
  });
}

/** Dismisses the merge candidate naming two customers; dismissing it again answers the same. */
export async function dismissMergeCandidate(store: IdentityStore, candidateId: string): Promise<void> {
  return identityChange(async () => {
    if (!(await persistently(() => store.resolveMergeCandidate(candidateId, 'dismissed')))) {
      throw new NotFoundError(`No merge candidate has the id ${candidateId}.`);
    }
  });
}

export async function listIdentifiers(store: IdentityStore, customerId: string): Promise<ProfileRecord> {
  const profile = await persistently(() => store.readProfile(customerId));
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return profile;
}

export async function listMerges(store: IdentityStore, customerId: string): Promise<MergeRecord[]> {
  const profile = await store.readProfile(customerId);
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return store.listMergeRecords(customerId);
}
