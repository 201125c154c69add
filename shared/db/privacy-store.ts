import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidCursorError, StoreUnavailableError } from '../domain/errors.ts';
import { type Identifier, identifierKey } from '../domain/identifiers.ts';
import {
  customerPartition,
  identifierItemKey,
  type Key,
  mergeAuditRange,
  mergeIdOfAuditSortKey,
  partitionEndSortKey,
  mergeRecordKey,
  profileKey,
  suppressionKey,
  touchpointKey,
  touchpointLocatorKey,
} from './keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns } from './page-cursor.ts';
import { batchGetItems } from './batch-get.ts';
import { erasingProfileEntity } from './profile-item.ts';
import { queryAll } from './query-all.ts';
import { call } from './store-errors.ts';
import { erasureReceiptKeyOf } from './suppression.ts';

type Item = Record<string, unknown>;

/**
 * Export pages through every partition of a person: each cursor names the partition it continues
 * and the survivor the export began under, so that a merge between two pages (a new survivor, the
 * touchpoints moved) makes the cursor a clear 400 to start again, never a silently short export.
 */
const partitionCursorBinding = (customerId: string, person: string): CursorBinding => ({ list: 'export', scope: { customerId, person } });

/** A position in a customer's partition: after any of its sort keys, or at its very end (where a partition's pages begin, newest first). */
const partitionKeyShape = (customerId: string) => ({
  pk: equals(customerPartition(customerId)),
  sk: (sk: string) => sk === partitionEndSortKey || keyPatterns.partitionSortKey.test(sk),
});

export interface PartitionPage {
  items: Item[];
  /** The key to continue after, as an opaque cursor; null at the partition's end. */
  nextCursor: string | null;
}

/**
 * What an erase answered, kept for its repeats (a client whose answer was lost must still learn
 * the suppression hashes it needs to lift one): counts and keyed hashes only, no customer id and
 * no identifier value.
 */
export interface ErasureReceipt {
  erasedAt: string;
  itemsDeleted: number;
  itemsRedacted: number;
  identifiersReleased: number;
  suppressions: Array<{ type: string; hash: string }>;
}

/** How long an erase's receipt answers its repeats: long past any client's retries, then DynamoDB's TTL takes it. */
export const erasureReceiptRetentionDays = 30;

/** What became of an identifier item when its customer was erased. */
export type Release = 'not-ours' | 'deleted' | 'released';

/** The outcome of marking a profile for erasure. */
export type EraseMark = 'marked' | 'already-erasing' | 'locked' | 'changed';

/**
 * The storage side of erase and export: generic over what a customer's partition holds (any sort
 * key), so that entities added later are erased and exported without a change here. Every
 * expression names its attributes through ExpressionAttributeNames (`shared` and `status` are
 * DynamoDB reserved words; test/integration/expression-names.test.ts keeps it so).
 */
