import { ConflictError, SuppressedIdentifierError, ValidationError } from './errors.ts';
import { type Identifier, identifierTypesByStrength } from './identifiers.ts';
import type { IdentityStore } from './identity-store.ts';
import { linkIdentifier } from './link-identifier.ts';
import { mergeCustomers } from './merge-customers.ts';
import { profileKind } from './merge-policy.ts';

/**
 * A site telling us who an anonymous visitor is (a Segment `identify` with an anonymousId and a
 * userId or email) without any contact of theirs to record. It joins the two as the ingest does
 * for a touchpoint carrying both, by the same merge policy: the visitor's anonymous profile merges
 * into the known customer, or an anonymousId nobody holds yet is linked to that customer. Nothing
 * else changes: no touchpoint (the customer made none), no customer created for ids nobody knows
 * (their next page call creates it with all of them), never two known customers merged.
 */
export type JoinOutcome =
  | 'linked'
  | 'merged'
  | 'already-joined'
  /** Nobody is known by the userId or email (or several share them): nothing to join to. */
  | 'no-known-customer'
  /** The anonymousId belongs to another known customer (a shared browser): a person decides, not an identify. */
  | 'held-by-known-customer'
  /** The anonymousId is an erased person's, or the customer holds all the identifiers it may. */
  | 'refused';

export interface JoinRequest {
  anonymousId: string;
  /** The userId (as an externalId) and email the identify names. */
  known: Identifier[];
  /** Who asked, for the merge record and the link's provenance (`segment`). */
  source: string;
}

/** Tries when the anonymousId changes hands between reading its owner and linking it. */
const attempts = 2;

export async function joinAnonymousVisitor(store: IdentityStore, request: JoinRequest, now: Date): Promise<JoinOutcome> {
  const anonymous: Identifier = { type: 'anonymousId', value: request.anonymousId };
  const customerId = await knownCustomer(store, request.known);
  if (!customerId) return 'no-known-customer';
  for (let attempt = 1; ; attempt += 1) {
    const owner = await store.findIdentifierOwner(anonymous);
    if (owner?.customerId === customerId) return 'already-joined';
    if (owner) {
      const profile = await store.readProfile(owner.customerId);
      if (profile?.mergedInto === customerId) return 'already-joined';
      if (!profile || profile.mergedInto || owner.sharedWith.length > 0 || profileKind(profile) !== 'anonymous') return 'held-by-known-customer';
      await mergeCustomers(
        store,
        {
          targetCustomerId: customerId,
          sourceCustomerId: owner.customerId,
          reason: `automatic: ${request.source} identify named the anonymous visitor`,
          actor: `automatic:${request.source}`,
        },
        now,
      );
      return 'merged';
    }
    try {
      await linkIdentifier(store, { customerId, identifier: anonymous, shared: false, actor: request.source }, now);
      return 'linked';
    } catch (error) {
      if (error instanceof SuppressedIdentifierError || error instanceof ValidationError) return 'refused';
      // Claimed by someone else meanwhile (the visitor's first page view, say): decide again on its owner.
      if (error instanceof ConflictError && attempt < attempts) continue;
      throw error;
    }
  }
}

/** The one live customer the strongest of the identifiers names, following a merge to its survivor. */
async function knownCustomer(store: IdentityStore, identifiers: Identifier[]): Promise<string | undefined> {
  const byStrength = [...identifiers].sort((a, b) => identifierTypesByStrength.indexOf(a.type) - identifierTypesByStrength.indexOf(b.type));
  for (const identifier of byStrength) {
    const owner = await store.findIdentifierOwner(identifier);
    if (!owner) continue;
    if (owner.sharedWith.length > 0) return undefined;
    const profile = await store.readProfile(owner.customerId);
    if (!profile) continue;
    if (!profile.mergedInto) return profile.customerId;
    const survivor = await store.readProfile(profile.mergedInto);
    return survivor && !survivor.mergedInto ? survivor.customerId : undefined;
  }
  return undefined;
}
