import * as z from 'zod';
import { channels } from '../../domain/channels.ts';
import type { Identifier } from '../../domain/identifiers.ts';
import type { Identifiers } from '../../schemas/identifiers.ts';
import { touchpointKey, touchpointLocatorKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/** A touchpoint in its customer's timeline (`CUST#<customerId>` / `T#<occurredAt>#<touchpointId>`). */
export const touchpointEntity = defineEntity({
  name: 'touchpoint',
  attributes: z
    .object({
      touchpointId: z.string(),
      customerId: z.string(),
      channel: z.enum(channels),
      occurredAt: z.string(),
      receivedAt: z.string(),
      source: z.string(),
      identifiers: z.custom<Identifiers>(isRecord),
      summary: z.string().nullish(),
      details: z.record(z.string(), z.unknown()),
      value: z.number().optional(),
      ambiguity: z.object({ otherCandidates: z.array(z.string()), sharedIdentifiers: z.array(z.custom<Identifier>(isRecord)) }).optional(),
      /** The merges and moves that carried this touchpoint to its current customer, oldest first. */
      movedBy: z.array(z.string()).optional(),
      /** Set on a re-insert by a merge, undo or move: no new touchpoint, so no TouchpointRecorded. */
      relocatedAt: z.string().optional(),
      /** Retention by channel, enforced by DynamoDB TTL (epoch seconds). */
      expiresAt: z.number().optional(),
      /** Lets an erase find the idempotency record, which names the customer in its stored result. */
      idempotencyRef: z.object({ scope: z.string(), key: z.string() }).optional(),
    })
    // A move re-inserts the item whole: attributes this schema does not name stay with it.
    .loose(),
  key: (customerId: string, occurredAt: string, touchpointId: string) => touchpointKey(customerId, occurredAt, touchpointId),
});

export type TouchpointItem = z.output<typeof touchpointEntity.attributes>;

/** Where a touchpoint lives (`TP#<touchpointId>`), for moves and replays. */
export const touchpointLocatorEntity = defineEntity({
  name: 'touchpointLocator',
  attributes: z.object({
    touchpointId: z.string(),
    customerId: z.string(),
    occurredAt: z.string(),
    expiresAt: z.number().optional(),
  }),
  key: touchpointLocatorKey,
});
