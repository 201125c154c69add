import { byStrength, type Identifier } from './identifiers.ts';

export interface ResolvedIdentifier extends Identifier {
  /** The customer it belongs to, if any. */
  customerId: string | undefined;
  /** Other customers it is shared with (a household landline, a family mailbox): it proves nothing alone. */
  sharedWith?: string[];
}

export type Recognition =
  | { kind: 'new-customer'; attach: Identifier[] }
  | {
      kind: 'known-customer';
      customerId: string;
      /** The identifier that decided the customer: the write checks it still belongs to them. */
      decidedBy?: Identifier;
      /** Identifiers nobody owns yet: they join this customer. */
      attach: Identifier[];
      /** Identifiers owned by other customers: recorded as conflicts for review (or merged, by policy). */
      contested: ResolvedIdentifier[];
    }
  | {
      /** Only shared identifiers matched: staff must decide; the touchpoint goes to the most recent candidate, flagged. */
      kind: 'ambiguous';
      candidates: string[];
      sharedIdentifiers: Identifier[];
    };

const isShared = (identifier: ResolvedIdentifier) => (identifier.sharedWith?.length ?? 0) > 0;

/**
 * Decides which customer a touchpoint belongs to from the owners of its identifiers.
 * `directCustomerId` is the customer named by a `customerId` identifier, the strongest of all.
 */
export function recognise(identifiers: ResolvedIdentifier[], directCustomerId?: string): Recognition {
  const unowned = identifiers.filter((identifier) => identifier.customerId === undefined);
  const owned = identifiers.filter((identifier) => identifier.customerId !== undefined && !isShared(identifier)).sort(byStrength);
  const shared = identifiers.filter(isShared);
  const decidedBy = directCustomerId ? undefined : owned[0];
  const customerId = directCustomerId ?? decidedBy?.customerId;
  if (customerId === undefined && shared.length > 0) {
    const candidates = [...new Set(shared.flatMap((identifier) => [identifier.customerId as string, ...(identifier.sharedWith ?? [])]))];
    return { kind: 'ambiguous', candidates, sharedIdentifiers: shared.map(withoutOwner) };
  }
  if (customerId === undefined) {
    return { kind: 'new-customer', attach: unowned.map(withoutOwner) };
  }
  return {
    kind: 'known-customer',
    customerId,
    ...(decidedBy ? { decidedBy: withoutOwner(decidedBy) } : {}),
    attach: unowned.map(withoutOwner),
    contested: owned.filter((identifier) => identifier.customerId !== customerId),
  };
}

function withoutOwner({ type, value }: ResolvedIdentifier): Identifier {
  return { type, value };
}
