import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { IdentityStore, StoredTouchpoint } from '../../domain/identity-store.ts';
import { WriteRejectedError } from '../../domain/write-rejection.ts';
import { touchpointOf } from '../dynamo-customer-store.ts';
import { mentionEntity } from '../items/cross-reference.ts';
import { touchpointEntity, touchpointLocatorEntity } from '../items/touchpoint.ts';
import { notErasedCheck } from '../cross-references.ts';
import { customerPartition, mentionPrefix, touchpointIdOfMentionSortKey, touchpointKey, touchpointLocatorKey } from '../keys.ts';
import { itemUpdates, profileReplacement } from '../profile-item.ts';
import { queryAll } from '../query-all.ts';
import { call } from '../store-errors.ts';
import { updateExpression } from '../update-expression.ts';
import { auditPointers, mergeRecordPut } from './merge-records.ts';
import { type IdentityTable, type TransactItem, transact } from './table.ts';

type Item = Record<string, unknown>;

/** Three writes move one touchpoint (put, delete, locator); 25 of them stay under the 100-item transaction limit. */
const touchpointsPerTransaction = 25;

export type TouchpointMoves = Pick<
  IdentityStore,
  'listTouchpoints' | 'moveTouchpoints' | 'mentionTouchpoints' | 'listMentions' | 'readAnsweredCustomer' | 'readTouchpoint' | 'moveTouchpoint'
>;

/** Touchpoints carried between customers' partitions: by a merge or its undo (in bulk), or one by staff. */
export function moveStore(table: IdentityTable): TouchpointMoves {
  const { client, tableName } = table;

  async function listTouchpoints(customerId: string): Promise<StoredTouchpoint[]> {
    const items = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :timeline)',
      ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':timeline': 'T#' },
      ConsistentRead: true,
    });
    return items.map(toStoredTouchpoint);
  }

  /**
   * The writes that move one touchpoint: the whole stored item (retention expiry, idempotency
   * reference and all) re-inserted under the new customer, the old one deleted, the locator updated.
   * A staff move settles an ambiguous touchpoint; a merge keeps its flag.
   */
  function moveItems(touchpoint: StoredTouchpoint, to: string, movedBy: string[], settlesAmbiguity = false): TransactItem[] {
    const { ambiguity, ...rest } = touchpoint.stored;
    // `relocatedAt` tells a re-insert from a new touchpoint (events are published for new ones only),
    // also after an undo has emptied the `movedBy` stack.
    const moved = {
      ...rest,
      ...(settlesAmbiguity || ambiguity === undefined ? {} : { ambiguity }),
      customerId: to,
      movedBy,
      relocatedAt: new Date().toISOString(),
    };
    return [
      {
        Put: {
          TableName: tableName,
          Item: { ...moved, ...touchpointKey(to, touchpoint.occurredAt, touchpoint.touchpointId) },
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: touchpointKey(touchpoint.customerId, touchpoint.occurredAt, touchpoint.touchpointId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Update: {
          TableName: tableName,
          Key: touchpointLocatorKey(touchpoint.touchpointId),
          ...updateExpression().set('customerId', to).build(),
        },
      },
    ];
  }

  async function moveTouchpoints(moves: Array<{ touchpoint: StoredTouchpoint; to: string; movedBy: string[] }>): Promise<void> {
    for (let start = 0; start < moves.length; start += touchpointsPerTransaction) {
      const chunk = moves.slice(start, start + touchpointsPerTransaction);
      try {
        await transact(
          table,
          chunk.flatMap(({ touchpoint, to, movedBy }) => moveItems(touchpoint, to, movedBy)),
        );
      } catch (error) {
        // Only a touchpoint's delete is guarded: one of them is no longer where it was read.
        if (error instanceof TransactionCanceledException) throw new WriteRejectedError('touchpoint-moved', { cause: error });
        throw error;
      }
    }
  }

  /** Each chunk's pointers with a check that the customer is a customer not under erasure: never a pointer left in an erased partition. */
  async function mentionTouchpoints(customerId: string, touchpointIds: string[]): Promise<void> {
    const pointersPerTransaction = 99;
    // One write per item in a transaction: a touchpoint named twice is one pointer.
    const unique = [...new Set(touchpointIds)];
    for (let start = 0; start < unique.length; start += pointersPerTransaction) {
      const pointers = unique.slice(start, start + pointersPerTransaction).map((touchpointId) => ({
        Put: { TableName: tableName, Item: mentionEntity.item(mentionEntity.key(customerId, touchpointId), { touchpointId }) },
      }));
      try {
        await transact(table, [notErasedCheck(tableName, customerId), ...pointers]);
      } catch (error) {
        // Being erased or gone: nothing of it is left to find.
        if (error instanceof TransactionCanceledException) return;
        throw error;
      }
    }
  }

  async function listMentions(customerId: string): Promise<string[]> {
    const items = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :mentions)',
      ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':mentions': mentionPrefix },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    });
    return items.map((item) => touchpointIdOfMentionSortKey(String(item.sk)));
  }

  async function readLocator(touchpointId: string) {
    const locator = await call(() => client.send(new GetCommand({ TableName: tableName, Key: touchpointLocatorKey(touchpointId), ConsistentRead: true })));
    return touchpointLocatorEntity.is(locator.Item) ? touchpointLocatorEntity.parse(locator.Item) : undefined;
  }

  async function readAnsweredCustomer(touchpointId: string): Promise<string | undefined> {
    const answered = (await readLocator(touchpointId))?.result as { customerId?: unknown } | undefined;
    return typeof answered?.customerId === 'string' ? answered.customerId : undefined;
  }

  async function readTouchpoint(touchpointId: string): Promise<StoredTouchpoint | undefined> {
    const locator = await readLocator(touchpointId);
    if (!locator) return undefined;
    const { customerId, occurredAt } = locator;
    const output = await call(() =>
      client.send(new GetCommand({ TableName: tableName, Key: touchpointKey(customerId, occurredAt, touchpointId), ConsistentRead: true })),
    );
    return output.Item ? toStoredTouchpoint(output.Item) : undefined;
  }

  async function moveTouchpoint(move: Parameters<IdentityStore['moveTouchpoint']>[0]): Promise<void> {
    const { touchpoint, to, record, fromCard, toCard } = move;
    const now = record.createdAt;
    try {
      await transact(table, [
        ...moveItems(touchpoint, to, [...touchpoint.movedBy, record.mergeId], true),
        ...[...itemUpdates(profileReplacement(touchpoint.customerId, fromCard, now)), ...itemUpdates(profileReplacement(to, toCard, now))].map((update) => ({
          Update: { TableName: tableName, ...update },
        })),
        mergeRecordPut(tableName, record),
        ...auditPointers(tableName, record),
      ]);
    } catch (error) {
      if (error instanceof TransactionCanceledException) throw new WriteRejectedError('card-stale', { cause: error });
      throw error;
    }
  }

  return { listTouchpoints, moveTouchpoints, mentionTouchpoints, listMentions, readAnsweredCustomer, readTouchpoint, moveTouchpoint };
}

function toStoredTouchpoint(item: Item): StoredTouchpoint {
  const touchpoint = touchpointEntity.parse(item);
  return { ...touchpointOf(touchpoint), movedBy: touchpoint.movedBy ?? [], stored: item };
}
