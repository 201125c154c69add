import { createHmac } from 'node:crypto';
import { type Identifier, identifierKey } from '../domain/identifiers.ts';
import type { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SuppressedIdentifierError } from '../domain/errors.ts';
import { suppressionConfig } from '../config/config.ts';
import { erasureReceiptKey, type Key, suppressionKey } from './keys.ts';

/**
 * The suppression list: identifiers of erased customers who asked not to be recorded again, kept
 * only as an HMAC-SHA256 (keyed, so a leaked table cannot be tested against a phone book).
 * Identifiers are hashed in their normalised form (`phone#+447...`), so any format of the same
 * number matches.
 */
export function suppressionHash(identifier: Identifier, secret = suppressionConfig().suppressionSecret): string {
  return createHmac('sha256', secret).update(identifierKey(identifier), 'utf8').digest('hex');
}

/**
 * The keyed hash an erase receipt is found by: the erased customer id under the same secret, in
 * its own namespace (`customer#`), so the receipt holds nothing a table reader could turn back
 * into the id, yet a repeat of the erase, which names the id, finds it.
 */
export function erasureReceiptKeyOf(customerId: string, secret = suppressionConfig().suppressionSecret): Key {
  return erasureReceiptKey(createHmac('sha256', secret).update(`customer#${customerId}`, 'utf8').digest('hex'));
}

export function suppressionKeyOf(identifier: Identifier): Key {
  return suppressionKey(suppressionHash(identifier));
}

export function isSuppressionHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

export function suppressionItem(identifier: Identifier, createdAt: string, createdBy: string): Record<string, unknown> {
  const hash = suppressionHash(identifier);
  return {
    ...suppressionKey(hash),
    entity: 'suppression',
    hash,
    // The type helps an operator see what is suppressed without revealing the value.
    identifierType: identifier.type,
    createdAt,
    createdBy,
  };
}

/** A transaction item that fails when the identifier is suppressed: a write that adds it refuses it atomically. */
export function notSuppressedCheck(tableName: string, identifier: Identifier) {
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: suppressionKeyOf(identifier),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    },
  };
}

/** Throws the domain's 409 when the transaction was cancelled by the `notSuppressedCheck` at `index`. */
export function throwIfSuppressed(error: TransactionCanceledException, index: number): void {
  if (error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed') throw new SuppressedIdentifierError();
}
