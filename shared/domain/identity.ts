import { monotonicFactory } from 'ulid';
import { applyDelta, type CardState, cardDelta, emptyCard } from './card.ts';
import { strictest } from './contact-policy.ts';
import { ConflictError, NotFoundError, StoreUnavailableError, ValidationError, WriteRejectedError } from './errors.ts';
import { byStrength, type Identifier, identifierKey } from './identifiers.ts';
import type { IdentityStore, MergeRecord, ProfileRecord, ProfileReplacement, StoredTouchpoint } from './identity-store.ts';
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
    movedIdentifiers: source.identifiers.map(({ type, value }) => ({ type, value })),
    movedTouchpointCount: 0,
    touchpointId: null,
    targetBefore: { preferences: target.preferences, identifierPermissions: target.identifierPermissions },
  };
  await store.beginMerge(record);
  return completeMerge(store, record, now);
}

async function completeMerge(store: IdentityStore, record: MergeRecord, now: Date): Promise<MergeRecord> {
  const { targetCustomerId: target, sourceCustomerId: source, mergeId } = record;
  const sourceProfile = await store.readProfile(source);
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);
  await Promise.all(record.movedIdentifiers.map((identifier) => store.repointIdentifier(identifier, source, target, mergeId)));
  const touchpoints = await store.listTouchpoints(source);
  await store.moveTouchpoints(touchpoints.map((touchpoint) => ({ touchpoint, to: target, movedBy: [...touchpoint.movedBy, mergeId] })));
  await recomputeProfile(store, target, now, (targetProfile) => ({
    identifiers: unionIdentifiers(targetProfile.identifiers, sourceProfile.identifiers, mergeId, now),
    preferences: strictestPreferences(targetProfile.preferences, sourceProfile.preferences),
    identifierPermissions: strictestPermissions(targetProfile.identifierPermissions, sourceProfile.identifierPermissions),
  }));
  const completed = { status: 'completed' as const, completedAt: now.toISOString(), movedTouchpointCount: touchpoints.length };
  await store.updateMergeRecord(mergeId, completed, 'in_progress');
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
  const targetProfile = await store.readProfile(target);
  if (!targetProfile) throw new NotFoundError(`No customer has the id ${target}.`);
  if (targetProfile.mergedInto) {
    throw new ConflictError(
      `Customer ${target} was merged into ${targetProfile.mergedInto} after this merge; undo merge ${targetProfile.mergedBy} first.`,
      { blockingMergeId: targetProfile.mergedBy },
    );
  }
  const sourceProfile = await store.readProfile(source);
  if (!sourceProfile) throw new NotFoundError(`No customer has the id ${source}.`);

  // Revive the source before its identifiers come back, so that new touchpoints carrying them land on a live customer.
  await store.replaceProfile(source, { card: sourceProfile.card, expectedVersion: sourceProfile.card.version, revive: true }).catch(
    (error: unknown) => {
      if (!(error instanceof WriteRejectedError)) throw error;
    },
  );
  await Promise.all(record.movedIdentifiers.map((identifier) => store.repointIdentifier(identifier, target, source, mergeId)));

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

  await recomputeProfile(store, source, now);
  await recomputeProfile(store, target, now, (profile) => {
    const unchangedSinceMerge = (profile.preferences?.updatedAt ?? '') <= (record.completedAt ?? '');
    const permissions = Object.fromEntries(
      Object.entries(profile.identifierPermissions).filter(([key]) => !sourceKeys.has(key)),
    );
    return {
      identifiers: profile.identifiers.filter((identifier) => !sourceKeys.has(identifierKey(identifier))),
      ...(unchangedSinceMerge && record.targetBefore
        ? { preferences: record.targetBefore.preferences, identifierPermissions: { ...permissions, ...record.targetBefore.identifierPermissions } }
        : { identifierPermissions: permissions }),
    };
  });
  const undone = { status: 'undone' as const, undoneAt: now.toISOString(), undoneBy: actor };
  await store.updateMergeRecord(mergeId, undone, 'completed');
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
