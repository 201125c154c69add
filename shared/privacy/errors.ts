import { DomainError } from '../domain/errors.ts';

/**
 * A touchpoint carries an identifier of a customer who was erased with `suppress=true` (409):
 * nothing is recorded until the suppression is lifted. Which identifier is not said: the caller
 * already knows what it sent, and the answer must not confirm more than that.
 */
export class SuppressedIdentifierError extends DomainError {
  constructor() {
    super(
      'An identifier of this touchpoint belongs to a customer who asked to be erased and not to be recorded again; nothing was stored.',
    );
  }
}
