import { byStrength, type Identifier } from './identifiers.ts';

export interface ResolvedIdentifier extends Identifier {
  /** The customer it belongs to, if any. */
  customerId: string | undefined;
}

export type Recognition =
  | { kind: 'new-customer'; attach: Identifier[] }
  | {
      kind: 'known-customer';
      customerId: string;
      /** Identifiers nobody owns yet: they join this customer. */
      attach: Identifier[];
      /** Identifiers owned by other customers: recorded as conflicts for review, never moved. */
      contested: ResolvedIdentifier[];
    };

/**
 * Decides which customer a touchpoint belongs to from the owners of its identifiers.
 * `directCustomerId` is the customer named by a `customerId` identifier, the strongest of all.
 */
export function recognise(identifiers: ResolvedIdentifier[], directCustomerId?: string): Recognition {
  const unowned = identifiers.filter((identifier) => identifier.customerId === undefined);
  const owned = identifiers.filter((identifier) => identifier.customerId !== undefined).sort(byStrength);
  const customerId = directCustomerId ?? owned[0]?.customerId;
  if (customerId === undefined) {
    return { kind: 'new-customer', attach: unowned.map(withoutOwner) };
  }
  return {
    kind: 'known-customer',
    customerId,
    attach: unowned.map(withoutOwner),
    contested: owned.filter((identifier) => identifier.customerId !== customerId),
  };
}

function withoutOwner({ type, value }: ResolvedIdentifier): Identifier {
  return { type, value };
}
