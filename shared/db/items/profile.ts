import * as z from '../../schemas/zod.ts';
import type { InvoiceQueryState } from '../../domain/card.ts';
import type { AttachedIdentifier, ContactPreferences, IdentifierPermissions } from '../../domain/model.ts';
import { profileKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/**
 * The entity a profile takes while its customer is being erased: readers that ask for a `customer`
 * see nobody (get, lookup, merges, links answer 404), and the writes refuse it, so an erase cut
 * short leaves a customer that is gone, never half there, until a repeat of the erase finishes.
 */
export const erasingProfileEntity = 'erasingCustomer';

/**
 * A customer (`CUST#<customerId>` / `Z#PROFILE`): identity and what the customer told us. Its
 * recognition card is an item of its own beside it (`cardEntity`, items/card.ts).
 */
export const profileEntity = defineEntity({
  name: 'customer',
  attributes: z.looseObject({
    customerId: z.string(),
    createdAt: z.string(),
    updatedAt: z.optional(z.string()),
    /** By `identifierKey`: the identifiers attached to the customer. */
    identifiers: z.optional(z.record(z.string(), z.custom<AttachedIdentifier>(isRecord))),
    displayName: z.nullish(z.string()),
    traits: z.optional(z.record(z.string(), z.unknown())),
    preferences: z.nullish(z.custom<ContactPreferences>(isRecord)),
    identifierPermissions: z.optional(z.record(z.string(), z.custom<IdentifierPermissions>(isRecord))),
    /** The survivor, once merged away, and the merge that did it. */
    mergedInto: z.nullish(z.string()),
    mergedBy: z.nullish(z.string()),
    /** The merge or undo under way that holds this customer as its survivor. */
    identityLock: z.optional(z.string()),
  }),
  key: profileKey,
});

export type ProfileItem = z.output<typeof profileEntity.attributes>;

export function isInvoiceQuery(value: unknown): value is InvoiceQueryState {
  return isRecord(value) && typeof value.invoiceNumber === 'string' && typeof value.status === 'string';
}
