import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { config } from '../config/config.ts';
import type { IdempotencyRef } from '../domain/customer-store.ts';
import { IdempotencyConflictError } from '../domain/errors.ts';
import { documentClient } from './client.ts';
import { batchIdempotencyEntity, idempotencyEntity } from './items/idempotency.ts';
import { touchpointLocatorKey } from './keys.ts';
import { call } from './store-errors.ts';

/** Idempotency records outlive any sensible client retry schedule, then expire. */
export const idempotencyRetentionSeconds = 30 * 24 * 60 * 60;

const reuseMessage = 'This Idempotency-Key was already used for a different request; use a new key for new content.';

/**
 * The one definition of an ingest's idempotency record: written with the touchpoint it answers
 * for (dynamo-customer-store), or alone for a touchpoint that was discarded (below).
 */
export function idempotencyItem(ref: IdempotencyRef, record: { requestFingerprint: string; result: object }, createdAt: string) {
  return idempotencyEntity.item(idempotencyEntity.key(ref.scope, ref.key), {
    requestFingerprint: record.requestFingerprint,
    result: record.result,
    createdAt,
    expiresAt: Math.floor(Date.parse(createdAt) / 1000) + idempotencyRetentionSeconds,
  });
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
   * Answers the touchpoint id the key stands for (an earlier receipt's or record's, if any).
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
    const result = { touchpointId: input.touchpointId, discarded: input.reason };
    const existing = input.ref
      ? await transactFirst(idempotencyItem(input.ref, { requestFingerprint: input.requestFingerprint, result }, input.at.toISOString()))
      : await transactFirst(undefined, touchpointLocatorKey(input.touchpointId));
    if (!existing) return input.touchpointId;
    // Whatever holds the key and is not this request's record (another request's, or the touchpoint's locator) is a reuse.
    const record = idempotencyEntity.attributes.safeParse(existing);
    const answered = record.success && record.data.requestFingerprint === input.requestFingerprint ? record.data.result : undefined;
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
