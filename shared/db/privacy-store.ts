import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '../domain/errors.ts';
import type { Identifier } from '../domain/identifiers.ts';
import {
  customerPartition,
  identifierItemKey,
  type Key,
  mergeCandidatesIndexPartition,
  mergeRecordKey,
  profileKey,
  suppressionKey,
} from './keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns, matches } from './page-cursor.ts';
import { batchGetItems } from './batch-get.ts';
import { queryAll } from './query-all.ts';
import { call } from './store-errors.ts';

type Item = Record<string, unknown>;

export interface PartitionPage {
  items: Item[];
  nextCursor: string | null;
}

/** What became of an identifier item when its customer was erased. */
export type Release = 'absent' | 'not-ours' | 'deleted' | 'released';

/**
 * The storage side of erase and export: generic over what a customer's partition holds (any sort
 * key), so that entities added later are erased and exported without a change here.
 */
export interface PrivacyStore {
  readProfile(customerId: string): Promise<Item | undefined>;
  /** One Query of the customer's partition, every kind of item, in sort-key order. */
  partitionPage(customerId: string, page: { limit: number; cursor?: string; newestFirst?: boolean }): Promise<PartitionPage>;
  /** The merge ids of the customer's merge/move pointers (`M#<mergeId>`). */
  mergePointers(customerId: string): Promise<string[]>;
  readMergeRecords(mergeIds: string[]): Promise<Item[]>;
  /** Keys of the merge candidates naming the customer: the GSI1 partition of candidates, filtered. */
  mergeCandidateKeysNaming(customerId: string): Promise<Key[]>;
  readIdentifier(identifier: Identifier): Promise<Item | undefined>;
  /**
   * Lets go of an identifier of the erased customer: deleted if it is the only owner; handed to the
   * next customer it is shared with; or the customer taken out of its `sharedWith`. Conditional on
   * the item as read, so a concurrent change is never overwritten.
   */
  releaseIdentifier(identifier: Identifier, customerId: string, item: Item): Promise<Release>;
  /** Deletes by key with BatchWriteItem (25 a call), retrying unprocessed keys with backoff. */
  deleteKeys(keys: Key[]): Promise<number>;
  putSuppressions(items: Item[]): Promise<void>;
  deleteSuppression(hash: string): Promise<boolean>;
}

const maxBatchAttempts = 8;
const parallelBatches = 4;

export function dynamoPrivacyStore(client: DynamoDBDocumentClient, tableName: string): PrivacyStore {
  async function readProfile(customerId: string): Promise<Item | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: profileKey(customerId), ConsistentRead: true })));
    return output.Item;
  }

  async function partitionPage(customerId: string, page: { limit: number; cursor?: string; newestFirst?: boolean }): Promise<PartitionPage> {
    const partition = customerPartition(customerId);
    const binding: CursorBinding = { list: 'export', scope: { customerId } };
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partition },
          ScanIndexForward: !page.newestFirst,
          Limit: page.limit,
          ConsistentRead: true,
          ...(page.cursor
            ? { ExclusiveStartKey: decodePageCursor(page.cursor, binding, { pk: equals(partition), sk: matches(keyPatterns.partitionSortKey) }) }
            : {}),
        }),
      ),
    );
    return { items: output.Items ?? [], nextCursor: encodePageCursor(binding, output.LastEvaluatedKey) };
  }

  async function mergePointers(customerId: string): Promise<string[]> {
    const pointers = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pointer)',
      ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':pointer': 'M#' },
      ConsistentRead: true,
    });
    return pointers.map((item) => (item.sk as string).slice(2));
  }

  async function readMergeRecords(mergeIds: string[]): Promise<Item[]> {
    const records: Item[] = [];
    for (let start = 0; start < mergeIds.length; start += 100) {
      records.push(...(await batchGetItems(client, tableName, mergeIds.slice(start, start + 100).map(mergeRecordKey))));
    }
    return records;
  }

  async function mergeCandidateKeysNaming(customerId: string): Promise<Key[]> {
    const candidates = await queryAll(client, {
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :partition',
      FilterExpression: 'contains(customerIds, :customerId)',
      ExpressionAttributeValues: { ':partition': mergeCandidatesIndexPartition, ':customerId': customerId },
    });
    return candidates.map((item) => ({ pk: item.pk as string, sk: item.sk as string }));
  }

  async function readIdentifier(identifier: Identifier): Promise<Item | undefined> {
    const output = await call(() =>
      client.send(new GetCommand({ TableName: tableName, Key: identifierItemKey(identifier), ConsistentRead: true })),
    );
    return output.Item;
  }

  async function releaseIdentifier(identifier: Identifier, customerId: string, item: Item): Promise<Release> {
    const sharedWith = Array.isArray(item.sharedWith) ? (item.sharedWith as string[]) : [];
    const owned = item.customerId === customerId;
    if (!owned && !sharedWith.includes(customerId)) return 'not-ours';
    const remaining = sharedWith.filter((other) => other !== customerId);
    const guard = {
      ConditionExpression: 'customerId = :owner AND (attribute_not_exists(sharedWith) OR sharedWith = :sharedBefore)',
      ExpressionAttributeValues: { ':owner': item.customerId, ':sharedBefore': sharedWith },
    };
    try {
      if (owned && remaining.length === 0) {
        await call(() => client.send(new DeleteCommand({ TableName: tableName, Key: identifierItemKey(identifier), ...guard })));
        return 'deleted';
      }
      const [nextOwner, ...rest] = owned ? remaining : [item.customerId as string, ...remaining];
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: identifierItemKey(identifier),
            // The provenance named the erased customer's touchpoint: it goes with them.
            UpdateExpression: `SET customerId = :next, sharedWith = :rest, shared = :shared${owned ? ' REMOVE touchpointId' : ''}`,
            ConditionExpression: guard.ConditionExpression,
            ExpressionAttributeValues: { ...guard.ExpressionAttributeValues, ':next': nextOwner, ':rest': rest, ':shared': rest.length > 0 },
          }),
        ),
      );
      return 'released';
    } catch (error) {
      // Changed since it was read: the caller reads it again.
      if (error instanceof ConditionalCheckFailedException) throw new StoreUnavailableError(undefined, { cause: error });
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

  async function deleteSuppression(hash: string): Promise<boolean> {
    const output = await call(() =>
      client.send(new DeleteCommand({ TableName: tableName, Key: suppressionKey(hash), ReturnValues: 'ALL_OLD' })),
    );
    return output.Attributes !== undefined;
  }

  return {
    readProfile,
    partitionPage,
    mergePointers,
    readMergeRecords,
    mergeCandidateKeysNaming,
    readIdentifier,
    releaseIdentifier,
    deleteKeys,
    putSuppressions,
    deleteSuppression,
  };
}

function backOff(attempt: number): Promise<void> {
  const ceilingMs = Math.min(1_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ceilingMs / 2 + Math.random() * (ceilingMs / 2)));
}
