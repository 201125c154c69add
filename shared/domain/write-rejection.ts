import type { CardState } from './card.ts';
import { DomainError } from './errors.ts';

export type WriteRejection =
  /** Another request attached one of the identifiers first. */
  | 'identifier-taken'
  /** Another request used the idempotency key first. */
  | 'idempotency-key-used'
  /** The customer was merged away or erased since it was read. */
  | 'customer-changed'
  /**
   * The card's guards failed (a late arrival, a tier boundary, a full page list, or a concurrent
   * exact write): `currentCard` holds the card as it is, to compute the exact update from.
   */
  | 'card-stale'
  /** A concurrent transaction touched the same items. */
  | 'contention'
  /** The customer was merged into another: `mergedInto` names the survivor to record on instead. */
  | 'customer-merged'
  /** Attaching the new identifiers would pass the customer's bound (bounds.ts): record without attaching them. */
  | 'identifiers-full'
  /** This touchpoint is stored already: an earlier try of the same ingest landed although its answer was lost. */
  | 'already-recorded'
  /** The customer no longer exists (erased): identifiers still naming it are nobody's. */
  | 'customer-gone'
  /** A touchpoint to move is no longer where it was read (moved by a try whose answer was lost, or by another move). */
  | 'touchpoint-moved';

/** The store refused an atomic write because the world changed since it was read; nothing was written. */
export class WriteRejectedError extends DomainError {
  constructor(
    readonly reason: WriteRejection,
    options?: ErrorOptions & { currentCard?: CardState; mergedInto?: string },
  ) {
    super(`Write rejected: ${reason}`, options);
    this.currentCard = options?.currentCard;
    this.mergedInto = options?.mergedInto;
  }

  readonly currentCard: CardState | undefined;
  readonly mergedInto: string | undefined;
}
