import * as z from 'zod';
import type { InvoiceQueryState, LastContact, PageVisit } from '../../domain/card.ts';
import type { AttachedIdentifier, ContactPreferences, IdentifierPermissions } from '../../domain/model.ts';
import type { TierName } from '../../domain/value-tiers.ts';
import { profileKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/**
 * The entity a profile takes while its customer is being erased: readers that ask for a `customer`
 * see nobody (get, lookup, merges, links answer 404), and the writes refuse it, so an erase cut
 * short leaves a customer that is gone, never half there, until a repeat of the erase finishes.
 */
export const erasingProfileEntity = 'erasingCustomer';

const lastContact = z.custom<LastContact>(isRecord);

/**
 * A customer (`CUST#<customerId>` / `Z#PROFILE`): identity, the recognition card and what the
 * customer told us; GSI1 lists it under its value tier while it is live. Card attributes are
 * optional on read: a card written before one of them existed reads as the empty card's value.
 */
export const profileEntity = defineEntity({
  name: 'customer',
  attributes: z
    .object({
      customerId: z.string(),
      createdAt: z.string(),
      updatedAt: z.string().optional(),
      /** By `identifierKey`: the identifiers attached to the customer. */
      identifiers: z.record(z.string(), z.custom<AttachedIdentifier>(isRecord)).optional(),
      displayName: z.string().nullish(),
      traits: z.record(z.string(), z.unknown()).optional(),
      preferences: z.custom<ContactPreferences>(isRecord).nullish(),
      identifierPermissions: z.record(z.string(), z.custom<IdentifierPermissions>(isRecord)).optional(),
      /** The survivor, once merged away, and the merge that did it. */
      mergedInto: z.string().nullish(),
      mergedBy: z.string().nullish(),
      /** The merge or undo under way that holds this customer as its survivor. */
      identityLock: z.string().optional(),
      version: z.number().optional(),
      touchpointCount: z.number().optional(),
      countsByChannel: z.record(z.string(), z.number()).optional(),
      lastContact: lastContact.nullish(),
      lateContacts: z.array(lastContact).optional(),
      monetaryTotal: z.number().optional(),
      /** Checked query by query when read: a map an old bug spilled strings into still reads. */
      invoiceQueries: z.record(z.string(), z.unknown()).optional(),
      recentPages: z.array(z.custom<PageVisit>(isRecord)).optional(),
      /** As configured when it was written: a tier renamed since still reads instead of failing the read. */
      tier: z.custom<TierName>((value) => typeof value === 'string').optional(),
      tierRecency: z.number().optional(),
      tierWhenRecent: z.custom<TierName>((value) => typeof value === 'string').optional(),
      /** The tier index partition of `tierWhenRecent`, which the fast path copies into gsi1pk (an update cannot build a string). */
      gsi1pkWhenRecent: z.string().optional(),
      frequencyHeadroom: z.number().optional(),
      monetaryHeadroom: z.number().optional(),
    })
    .loose(),
  key: profileKey,
});

export type ProfileItem = z.output<typeof profileEntity.attributes>;

export function isInvoiceQuery(value: unknown): value is InvoiceQueryState {
  return isRecord(value) && typeof value.invoiceNumber === 'string' && typeof value.status === 'string';
}