export interface PrivacyStore {
  /** The profile item as stored, whatever its state (live, merged away, under erasure). */
  readProfile(customerId: string): Promise<Item | undefined>;
  /**
   * Marks the profile for erasure: from then on readers see nobody and writers refuse it. Only a
   * live, unlocked customer is marked; a merge or undo under way holds the identity lock.
   */
  markErasing(customerId: string, startedAt: string): Promise<EraseMark>;
  /**
   * One Query of the customer's partition, every kind of item, in sort-key order. `cursor` is a
   * cursor this store issued for any of `partitionsOf` (export pages across a person's partitions).
   */
  partitionPage(
    customerId: string,
    /** `person`: the survivor an export pages under (its cursors are bound to it); the partition's own customer by default. */
    page: { limit: number; cursor?: string; newestFirst?: boolean; person?: string },
  ): Promise<PartitionPage>;
  /** Where a cursor issued by `partitionPage` continues, if it is one for one of these customers. */
  cursorCustomer(cursor: string, customerIds: readonly string[], person: string): string;
  /** A cursor that starts the customer's partition from its newest item. */
  partitionStartCursor(customerId: string, person: string): string;
  /** The merge ids of the customer's merge/move pointers (`M#<mergeId>`). */
  mergePointers(customerId: string): Promise<string[]>;
  readMergeRecords(mergeIds: string[]): Promise<Item[]>;
  readIdentifier(identifier: Identifier): Promise<Item | undefined>;
  /**
   * Lets go of an identifier the erased customers (`members`) hold: deleted if nobody else holds
   * it; else handed to the first other customer it is shared with, or the members taken out of
   * its `sharedWith`. Conditional on the item as read: a concurrent change is never overwritten.
   */
  releaseIdentifier(identifier: Identifier, members: ReadonlySet<string>, item: Item): Promise<Release>;
  /** A touchpoint by its locator, wherever it lives now. */
  readTouchpoint(touchpointId: string): Promise<Item | undefined>;
  readItem(key: Key): Promise<Item | undefined>;
  /** Writes a redacted version of an item that still exists; false if it vanished meanwhile (moved, deleted). */
  replaceExisting(item: Item): Promise<boolean>;
  /**
   * Rewrites the answer a touchpoint's locator keeps for its Idempotency-Key, and nothing else of
   * it (a move may be re-pointing the locator at the same time): false when it is gone.
   */
  rewriteLocatorAnswer(touchpointId: string, result: Item): Promise<boolean>;
  /**
   * Rewrites attributes of another customer's profile (its card quoting a redacted touchpoint),
   * guarded by the card version read: false when a card write came first (read it again).
   */
  rewriteProfileAttributes(customerId: string, attributes: Item, expectedVersion: unknown): Promise<boolean>;
  /** Deletes by key with BatchWriteItem (25 a call), retrying unprocessed keys with backoff. */
  deleteKeys(keys: Key[]): Promise<number>;
  putSuppressions(items: Item[]): Promise<void>;
  /** The receipt of an erase, under each erased customer id's keyed hash (written again by a repeat). */
  putErasureReceipts(customerIds: readonly string[], receipt: ErasureReceipt): Promise<void>;
  /** The receipt of the erase that took this customer id, while it is kept. */
  readErasureReceipt(customerId: string): Promise<ErasureReceipt | undefined>;
  /** Idempotent: afterwards no suppression has this hash, whether or not one had. */
  deleteSuppression(hash: string): Promise<void>;
}

const maxBatchAttempts = 8;
const parallelBatches = 4;

