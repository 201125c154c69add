import { ConflictError, NotFoundError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';
import { byStrength, type Identifier, identifierKey } from './identifiers.ts';
import type { IdentityStore, MergeRecord, StoredTouchpoint } from './identity-store.ts';
import type { AttachedIdentifier } from './model.ts';
import { persistently } from './retry.ts';
import { identityChange, moveSelected, recomputeProfile, withSharing } from './identity-steps.ts';
import { undoMove } from './move-touchpoint.ts';

/**
 * Undoes a merge: the source comes back with its identifiers and touchpoints; a touchpoint recorded
 * after the merge goes to whichever customer its strongest identifier belonged to. A merge whose
 * survivor was itself merged later must wait until that later merge is undone. Posting the undo
 * again answers the undone merge (a retry whose first try committed), or resumes one cut short.
 */
export async function undoMerge(store: IdentityStore, mergeId: string, actor: string, now: Date): Promise<MergeRecord> {
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
      throw new ConflictError(`Customer ${target} was merged into ${survivor.mergedInto} after this merge; undo merge ${survivor.mergedBy} first.`, {
        blockingMergeId: survivor.mergedBy,
      });
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
export async function completeUndo(store: IdentityStore, record: MergeRecord, now: Date): Promise<MergeRecord> {
  const { targetCustomerId: target, sourceCustomerId: source, mergeId } = record;
  const targetProfile = await persistently(() => store.readProfile(target));
  if (!targetProfile) throw new NotFoundError(`No customer has the id ${target}.`);
  const sourceProfile = await persistently(() => store.readProfile(source));
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);

  // Revive the source before its identifiers come back, so that new touchpoints carrying them land on a live customer.
  if (sourceProfile.mergedInto) {
    await persistently(() =>
      store.replaceProfile(source, { card: sourceProfile.card, expectedVersion: sourceProfile.card.version, revive: mergeId }).catch((error: unknown) => {
        // Revived already (by a try whose answer was lost), or its card moved on: the recompute below settles it.
        if (!(error instanceof WriteRejectedError)) throw error;
      }),
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
          (touchpoint.movedBy.length === 0 && recordedWhileMerged(touchpoint, record) && belongsToSource(touchpoint, source, sourceKeys, targetKeys)),
      )
      .map((touchpoint) => ({
        touchpoint,
        to: source,
        movedBy: touchpoint.movedBy.at(-1) === mergeId ? touchpoint.movedBy.slice(0, -1) : touchpoint.movedBy,
      })),
  );

  const carried = await carryAttachedIdentifiers(store, record);
  const carriedKeys = new Set(carried.map(identifierKey));
  await mentionAcross(store, record, { source: new Set([...sourceKeys, ...carriedKeys]), target: targetKeys });

  await recomputeProfile(store, source, now, (profile) => {
    // Kept: what came back, and what the source took on since the merge (revived by this undo, a
    // touchpoint attached it; or a touchpoint given back carried it).
    const kept = profile.identifiers.filter((identifier) => {
      const key = identifierKey(identifier);
      return restoredKeys.has(key) || (!sourceKeys.has(key) && identifier.provenance.attachedAt >= record.createdAt);
    });
    const listed = new Set(kept.map(identifierKey));
    return { identifiers: withSharing([...kept, ...carried.filter((identifier) => !listed.has(identifierKey(identifier)))], restoredStates, 'before') };
  });
  await recomputeProfile(store, target, now, (profile) => {
    const unchangedSinceMerge = (profile.preferences?.updatedAt ?? '') <= (record.completedAt ?? '');
    const permissions = Object.fromEntries(Object.entries(profile.identifierPermissions).filter(([key]) => !sourceKeys.has(key)));
    const stateOf = new Map(restoredStates.map((state) => [identifierKey(state.identifier), state.before]));
    return {
      identifiers: withSharing(
        profile.identifiers.filter((identifier) => {
          const before = stateOf.get(identifierKey(identifier));
          return !carriedKeys.has(identifierKey(identifier)) && (!before || belongsTo(target, before));
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
  const finished = await persistently(() => store.finishUndo(record, { undoneAt: undone.undoneAt, undoneBy: undone.undoneBy }));
  // Not finished here: finished by a try whose answer was lost (or by the scheduled job), so answer what it recorded.
  const result = finished ? { ...record, ...undone } : await persistently(() => store.readMergeRecord(mergeId));
  if (result?.status !== 'undone') throw new ConflictError(`Merge ${mergeId} changed while it was being undone; read it again.`);
  // The pair may claim one identifier again: a conflict that recurs proposes them anew.
  await persistently(() => store.reopenMergeCandidate([target, source]));
  return result;
}

/**
 * A touchpoint recorded on the survivor while the merge stood, and given back to the source, takes
 * along the identifiers it attached to the survivor (their entries name it as their first
 * touchpoint): they were the source's all along. Answers those entries; one that changed hands
 * since (unlinked, shared on to another owner) stays where it is. A resumed undo finds the ones it
 * gave already on the source.
 */
async function carryAttachedIdentifiers(store: IdentityStore, record: MergeRecord): Promise<AttachedIdentifier[]> {
  const { targetCustomerId: target, sourceCustomerId: source, mergeId } = record;
  const [survivor, sourceTouchpoints] = await Promise.all([persistently(() => store.readProfile(target)), persistently(() => store.listTouchpoints(source))]);
  const givenBack = new Set(
    sourceTouchpoints
      .filter((touchpoint) => touchpoint.movedBy.length === 0 && recordedWhileMerged(touchpoint, record))
      .map(({ touchpointId }) => touchpointId),
  );
  const sourceKeys = new Set(record.movedIdentifiers.map(identifierKey));
  const attached = (survivor?.identifiers ?? []).filter(
    (identifier) => givenBack.has(identifier.provenance.touchpointId ?? '') && !sourceKeys.has(identifierKey(identifier)),
  );
  const carried: AttachedIdentifier[] = [];
  for (const identifier of attached) {
    const owner = await persistently(() => store.findIdentifierOwner(identifier));
    if (owner?.customerId === source) carried.push(identifier);
    if (owner?.customerId !== target) continue;
    const next = { customerId: source, sharedWith: owner.sharedWith.filter((customerId) => customerId !== source) };
    if (await persistently(() => store.setIdentifierOwner(identifier, owner, next, mergeId))) carried.push(identifier);
  }
  return carried;
}

/**
 * How long before a merge a request may have begun and still been sent on by it: API Gateway
 * ends every request within 30 seconds.
 */
const requestCeilingMs = 30_000;

/**
 * Moved by no merge, and recorded since the merge began (its request may have begun just before
 * the merge did) or naming the source itself: on the survivor only a redirect by this merge puts
 * such a one.
 */
function recordedWhileMerged(touchpoint: StoredTouchpoint, record: MergeRecord): boolean {
  const mergeBegan = Date.parse(record.createdAt);
  return Date.parse(touchpoint.receivedAt) >= mergeBegan - requestCeilingMs || touchpoint.identifiers.customerId === record.sourceCustomerId;
}

/**
 * A touchpoint recorded while the merge stood may carry identifiers of both customers (the
 * source's phone, the survivor's email) and now lives with one of them, and one staff moved from
 * the survivor elsewhere may carry the source's: a pointer in the other's partition lets its erase
 * find it and take its values out; so may a third customer's touchpoint that pointed to the
 * survivor for the source's identifiers. One given back to the source was recorded on the
 * survivor, so its Idempotency-Key's record answers with the survivor's id: pointed to from the
 * survivor too.
 */
async function mentionAcross(store: IdentityStore, record: MergeRecord, keysOf: { source: Set<string>; target: Set<string> }): Promise<void> {
  const { targetCustomerId: target, sourceCustomerId: source } = record;
  const sinceTheMerge = (touchpoints: Array<StoredTouchpoint | undefined> | undefined) =>
    (touchpoints ?? []).filter(
      (touchpoint): touchpoint is StoredTouchpoint => touchpoint !== undefined && touchpoint.movedBy.length === 0 && recordedWhileMerged(touchpoint, record),
    );
  const carrying = (other: string, keys: Set<string>) => (touchpoint: StoredTouchpoint) =>
    touchpoint.identifiers.customerId === other || identifiersOf(touchpoint).some((identifier) => keys.has(identifierKey(identifier)));
  const [onTarget, onSource] = await Promise.all([target, source].map((customerId) => persistently(() => store.listTouchpoints(customerId))));
  // Staff may have moved on a touchpoint the merge brought, or one recorded since: its values may be the source's.
  const movedOn = (await persistently(() => store.listMergeRecords(target))).flatMap((moved) =>
    moved.kind === 'move' && moved.sourceCustomerId === target && moved.createdAt >= record.createdAt && moved.touchpointId ? [moved.touchpointId] : [],
  );
  // A third customer's touchpoint recorded meanwhile, carrying the source's identifiers, was pointed to from the survivor, their holder then.
  const pointedTo = await Promise.all((await persistently(() => store.listMentions(target))).map((id) => persistently(() => store.readTouchpoint(id))));
  const thirdParties = sinceTheMerge(pointedTo.filter((touchpoint) => touchpoint !== undefined && ![target, source].includes(touchpoint.customerId)));
  const answersWithTarget = async (touchpoint: StoredTouchpoint) => (await persistently(() => store.readAnsweredCustomer(touchpoint.touchpointId))) === target;
  const givenBack = sinceTheMerge(onSource);
  const targetsOwn = await Promise.all(givenBack.map(async (touchpoint) => carrying(target, keysOf.target)(touchpoint) || answersWithTarget(touchpoint)));
  const ids = (touchpoints: StoredTouchpoint[]) => touchpoints.map(({ touchpointId }) => touchpointId);
  const sourcesOwn = [...sinceTheMerge(onTarget), ...thirdParties].filter(carrying(source, keysOf.source));
  await persistently(() => store.mentionTouchpoints(source, [...ids(sourcesOwn), ...movedOn]));
  await persistently(() => store.mentionTouchpoints(target, ids(givenBack.filter((_, index) => targetsOwn[index]))));
}

/** The identifiers a touchpoint carries besides a customer id, in the form identifier items are keyed by. */
function identifiersOf(touchpoint: StoredTouchpoint): Identifier[] {
  return Object.entries(touchpoint.identifiers)
    .filter(([type]) => type !== 'customerId')
    .map(([type, value]) => ({
      type,
      value: typeof value === 'object' && value ? `${value.system}:${value.id}` : String(value),
    })) as Identifier[];
}

/** After a merge, a touchpoint belongs to the source if its strongest identifier known to either side was the source's. */
function belongsToSource(touchpoint: StoredTouchpoint, source: string, sourceKeys: Set<string>, targetKeys: Set<string>): boolean {
  if (touchpoint.identifiers.customerId === source) return true;
  const deciding = identifiersOf(touchpoint)
    .sort(byStrength)
    .find((identifier) => sourceKeys.has(identifierKey(identifier)) || targetKeys.has(identifierKey(identifier)));
  return deciding !== undefined && sourceKeys.has(identifierKey(deciding));
}
