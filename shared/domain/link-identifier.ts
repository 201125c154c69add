import { maxIdentifiersPerCustomer } from './bounds.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { type Identifier, identifierKey } from './identifiers.ts';
import type { IdentityStore } from './identity-store.ts';
import { persistently, whileIdentifierMoves } from './retry.ts';
import type { AttachedIdentifier } from './model.ts';
import { identityChange } from './identity-steps.ts';

/** Links an identifier to a customer; linking it again answers the link as first made. */
export async function linkIdentifier(
  store: IdentityStore,
  request: { customerId: string; identifier: Identifier; shared: boolean; actor: string },
  now: Date,
): Promise<AttachedIdentifier> {
  return identityChange(async () => {
    const attached: AttachedIdentifier = {
      ...request.identifier,
      provenance: { attachedAt: now.toISOString(), source: request.actor, rule: 'linked-by-staff' },
    };
    // Read again on each round: a link refused because the identifier changed hands (or the customer
    // was merged or erased) meanwhile decides again on what it is now.
    const outcome = await whileIdentifierMoves(async () => {
      const profile = await store.readProfile(request.customerId);
      if (!profile) throw new NotFoundError(`No customer has the id ${request.customerId}.`);
      if (profile.mergedInto) {
        throw new ConflictError(`Customer ${request.customerId} was merged into ${profile.mergedInto}; link to the survivor.`, {
          mergedInto: profile.mergedInto,
        });
      }
      const linkedAlready = profile.identifiers.some((identifier) => identifierKey(identifier) === identifierKey(request.identifier));
      if (!linkedAlready && profile.identifiers.length >= maxIdentifiersPerCustomer) {
        throw new ValidationError([
          { path: 'value', message: `the customer already has ${maxIdentifiersPerCustomer} identifiers, the most one can hold; unlink one first` },
        ]);
      }
      // A try whose answer was lost linked it: the next one finds it linked already.
      return store.linkIdentifier(request.customerId, attached, request.shared);
    });
    if (outcome.kind === 'owned-by-other') {
      throw new ConflictError(
        `This ${request.identifier.type} belongs to customer ${outcome.customerId}. Merge the customers, or link it with "shared": true if both really use it.`,
        { customerId: outcome.customerId },
      );
    }
    if (outcome.kind === 'already-linked') {
      const linked = await persistently(() => store.readProfile(request.customerId));
      const entry = linked?.identifiers.find((identifier) => identifierKey(identifier) === identifierKey(request.identifier));
      if (entry) return entry;
    }
    return attached;
  });
}

/**
 * Unlinks an identifier from a customer. Two unlinks of one identifier at once both answer done
 * (the loser finds it gone); posted again after it went through, 404 with nothing changed; for a
 * customer merged away, 409 naming the survivor, which holds its identifiers now.
 */
export async function unlinkIdentifier(store: IdentityStore, customerId: string, identifier: Identifier): Promise<void> {
  return identityChange(async () => {
    const profile = await persistently(() => store.readProfile(customerId));
    const unlinked = await whileIdentifierMoves(() => store.unlinkIdentifier(customerId, identifier));
    // A customer that no longer exists still lets go of an identifier whose item names it (a
    // leftover; no profile is written for it); else it has nothing to unlink.
    if (unlinked) return;
    if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
    // A customer merged away keeps its identifiers' entries for an undo, but they belong to the
    // survivor now: answering done here would leave the identifier recognising the survivor.
    if (profile.mergedInto) {
      throw new ConflictError(`Customer ${customerId} was merged into ${profile.mergedInto}; unlink from the survivor.`, { mergedInto: profile.mergedInto });
    }
    const held = profile.identifiers.some((entry) => identifierKey(entry) === identifierKey(identifier));
    // Not linked (any more): a try whose answer was lost, or an unlink at the same time, unlinked
    // what the profile listed when this began.
    if (held) return;
    // Posted again after it went through, it cannot tell that from a new request: the message says so.
    throw new NotFoundError(`Customer ${customerId} has no such ${identifier.type} (if an earlier try of this unlink answered 503, it went through).`);
  });
}
