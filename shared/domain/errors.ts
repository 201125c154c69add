import type { CardState } from './card.ts';

/** Errors the domain raises; the HTTP error boundary maps each class to a status, once. */
export abstract class DomainError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  /** Where in the request, e.g. `identifiers.phone` or `query.limit`. */
  path: string;
  message: string;
}

/** The request is well-formed but its content is not acceptable (422). */
export class ValidationError extends DomainError {
  constructor(
    readonly problems: FieldProblem[],
    message = 'The request has invalid fields.',
  ) {
    super(message);
  }
}

/**
 * A touchpoint names a customer id nobody has (422). Its own class because a write-only client is
 * not told: the answer would say which customer ids exist (see shared/http/ingest-request.ts).
 */
export class UnknownCustomerError extends ValidationError {
  constructor() {
    super([{ path: 'identifiers.customerId', message: 'no customer has this id' }]);
  }
}

export class NotFoundError extends DomainError {}

/** A paging cursor this API did not issue for this list and request: forged, damaged, or another's (400). */
export class InvalidCursorError extends DomainError {
  constructor(readonly reason: string) {
    super(`The cursor ${reason}. Start again without a cursor, or pass the nextCursor of the previous page unchanged.`);
  }
}

/** The request conflicts with the current state (409); `facts` say with what, e.g. the owning customer. */
export class ConflictError extends DomainError {
  constructor(
    message: string,
    readonly facts: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The same idempotency key was used before with a different request (409). */
export class IdempotencyConflictError extends DomainError {}

/**
 * DynamoDB throttled, timed out or failed (503). The message says what the caller may assume: by
 * default nothing was written; `outcomeUnknown` when a write was sent and its answer never came.
 */
export class StoreUnavailableError extends DomainError {
  constructor(message?: string, options?: ErrorOptions & { outcomeUnknown?: boolean }) {
    super(
      message ??
        (options?.outcomeUnknown
          ? 'The customer store did not answer; the write may have been recorded. Retry with the same Idempotency-Key (a retry without one may record it twice).'
          : 'The customer store is busy; nothing was written. Retry shortly with the same Idempotency-Key.'),
      options,
    );
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }

  readonly outcomeUnknown: boolean;
}

/** An identity change (merge, undo, move, link, unlink) gave way part-way; each step is idempotent. */
export const identityChangeUnavailable =
  'The customer store is busy; the change may be partly made. Post it again: it resumes where it stopped and answers the finished change.';

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
