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

/**
 * A request refused because the customer is at one of its bounds (bounds.ts; 422). Its own class
 * because the refusal depends on what is stored, not on the request: a write-only client is not
 * told (it would learn that the customer exists and how full it is; see shared/http/ingest-request.ts).
 */
export class BoundReachedError extends ValidationError {}

/**
 * A touchpoint carries an identifier of a customer who was erased with `suppress=true` (409):
 * nothing is recorded until the suppression is lifted. Which identifier is not said: the caller
 * already knows what it sent, and the answer must not confirm more than that.
 */
export class SuppressedIdentifierError extends DomainError {
  constructor() {
    super('An identifier of this touchpoint belongs to a customer who asked to be erased and not to be recorded again; nothing was stored.');
  }
}
