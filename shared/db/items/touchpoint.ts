import * as z from '../../schemas/zod.ts';
import { channels } from '../../domain/channels.ts';
import type { Identifier } from '../../domain/identifiers.ts';
import type { Identifiers } from '../../schemas/identifiers.ts';
import { touchpointKey, touchpointLocatorKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/** A touchpoint in its customer's timeline (`CUST#<customerId>` / `T#<occurredAt>#<touchpointId>`). */
export const touchpointEntity = defineEntity({
  name: 'touchpoint',
  attributes: // A move re-inserts the item whole: attributes this schema does not name stay with it.
    z.looseObject({
      touchpointId: z.string(),
      customerId: z.string(),
      channel: z.enum(channels),
      occurredAt: z.string(),
      receivedAt: z.string(),
      source: z.string(),
      identifiers: z.custom<Identifiers>(isRecord),
      summary: z.nullish(z.string()),
      details: z.record(z.string(), z.unknown()),
      value: z.optional(z.number()),
      ambiguity: z.optional(z.object({ otherCandidates: z.array(z.string()), sharedIdentifiers: z.array(z.custom<Identifier>(isRecord)) })),
      /** The merges and moves that carried this touchpoint to its current customer, oldest first. */
      movedBy: z.optional(z.array(z.string())),
      /** Set on a re-insert by a merge, undo or move: no new touchpoint, so no TouchpointRecorded. */
      relocatedAt: z.optional(z.string()),
      /** Retention by channel, enforced by DynamoDB TTL (epoch seconds). */
      expiresAt: z.optional(z.number()),
    }),
  key: (customerId: string, occurredAt: string, touchpointId: string) => touchpointKey(customerId, occurredAt, touchpointId),
});

export type TouchpointItem = z.output<typeof touchpointEntity.attributes>;

/** What an Idempotency-Key's first request answered, kept under the key's own touchpoint id (`touchpointIdFor`). */
const idempotencyAttributes = {
  requestFingerprint: z.string(),
  /** What the first request answered: an ingest's result, or a discarded touchpoint's receipt. */
  result: z.custom<object>(isRecord),
};

/**
 * Where a touchpoint lives (`TP#<touchpointId>`), for moves and replays. Posted with an
 * Idempotency-Key it is also the key's record: written only if absent, it is the exactly-once
 * guard, and it carries the request's digest and answer (and lives as long as the touchpoint).
 */
export const touchpointLocatorEntity = defineEntity({
  name: 'touchpointLocator',
  attributes: z.object({
    touchpointId: z.string(),
    customerId: z.string(),
    occurredAt: z.string(),
    expiresAt: z.optional(z.number()),
    requestFingerprint: z.optional(idempotencyAttributes.requestFingerprint),
    result: z.optional(idempotencyAttributes.result),
    /** The request that wrote it: its own retries are told from a twin request sent with the same key. */
    requestId: z.optional(z.string()),
  }),
  key: touchpointLocatorKey,
});

/**
 * A write-only client's touchpoint that was not stored (shared/db/idempotency-store.ts), under the
 * locator key of the id its Idempotency-Key stands for: a key answers one outcome, stored or
 * discarded. Holds no identifier and no customer; expires after the idempotency retention.
 */
export const discardedTouchpointEntity = defineEntity({
  name: 'discardedTouchpoint',
  attributes: z.object({ ...idempotencyAttributes, createdAt: z.string(), expiresAt: z.number() }),
  key: touchpointLocatorKey,
});
