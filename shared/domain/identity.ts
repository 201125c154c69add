import { monotonicFactory } from 'ulid';
import { maxIdentifiersPerCustomer } from './bounds.ts';
import { applyDelta, type CardState, cardDelta, emptyCard } from './card.ts';
import { strictest } from './contact-policy.ts';
import { ConflictError, NotFoundError, StoreUnavailableError, ValidationError, WriteRejectedError } from './errors.ts';
import { byStrength, type Identifier, identifierKey } from './identifiers.ts';
import type {
  IdentifierState,
  IdentityStore,
  MergeRecord,
  ProfileRecord,
  ProfileReplacement,
  StoredTouchpoint,
} from './identity-store.ts';
import { maxAttempts } from './ingest-touchpoint.ts';
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

/** Rewrites a customer's card from its touchpoints (and other profile changes), retrying while ingests move it on. */
async function recomputeProfile(
  store: IdentityStore,
  customerId: string,
  now: Date,
  changes: (profile: ProfileRecord) => Omit<ProfileReplacement, 'card' | 'expectedVersion'> = () => ({}),
): Promise<void> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const profile = await store.readProfile(customerId);
    if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
    const touchpoints = await store.listTouchpoints(customerId);
    try {
      await store.replaceProfile(customerId, {
        card: foldCard(touchpoints, now, profile.card.version + 1),
        expectedVersion: profile.card.version,
        ...changes(profile),
      });
      return;
    } catch (error) {
      if (!(error instanceof WriteRejectedError && (error.reason === 'card-stale' || error.reason === 'contention'))) throw error;
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
  const { targetCustomerId, sourceCustomerId } = request;
  if (targetCustomerId === sourceCustomerId) {
    throw new ValidationError([{ path: 'sourceCustomerId', message: 'must differ from the target customer' }]);
  }
  const profiles = await store.readProfiles([targetCustomerId, sourceCustomerId]);
  const target = profiles.get(targetCustomerId);
  const source = profiles.get(sourceCustomerId);
  if (!target) throw new NotFoundError(`No customer has the id ${targetCustomerId}.`);
  if (!source) throw new NotFoundError(`No customer has the id ${sourceCustomerId}.`);
  if (source.mergedInto === targetCustomerId && source.mergedBy) {
    const existing = await store.readMergeRecord(source.mergedBy);
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
  await store.beginMerge(record);
  return completeMerge(store, record, now);
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
 * Finishes every merge cut short: still in progress `mergeCutShortAfterMs` after it began. Until
 * then touchpoints carrying the source's identifiers still go to the survivor (ingest guards the
 * holder it read), so nothing waits on it. One failing merge does not stop the others; the next
 * run tries it again.
 */
export async function finishInterruptedMerges(store: IdentityStore, now: Date): Promise<InterruptedMergesReport> {
  const report: InterruptedMergesReport = { finished: [], failed: [] };
  const stale = await store.listUnfinishedMerges(new Date(now.getTime() - mergeCutShortAfterMs).toISOString());
  for (const record of stale) {
    try {
      await completeMerge(store, record, now);
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
  const owners = await Promise.all(source.identifiers.map((identifier) => store.findIdentifierOwner(identifier)));
  return source.identifiers.flatMap(({ type, value }, index) => {
    const before = owners[index];
    const from = source.customerId;
    if (!before || (before.customerId !== from && !before.sharedWith.includes(from))) return [];
    const owner = before.customerId === from ? target : before.customerId;
    const sharedWith = [...new Set(before.sharedWith.map((customerId) => (customerId === from ? target : customerId)))].filter(
      (customerId) => customerId !== owner,
    );
    return [{ identifier: { type, value }, before, after: { customerId: owner, sharedWith } }];
  });
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
  const sourceProfile = await store.readProfile(source);
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);
  let record = started;
  if (record.identifierStates.length === 0 && sourceProfile.identifiers.length > 0) {
    const identifierStates = await planIdentifierStates(store, sourceProfile, target);
    const planned = { identifierStates, movedIdentifiers: identifierStates.map((state) => state.identifier) };
    await store.updateMergeRecord(mergeId, planned, 'in_progress');
    record = { ...record, ...planned };
  }
  const applied = await Promise.all(
    record.identifierStates.map((state) => store.setIdentifierOwner(state.identifier, state.before, state.after, mergeId)),
  );
  // An identifier that changed hands between planning and now stays where it went.
  const moved = new Set(record.identifierStates.filter((_, index) => applied[index]).map((state) => identifierKey(state.identifier)));
  const touchpoints = await store.listTouchpoints(source);
  await store.moveTouchpoints(touchpoints.map((touchpoint) => ({ touchpoint, to: target, movedBy: [...touchpoint.movedBy, mergeId] })));
  await recomputeProfile(store, target, now, (targetProfile) => ({
    identifiers: withSharing(
      unionIdentifiers(
        targetProfile.identifiers,
        sourceProfile.identifiers.filter((identifier) => moved.has(identifierKey(identifier))),
        mergeId,
        now,
      ),
      record.identifierStates,
      'after',
    ),
    preferences: strictestPreferences(targetProfile.preferences, sourceProfile.preferences),
    identifierPermissions: strictestPermissions(targetProfile.identifierPermissions, sourceProfile.identifierPermissions),
  }));
  const completed = { status: 'completed' as const, completedAt: now.toISOString(), movedTouchpointCount: touchpoints.length };
  await store.updateMergeRecord(mergeId, completed, 'in_progress');
  await store.closeMergeCandidate([target, source], 'merged');
  return { ...record, ...completed };
}

/**
 * Undoes a merge: the source comes back with its identifiers and touchpoints; a touchpoint recorded
 * after the merge goes to whichever customer its strongest identifier belonged to. A merge whose
 * survivor was itself merged later must wait until that later merge is undone.
 */
export async function undoMerge(store: IdentityStore, mergeId: string, actor: string, now: Date): Promise<MergeRecord> {
  const record = await store.readMergeRecord(mergeId);
  if (!record || record.kind !== 'merge') throw new NotFoundError(`No merge has the id ${mergeId}.`);
  if (record.status === 'undone') throw new ConflictError(`Merge ${mergeId} was already undone.`, { undoneAt: record.undoneAt });
  if (record.status === 'in_progress') {
    throw new ConflictError(`Merge ${mergeId} has not finished; post the merge again to finish it, then undo.`);
  }
  const { targetCustomerId: target, sourceCustomerId: source } = record;
  const survivor = await store.readProfile(target);
  if (!survivor) throw new NotFoundError(`No customer has the id ${target}.`);
  if (survivor.mergedInto) {
    throw new ConflictError(
      `Customer ${target} was merged into ${survivor.mergedInto} after this merge; undo merge ${survivor.mergedBy} first.`,
      { blockingMergeId: survivor.mergedBy },
    );
  }
  // Lock the survivor for the undo (an interrupted undo, status `undoing`, holds the lock and resumes).
  if (record.status === 'completed') await store.beginUndo(record);
  const targetProfile = await store.readProfile(target);
  if (!targetProfile) throw new NotFoundError(`No customer has the id ${target}.`);
  const sourceProfile = await store.readProfile(source);
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);

  // Revive the source before its identifiers come back, so that new touchpoints carrying them land on a live customer.
  await store.replaceProfile(source, { card: sourceProfile.card, expectedVersion: sourceProfile.card.version, revive: true }).catch(
    (error: unknown) => {
      if (!(error instanceof WriteRejectedError)) throw error;
    },
  );
  const restored = await Promise.all(
    record.identifierStates.map((state) => store.setIdentifierOwner(state.identifier, state.after, state.before, mergeId)),
  );
  // Identifiers that changed hands since the merge (unlinked, linked elsewhere) stay where they are now.
  const restoredStates = record.identifierStates.filter((_, index) => restored[index]);
  const restoredKeys = new Set(restoredStates.map((state) => identifierKey(state.identifier)));
  const belongsTo = (customerId: string, owner: { customerId: string; sharedWith: string[] }) =>
    owner.customerId === customerId || owner.sharedWith.includes(customerId);

  const sourceKeys = new Set(record.movedIdentifiers.map(identifierKey));
  const targetKeys = new Set(targetProfile.identifiers.map(identifierKey).filter((key) => !sourceKeys.has(key)));
  const touchpoints = await store.listTouchpoints(target);
  const goingBack = touchpoints.filter((touchpoint) =>
    touchpoint.movedBy.at(-1) === mergeId ||
    (touchpoint.movedBy.length === 0 && touchpoint.receivedAt >= record.createdAt && belongsToSource(touchpoint, source, sourceKeys, targetKeys)),
  );
  await store.moveTouchpoints(
    goingBack.map((touchpoint) => ({
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
  const undone = { status: 'undone' as const, undoneAt: now.toISOString(), undoneBy: actor };
  await store.finishUndo(mergeId, target, { undoneAt: undone.undoneAt, undoneBy: undone.undoneBy });
  return { ...record, ...undone };
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

/** Moves one touchpoint to another customer (staff correcting an ambiguous match), audited like a merge. */
export async function moveTouchpoint(
  store: IdentityStore & { readTouchpoint(touchpointId: string): Promise<StoredTouchpoint | undefined> },
  request: { touchpointId: string; customerId: string; reason: string; actor: string },
  now: Date,
): Promise<MergeRecord> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const touchpoint = await store.readTouchpoint(request.touchpointId);
    if (!touchpoint) throw new NotFoundError(`No touchpoint has the id ${request.touchpointId}.`);
    const from = touchpoint.customerId;
    if (from === request.customerId) throw new ConflictError(`Touchpoint ${request.touchpointId} is already on ${from}.`);
    const profiles = await store.readProfiles([from, request.customerId]);
    const target = profiles.get(request.customerId);
    const origin = profiles.get(from);
    if (!target || target.mergedInto) throw new NotFoundError(`No live customer has the id ${request.customerId}.`);
    if (!origin) throw new NotFoundError(`No customer has the id ${from}.`);
    const [fromTouchpoints, toTouchpoints] = await Promise.all([store.listTouchpoints(from), store.listTouchpoints(request.customerId)]);
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
      if (!(error instanceof WriteRejectedError)) throw error;
    }
  }
  throw new StoreUnavailableError();
}

export async function linkIdentifier(
  store: IdentityStore,
  request: { customerId: string; identifier: Identifier; shared: boolean; actor: string },
  now: Date,
): Promise<AttachedIdentifier> {
  const profile = await store.readProfile(request.customerId);
  if (!profile) throw new NotFoundError(`No customer has the id ${request.customerId}.`);
  if (profile.mergedInto) {
    throw new ConflictError(`Customer ${request.customerId} was merged into ${profile.mergedInto}; link to the survivor.`, {
      mergedInto: profile.mergedInto,
    });
  }
  if (profile.identifiers.length >= maxIdentifiersPerCustomer) {
    throw new ValidationError([
      { path: 'value', message: `the customer already has ${maxIdentifiersPerCustomer} identifiers, the most one can hold; unlink one first` },
    ]);
  }
  const attached: AttachedIdentifier = {
    ...request.identifier,
    provenance: { attachedAt: now.toISOString(), source: request.actor, rule: 'linked-by-staff' },
  };
  const outcome = await store.linkIdentifier(request.customerId, attached, request.shared);
  if (outcome.kind === 'owned-by-other') {
    throw new ConflictError(
      `This ${request.identifier.type} belongs to customer ${outcome.customerId}. Merge the customers, or link it with "shared": true if both really use it.`,
      { customerId: outcome.customerId },
    );
  }
  return attached;
}

export async function unlinkIdentifier(store: IdentityStore, customerId: string, identifier: Identifier): Promise<void> {
  // An erased (or never known) customer has nothing to unlink: 404, not a write on a missing profile.
  if (!(await store.readProfile(customerId))) throw new NotFoundError(`No customer has the id ${customerId}.`);
  if (!(await store.unlinkIdentifier(customerId, identifier))) {
    throw new NotFoundError(`Customer ${customerId} has no such ${identifier.type}.`);
  }
}

export async function listIdentifiers(store: IdentityStore, customerId: string): Promise<ProfileRecord> {
  const profile = await store.readProfile(customerId);
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return profile;
}

export async function listMerges(store: IdentityStore, customerId: string): Promise<MergeRecord[]> {
  const profile = await store.readProfile(customerId);
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return store.listMergeRecords(customerId);
}
