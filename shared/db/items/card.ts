import * as z from '../../schemas/zod.ts';
import type { LastContact, PageVisit } from '../../domain/card.ts';
import type { TierName } from '../../domain/value-tiers.ts';
import { isRecord } from './entity.ts';

const lastContact = z.custom<LastContact>(isRecord);
/** As configured when it was written: a tier renamed since still reads instead of failing the read. */
const storedTier = z.custom<TierName>((value) => typeof value === 'string');

/**
 * The recognition card as stored: the attributes every card write sets, apart from the identity
 * beside them, so that the card can move to an item of its own (docs/performance.md, "A small card
 * item of its own") without a second description of it. Each is optional on read: a card written
 * before one of them existed reads as the empty card's value.
 */
export const storedCardAttributes = z.object({
  version: z.optional(z.number()),
  touchpointCount: z.optional(z.number()),
  countsByChannel: z.optional(z.record(z.string(), z.number())),
  lastContact: z.nullish(lastContact),
  lateContacts: z.optional(z.array(lastContact)),
  monetaryTotal: z.optional(z.number()),
  /** Checked query by query when read: a map an old bug spilled strings into still reads. */
  invoiceQueries: z.optional(z.record(z.string(), z.unknown())),
  recentPages: z.optional(z.array(z.custom<PageVisit>(isRecord))),
  tier: z.optional(storedTier),
  tierRecency: z.optional(z.number()),
  tierWhenRecent: z.optional(storedTier),
  /** The tier index partition of `tierWhenRecent`, which the fast path copies into gsi1pk (an update cannot build a string). */
  gsi1pkWhenRecent: z.optional(z.string()),
  frequencyHeadroom: z.optional(z.number()),
  monetaryHeadroom: z.optional(z.number()),
});

export type StoredCard = z.output<typeof storedCardAttributes>;