export function dynamoPrivacyStore(client: DynamoDBDocumentClient, tableName: string): PrivacyStore {
  async function readItem(key: Key): Promise<Item | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
    return output.Item;
  }

  async function markErasing(customerId: string, startedAt: string): Promise<EraseMark> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey(customerId),
            // The identity lock keeps merges and undos off it; leaving gsi1 takes it off the tier lists.
            UpdateExpression: 'SET #entity = :erasing, #identityLock = :erase, #erasingSince = :startedAt REMOVE #gsi1pk, #gsi1sk',
            ConditionExpression: '#entity = :customer AND attribute_not_exists(#mergedInto) AND attribute_not_exists(#identityLock)',
            ExpressionAttributeNames: {
              '#entity': 'entity',
              '#identityLock': 'identityLock',
              '#erasingSince': 'erasingSince',
              '#gsi1pk': 'gsi1pk',
              '#gsi1sk': 'gsi1sk',
              '#mergedInto': 'mergedInto',
            },
            ExpressionAttributeValues: { ':erasing': erasingProfileEntity, ':erase': 'erase', ':startedAt': startedAt, ':customer': 'customer' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return 'marked';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const now = error.Item;
      if (now?.entity?.S === erasingProfileEntity) return 'already-erasing';
      if (now?.entity?.S === 'customer' && now.identityLock !== undefined && now.mergedInto === undefined) return 'locked';
      return 'changed';
    }
  }

  async function partitionPage(customerId: string, page: { limit: number; cursor?: string; newestFirst?: boolean; person?: string }): Promise<PartitionPage> {
    const partition = customerPartition(customerId);
    const binding = partitionCursorBinding(customerId, page.person ?? customerId);
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': partition },
          ScanIndexForward: !page.newestFirst,
          Limit: page.limit,
          ConsistentRead: true,
          ...(page.cursor ? { ExclusiveStartKey: decodePageCursor(page.cursor, binding, partitionKeyShape(customerId)) } : {}),
        }),
      ),
    );
    return { items: output.Items ?? [], nextCursor: encodePageCursor(binding, output.LastEvaluatedKey) };
  }

  function cursorCustomer(cursor: string, customerIds: readonly string[], person: string): string {
    for (const customerId of customerIds) {
      try {
        decodePageCursor(cursor, partitionCursorBinding(customerId, person), partitionKeyShape(customerId));
        return customerId;
      } catch (error) {
        if (!(error instanceof InvalidCursorError)) throw error;
      }
    }
    throw new InvalidCursorError('was issued for another customer');
  }

  function partitionStartCursor(customerId: string, person: string): string {
    return encodePageCursor(partitionCursorBinding(customerId, person), { pk: customerPartition(customerId), sk: partitionEndSortKey }) as string;
  }

  async function mergePointers(customerId: string): Promise<string[]> {
    const pointers = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lower AND :upper',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':lower': mergeAuditRange.lower, ':upper': mergeAuditRange.upper },
      ConsistentRead: true,
    });
    return pointers.map((item) => mergeIdOfAuditSortKey(item.sk as string));
  }

  async function readMergeRecords(mergeIds: string[]): Promise<Item[]> {
    const records: Item[] = [];
    for (let start = 0; start < mergeIds.length; start += 100) {
      records.push(...(await batchGetItems(client, tableName, mergeIds.slice(start, start + 100).map(mergeRecordKey))));
    }
    return records;
  }

  async function releaseIdentifier(identifier: Identifier, members: ReadonlySet<string>, item: Item): Promise<Release> {
    const sharedWith = Array.isArray(item.sharedWith) ? (item.sharedWith as string[]) : [];
    const owner = item.customerId as string;
    const owned = members.has(owner);
    if (!owned && !sharedWith.some((customerId) => members.has(customerId))) return 'not-ours';
    const others = sharedWith.filter((customerId) => !members.has(customerId));
    const names = { '#customerId': 'customerId', '#sharedWith': 'sharedWith' };
    const guard = {
      ConditionExpression: '#customerId = :owner AND (attribute_not_exists(#sharedWith) OR #sharedWith = :sharedBefore)',
      ExpressionAttributeValues: { ':owner': owner, ':sharedBefore': sharedWith },
    };
    try {
      if (owned && others.length === 0) {
        await call(() =>
          client.send(new DeleteCommand({ TableName: tableName, Key: identifierItemKey(identifier), ...guard, ExpressionAttributeNames: names })),
        );
        return 'deleted';
      }
      const [nextOwner, ...rest] = (owned ? others : [owner, ...others]) as [string, ...string[]];
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: identifierItemKey(identifier),
            // The provenance named an erased customer's touchpoint: it goes with them.
            UpdateExpression: `SET #customerId = :next, #sharedWith = :rest, #shared = :shared${owned ? ' REMOVE #touchpointId' : ''}`,
            ConditionExpression: guard.ConditionExpression,
            ExpressionAttributeNames: { ...names, '#shared': 'shared', ...(owned ? { '#touchpointId': 'touchpointId' } : {}) },
            ExpressionAttributeValues: { ...guard.ExpressionAttributeValues, ':next': nextOwner, ':rest': rest, ':shared': rest.length > 0 },
          }),
        ),
      );
      if (rest.length === 0) await markUnshared(nextOwner, identifier);
      return 'released';
    } catch (error) {
      // Changed since it was read: a repeat of the erase reads it again.
      if (error instanceof ConditionalCheckFailedException)
        throw new StoreUnavailableError('An identifier changed hands during the erase; repeat the request to finish it.', { cause: error });
      throw error;
    }
  }

  /** The one customer left holding a once-shared identifier no longer shares it (as an unlink leaves it). */
  async function markUnshared(customerId: string, identifier: Identifier): Promise<void> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey(customerId),
            UpdateExpression: 'SET #identifiers.#key.#shared = :false',
            ConditionExpression: 'attribute_exists(#identifiers.#key)',
            ExpressionAttributeNames: { '#identifiers': 'identifiers', '#key': identifierKey(identifier), '#shared': 'shared' },
            ExpressionAttributeValues: { ':false': false },
          }),
        ),
      );
    } catch (error) {
      // The profile does not list it: nothing to mark.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async function readTouchpoint(touchpointId: string): Promise<Item | undefined> {
    const locator = await readItem(touchpointLocatorKey(touchpointId));
    if (typeof locator?.customerId !== 'string' || typeof locator.occurredAt !== 'string') return undefined;
    return readItem(touchpointKey(locator.customerId, locator.occurredAt, touchpointId));
  }

  async function replaceExisting(item: Item): Promise<boolean> {
    try {
      await call(() =>
        client.send(
          new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function rewriteLocatorAnswer(touchpointId: string, result: Item): Promise<boolean> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: touchpointLocatorKey(touchpointId),
            UpdateExpression: 'SET #result = :result',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk', '#result': 'result' },
            ExpressionAttributeValues: { ':result': result },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function rewriteProfileAttributes(customerId: string, attributes: Item, expectedVersion: unknown): Promise<boolean> {
    const entries = Object.entries(attributes);
    if (entries.length === 0) return true;
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey(customerId),
            UpdateExpression: `SET ${entries.map((_, index) => `#a${index} = :a${index}`).join(', ')}`,
            ConditionExpression: '#entity = :customer AND #version = :version',
            ExpressionAttributeNames: {
              '#entity': 'entity',
              '#version': 'version',
              ...Object.fromEntries(entries.map(([name], index) => [`#a${index}`, name])),
            },
            ExpressionAttributeValues: {
              ':customer': 'customer',
              ':version': expectedVersion,
              ...Object.fromEntries(entries.map(([, value], index) => [`:a${index}`, value])),
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function deleteKeys(keys: Key[]): Promise<number> {
    const unique = [...new Map(keys.map((key) => [`${key.pk}\u0000${key.sk}`, key])).values()];
    const chunks: Key[][] = [];
    for (let start = 0; start < unique.length; start += 25) chunks.push(unique.slice(start, start + 25));
    for (let start = 0; start < chunks.length; start += parallelBatches) {
      await Promise.all(chunks.slice(start, start + parallelBatches).map(deleteChunk));
    }
    return unique.length;
  }

  async function deleteChunk(chunk: Key[]): Promise<void> {
    let pending = chunk.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      // Unprocessed items come back under throttling: wait, then send only those again.
      if (attempt > maxBatchAttempts) throw new StoreUnavailableError('The erase was interrupted by throttling; repeat the request to finish it.');
      if (attempt > 1) await backOff(attempt);
      const output = await call(() => client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } })));
      pending = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  }

  async function putSuppressions(items: Item[]): Promise<void> {
    await Promise.all(items.map((item) => call(() => client.send(new PutCommand({ TableName: tableName, Item: item })))));
  }

  async function putErasureReceipts(customerIds: readonly string[], receipt: ErasureReceipt): Promise<void> {
    const expiresAt = Math.floor(Date.parse(receipt.erasedAt) / 1000) + erasureReceiptRetentionDays * 24 * 60 * 60;
    await Promise.all(
      customerIds.map((customerId) =>
        call(() =>
          client.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...erasureReceiptKeyOf(customerId),
                entity: 'erasureReceipt',
                ...receipt,
                suppressions: receipt.suppressions.map(({ type, hash }) => ({ type, hash })),
                expiresAt,
              },
            }),
          ),
        ),
      ),
    );
  }

  async function readErasureReceipt(customerId: string): Promise<ErasureReceipt | undefined> {
    const item = await readItem(erasureReceiptKeyOf(customerId));
    // DynamoDB's TTL deletes within days of the expiry, not at it: an expired receipt is gone already.
    if (!item || (typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= Date.now())) return undefined;
    return {
      erasedAt: item.erasedAt as string,
      itemsDeleted: item.itemsDeleted as number,
      itemsRedacted: item.itemsRedacted as number,
      identifiersReleased: item.identifiersReleased as number,
      suppressions: (item.suppressions as ErasureReceipt['suppressions'] | undefined) ?? [],
    };
  }

  async function deleteSuppression(hash: string): Promise<void> {
    await call(() => client.send(new DeleteCommand({ TableName: tableName, Key: suppressionKey(hash) })));
  }

  return {
    readProfile: (customerId) => readItem(profileKey(customerId)),
    markErasing,
    partitionPage,
    cursorCustomer,
    partitionStartCursor,
    mergePointers,
    readMergeRecords,
    readIdentifier: (identifier) => readItem(identifierItemKey(identifier)),
    releaseIdentifier,
    readTouchpoint,
    readItem,
    replaceExisting,
    rewriteLocatorAnswer,
    rewriteProfileAttributes,
    deleteKeys,
    putSuppressions,
    putErasureReceipts,
    readErasureReceipt,
    deleteSuppression,
  };
}

function backOff(attempt: number): Promise<void> {
  const ceilingMs = Math.min(1_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ceilingMs / 2 + Math.random() * (ceilingMs / 2)));
}
