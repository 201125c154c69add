import * as z from 'zod';
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
  version: z.number().optional(),
  touchpointCount: z.number().optional(),
  countsByChannel: z.record(z.string(), z.number()).optional(),
  lastContact: lastContact.nullish(),
  lateContacts: z.array(lastContact).optional(),
  monetaryTotal: z.number().optional(),
  /** Checked query by query when read: a map an old bug spilled strings into still reads. */
  invoiceQueries: z.record(z.string(), z.unknown()).optional(),
  recentPages: z.array(z.custom<PageVisit>(isRecord)).optional(),
  tier: storedTier.optional(),
  tierRecency: z.number().optional(),
  tierWhenRecent: storedTier.optional(),
  /** The tier index partition of `tierWhenRecent`, which the fast path copies into gsi1pk (an update cannot build a string). */
  gsi1pkWhenRecent: z.string().optional(),
  frequencyHeadroom: z.number().optional(),
  monetaryHeadroom: z.number().optional(),
});

export type StoredCard = z.output<typeof storedCardAttributes>;
