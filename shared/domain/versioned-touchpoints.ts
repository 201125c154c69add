import type { Channel } from './channels.ts';
import { IdempotencyConflictError, StoreUnavailableError } from './errors.ts';
import { backOff, maxAttempts } from './retry.ts';

/**
 * One touchpoint for an upstream record that its sender re-sends as it learns more (an Amazon
 * Connect contact: each copy of its contact record carries a newer LastUpdateTimestamp). The
 * first version is recorded through the ingest, keyed on the upstream id, so recognition, merges,
 * the card and suppression apply exactly as for any touchpoint; a newer version amends that
 * touchpoint's summary and details in place; an older or equal one changes nothing.
 *
 * The ingest's idempotency keys refuse a second content under one key, so the versions are kept
 * beside it: which touchpoint the upstream id became and the newest version it shows, guarded on
 * every amendment (the store compares the version it read).
 */

/** Names one upstream record: the connector (the ingest's idempotency scope) and the sender's id. */
export interface UpstreamRef {
  source: string;
  upstreamId: string;
}

export interface NotedVersion {
  touchpointId: string;
  version: string;
}

export interface Amendment {
  summary: string | null;
  details: Record<string, unknown>;
}

export type AmendOutcome =
  /** The touchpoint now shows this version. */
  | 'amended'
  /** The version was noted, but its touchpoint is no longer there (erased, expired, or never stored: suppressed). */
  | 'touchpoint-gone'
  /** Another version was noted since it was read, or the touchpoint moved (a merge): read again. */
  | 'changed';

export interface TouchpointVersionStore {
  readVersion(ref: UpstreamRef): Promise<NotedVersion | undefined>;
  /** The touchpoint the ingest recorded under this upstream id (its idempotency record), if any. */
  ingestedTouchpoint(ref: UpstreamRef): Promise<string | undefined>;
  /** Notes the first version; false when a version is noted already. */
  noteFirstVersion(ref: UpstreamRef, noted: NotedVersion & { channel: Channel; occurredAt: string }): Promise<boolean>;
  /**
   * Notes `version` and amends the touchpoint with it, both or neither, on condition that the noted
   * version is still `expected` (none noted when undefined).
   */
  amend(
    ref: UpstreamRef,
    change: { touchpointId: string; expected: string | undefined; version: string; channel: Channel; occurredAt: string } & Amendment,
  ): Promise<AmendOutcome>;
}

export interface VersionedTouchpoint {
  ref: UpstreamRef;
  /** Compared as strings: a later version sorts after an earlier one. */
  version: string;
  channel: Channel;
  occurredAt: string;
  amendment: Amendment;
}

/** Records a touchpoint through the ingest, keyed on the upstream id, and answers its id. */
export type RecordFirstVersion = (idempotencyKey: string) => Promise<{ touchpointId: string }>;

export type VersionOutcome = 'recorded' | 'amended' | 'unchanged' | 'touchpoint-gone';

export async function recordVersionedTouchpoint(
  store: TouchpointVersionStore,
  record: RecordFirstVersion,
  input: VersionedTouchpoint,
): Promise<VersionOutcome> {
  const { ref, version } = input;
  const change = { channel: input.channel, occurredAt: input.occurredAt, version, ...input.amendment };
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const noted = await store.readVersion(ref);
    if (noted && noted.version >= version) return 'unchanged';
    if (noted) {
      const outcome = await store.amend(ref, { ...change, touchpointId: noted.touchpointId, expected: noted.version });
      if (outcome !== 'changed') return outcome;
      await backOff(attempt);
      continue;
    }
    let touchpointId: string;
    try {
      ({ touchpointId } = await record(ref.upstreamId));
    } catch (error) {
      if (!(error instanceof IdempotencyConflictError)) throw error;
      // Another version was ingested first and its version never noted (that delivery stopped in
      // between, or runs alongside this one): its touchpoint is amended to this version.
      const ingested = await store.ingestedTouchpoint(ref);
      if (!ingested) throw error;
      const outcome = await store.amend(ref, { ...change, touchpointId: ingested, expected: undefined });
      if (outcome !== 'changed') return outcome;
      continue;
    }
    if (await store.noteFirstVersion(ref, { touchpointId, version, channel: input.channel, occurredAt: input.occurredAt })) return 'recorded';
    // A concurrent delivery noted its version first: compare with it.
  }
  throw new StoreUnavailableError('The touchpoint versions kept changing; nothing more was written. Deliver the record again.', { outcomeUnknown: true });
}
