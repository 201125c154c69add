import * as z from '../../schemas/zod.ts';
import type { LastContact } from '../../domain/card.ts';
import type { TierName } from '../../domain/value-tiers.ts';
import { cardKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

const lastContact = z.custom<LastContact>(isRecord);
/** As configured when it was written: a tier renamed since still reads instead of failing the read. */
const storedTier = z.custom<TierName>((value) => typeof value === 'string');

/**
 * The recognition card as stored: the attributes every card write sets. Each is optional on read:
 * a card written before one of them existed reads as the empty card's value.
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
  tier: z.optional(storedTier),
  tierRecency: z.optional(z.number()),
  tierWhenRecent: z.optional(storedTier),
  /** The tier index partition of `tierWhenRecent`, which the fast path copies into gsi1pk (an update cannot build a string). */
  gsi1pkWhenRecent: z.optional(z.string()),
  frequencyHeadroom: z.optional(z.number()),
  monetaryHeadroom: z.optional(z.number()),
});

export type StoredCard = z.output<typeof storedCardAttributes>;

/** The entity a card takes while its customer is being erased (with the profile's `erasingCustomer`). */
export const erasingCardEntity = 'erasingCard';

/**
 * A customer's recognition card (`CUST#<customerId>` / `Z#CARD`), apart from the profile so that a
 * touchpoint's write is billed for the card's size, not for the identity's (docs/performance.md,
 * "A small card item of its own"); GSI1 lists it under its value tier while it is live. It carries
 * the guards every card write tests: its entity (`card`, `erasingCard`) and a copy of the
 * profile's `mergedInto`, written with the profile's by merges, undos and erases.
 */
export const cardEntity = defineEntity({
  name: 'card',
  attributes: z.looseObject({
    customerId: z.string(),
    /** The latest card write; the customer's `updatedAt` is the later of this and the profile's. */
    updatedAt: z.optional(z.string()),
    mergedInto: z.nullish(z.string()),
    ...storedCardAttributes.shape,
  }),
  key: cardKey,
});

export type CardItem = z.output<typeof cardEntity.attributes>;
