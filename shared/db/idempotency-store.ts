import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { config } from '../config/config.ts';
import type { IdempotencyRecord, IdempotencyRef } from '../domain/customer-store.ts';
import { IdempotencyConflictError } from '../domain/errors.ts';
import { documentClient } from './client.ts';
import { touchpointIdFor } from '../domain/ids.ts';
import { batchIdempotencyEntity } from './items/idempotency.ts';
import { discardedTouchpointEntity, touchpointLocatorEntity } from './items/touchpoint.ts';
import { touchpointLocatorKey } from './keys.ts';
import { call } from './store-errors.ts';

/** Idempotency records outlive any sensible client retry schedule, then expire. */
export const idempotencyRetentionSeconds = 30 * 24 * 60 * 60;

const reuseMessage = 'This Idempotency-Key was already used for a different request; use a new key for new content.';

/** A discarded touchpoint's receipt, under the locator key of the touchpoint id its Idempotency-Key stands for. */
function discardedReceipt(touchpointId: string, record: { requestFingerprint: string; result: object }, createdAt: string) {
  return discardedTouchpointEntity.item(discardedTouchpointEntity.key(touchpointId), {
    requestFingerprint: record.requestFingerprint,
    result: record.result,
    createdAt,
    expiresAt: Math.floor(Date.parse(createdAt) / 1000) + idempotencyRetentionSeconds,
  });
}

/** The idempotency record a key's locator (or a discarded touchpoint's receipt there) carries. */
export function idempotencyRecordOf(item: Record<string, unknown> | undefined): IdempotencyRecord | undefined {
  const record = touchpointLocatorEntity.is(item)
    ? touchpointLocatorEntity.parse(item)
    : discardedTouchpointEntity.is(item)
      ? discardedTouchpointEntity.parse(item)
      : undefined;
  if (record?.requestFingerprint === undefined || record.result === undefined) return undefined;
  // Ingest stored it from this very type (a discarded touchpoint's receipt is told apart by discardReasonOf).
  return {
    requestFingerprint: record.requestFingerprint,
    result: record.result as IdempotencyRecord['result'],
    ...('requestId' in record && record.requestId ? { requestId: record.requestId } : {}),
  };
}

/** Why a write-only client's touchpoint was not stored although it was answered as accepted. */
export type DiscardReason = 'identifier-suppressed' | 'unknown-customer' | 'invoice-queries-full';

const discardReasons: readonly string[] = ['identifier-suppressed', 'unknown-customer', 'invoice-queries-full'] satisfies DiscardReason[];

/** The reason kept in a replayed result, when the result is a discarded touchpoint's receipt. */
export function discardReasonOf(result: object): DiscardReason | undefined {
  const reason = (result as { discarded?: unknown }).discarded;
  return typeof reason === 'string' && discardReasons.includes(reason) ? (reason as DiscardReason) : undefined;
}

export interface IdempotencyStore {
  /**
   * Keeps the receipt of a discarded touchpoint under its idempotency key, so that a retry gets
   * the same touchpoint id and a reuse of the key for other content the same 409 as if it had
   * been stored. Holds no identifier and no customer: the digest of the request, the id, the reason.
   * Answers the touchpoint id: with a key, the one the key stands for (`touchpointIdFor`, whatever
   * `touchpointId` says), the receipt kept where a stored touchpoint's locator would be, so a key
   * answers one outcome; without one, `touchpointId`.
   *
   * A discard costs the one transaction a stored touchpoint costs, with or without a key (then a
   * condition check that writes nothing): its answer comes no sooner, so a write-only client
   * cannot time who is suppressed or which customer ids exist.
   */
  keepDiscarded(input: { ref?: IdempotencyRef; requestFingerprint: string; touchpointId: string; reason: DiscardReason; at: Date }): Promise<string>;
  /**
   * Binds a batch's Idempotency-Key to the batch's digest: passes for the first use and for a
   * replay of the same batch, throws IdempotencyConflictError for a different batch.
   */
  claimBatch(input: IdempotencyRef & { requestFingerprint: string; at: Date }): Promise<void>;
}

export function dynamoIdempotencyStore(client: DynamoDBDocumentClient, tableName: string): IdempotencyStore {
  /** Puts the item unless its key exists; then the item already there. */
  async function putFirst(item: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    try {
      await call(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return error.Item ? unmarshall(error.Item) : {};
      throw error;
    }
  }

  async function keepDiscarded(input: Parameters<IdempotencyStore['keepDiscarded']>[0]): Promise<string> {
    const touchpointId = input.ref ? touchpointIdFor(input.ref) : input.touchpointId;
    const result = { touchpointId, discarded: input.reason };
    const existing = input.ref
      ? await transactFirst(discardedReceipt(touchpointId, { requestFingerprint: input.requestFingerprint, result }, input.at.toISOString()))
      : await transactFirst(undefined, touchpointLocatorKey(touchpointId));
    if (!existing) return touchpointId;
    // Whatever holds the key and is not a record of this request's content (another request's, or a locator without a key) is a reuse.
    const record = idempotencyRecordOf(existing);
    const answered = record?.requestFingerprint === input.requestFingerprint ? record.result : undefined;
    if (!answered || !('touchpointId' in answered) || typeof answered.touchpointId !== 'string') throw new IdempotencyConflictError(reuseMessage);
    return answered.touchpointId;
  }

  /**
   * One transaction: puts the item unless its key exists (then answers the item there), or, with
   * no item, only checks that `absentKey` is absent, which writes nothing.
   */
  async function transactFirst(item: Record<string, unknown> | undefined, absentKey?: { pk: string; sk: string }) {
    const condition = { TableName: tableName, ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      await call(() =>
        client.send(
          new TransactWriteCommand({
            TransactItems: [
              item
                ? { Put: { ...condition, Item: item, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }
                : { ConditionCheck: { ...condition, Key: absentKey } },
            ],
          }),
        ),
      );
      return undefined;
    } catch (error) {
      const held = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
      if (held?.Code === 'ConditionalCheckFailed') return held.Item ? unmarshall(held.Item) : {};
      throw error;
    }
  }

  async function claimBatch(input: Parameters<IdempotencyStore['claimBatch']>[0]): Promise<void> {
    const createdAt = input.at.toISOString();
    const existing = await putFirst(
      batchIdempotencyEntity.item(batchIdempotencyEntity.key(input.scope, input.key), {
        requestFingerprint: input.requestFingerprint,
        createdAt,
        expiresAt: Math.floor(input.at.getTime() / 1000) + idempotencyRetentionSeconds,
      }),
    );
    if (existing && existing.requestFingerprint !== input.requestFingerprint) {
      throw new IdempotencyConflictError('This Idempotency-Key was already used for a different batch; use a new key for new content.');
    }
  }

  return { keepDiscarded, claimBatch };
}

let instance: IdempotencyStore | undefined;

/** The store the Lambdas (and the local server) use: built on first use, reused for the process. */
export function idempotencyStore(): IdempotencyStore {
  instance ??= dynamoIdempotencyStore(documentClient(), config().TABLE_NAME);
  return instance;
}
