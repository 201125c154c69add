import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../domain/errors.ts';
import { holdersBesidesParties } from '../../domain/identity-history.ts';
import type { IdentityStore, MergeRecord, MergeStatus } from '../../domain/identity-store.ts';
import { batchGetItems } from '../batch-get.ts';
import { notErasedCheck } from '../cross-references.ts';
import { itemsOfIndexEntries } from '../index-page.ts';
import { mergeSharerEntity } from '../items/cross-reference.ts';
import { mergeAuditEntity, mergeRecordEntity } from '../items/merge-record.ts';
import { cardKey, customerPartition, mergeRecordKey, profileKey, unfinishedMergeIndexKeys, unfinishedMergesIndexPartition } from '../keys.ts';
import { queryAll } from '../query-all.ts';
import { call } from '../store-errors.ts';
import { type UpdateBuilder, updateExpression } from '../update-expression.ts';
import { type IdentityTable, type TransactItem, transact } from './table.ts';

type Item = Record<string, unknown>;

type MergeRecordMethods =
  | 'beginMerge'
  | 'beginUndo'
  | 'finishMerge'
  | 'finishUndo'
  | 'readMergeRecord'
  | 'updateMergeRecord'
  | 'planMergeIdentifiers'
  | 'listMergeRecords'
  | 'listUnfinishedMerges';

/** Merge records (merges and moves, with their undo) and the identity locks their survivors hold meanwhile. */
export function mergeRecordStore(table: IdentityTable): Pick<IdentityStore, MergeRecordMethods> {
  const { client, tableName } = table;

  async function beginMerge(record: MergeRecord): Promise<void> {
    // Live, and not locked by a merge, undo or erase under way.
    const live = 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(identityLock)';
    try {
      await transact(table, [
        {
          Update: {
            TableName: tableName,
            Key: profileKey(record.sourceCustomerId),
            ...updateExpression()
              .set('mergedInto', record.targetCustomerId)
              .set('mergedBy', record.mergeId)
              .set('updatedAt', record.createdAt)
              .when(live)
              .build(),
          },
        },
        // The card's copy of `mergedInto`, which every card write tests; leaving the tier index: a merged-away customer is nobody to call.
        {
          Update: {
            TableName: tableName,
            Key: cardKey(record.sourceCustomerId),
            ...updateExpression()
              .set('mergedInto', record.targetCustomerId)
              .remove('gsi1pk', 'gsi1sk')
              .when('attribute_exists(pk) AND attribute_not_exists(mergedInto)')
              .build(),
          },
        },
        // The target is locked until the merge completes: it cannot be merged away, erased or undone
        // into while the source's identifiers and touchpoints are on their way to it (and two opposite
        // merges at once cannot both begin: no cycle).
        {
          Update: {
            TableName: tableName,
            Key: profileKey(record.targetCustomerId),
            ...updateExpression().set('identityLock', record.mergeId).when(live).build(),
          },
        },
        mergeRecordPut(tableName, record),
        ...auditPointers(tableName, record),
      ]);
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        throw new ConflictError('One of the customers was merged or changed meanwhile; read them again and retry.');
      }
      throw error;
    }
  }

  async function beginUndo(record: MergeRecord): Promise<void> {
    const unfinished = unfinishedMergeIndexKeys(record.undoStartedAt ?? record.createdAt, record.mergeId);
    try {
      await transact(table, [
        {
          Update: {
            TableName: tableName,
            Key: mergeRecordKey(record.mergeId),
            ...updateExpression()
              .set('status', 'undoing')
              .set('undoneBy', record.undoneBy)
              .set('undoStartedAt', record.undoStartedAt)
              // Listed with the merges in progress, so that an undo cut short is finished on schedule.
              .set('gsi1pk', unfinished.gsi1pk)
              .set('gsi1sk', unfinished.gsi1sk)
              .when('#status = :completed', { ':completed': 'completed' }, { '#status': 'status' })
              .build(),
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: profileKey(record.targetCustomerId),
            ...updateExpression()
              .set('identityLock', record.mergeId)
              .when('attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(identityLock)')
              .build(),
          },
        },
      ]);
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        throw new ConflictError(
          `Merge ${record.mergeId} cannot be undone now: it is being undone already, or its survivor was merged or is being changed. Read it again and retry.`,
        );
      }
      throw error;
    }
  }

  /**
   * Marks a merge or undo finished and releases its target's lock, atomically, and the revived
   * source's when an undo holds it (an undo begun before it held the source does not); false when
   * it was finished already.
   */
  async function finishLocked(
    mergeId: string,
    held: { targetCustomerId: string; sourceCustomerId?: string },
    from: MergeStatus,
    to: MergeStatus,
    changes: Partial<MergeRecord>,
  ): Promise<boolean> {
    const record = mergeRecordChanges({ ...changes, status: to }).remove('gsi1pk', 'gsi1sk');
    const releaseSource: TransactItem[] = held.sourceCustomerId
      ? [
          {
            Update: {
              TableName: tableName,
              Key: profileKey(held.sourceCustomerId),
              ...updateExpression()
                .remove('identityLock')
                .when('attribute_exists(pk) AND (attribute_not_exists(identityLock) OR identityLock = :mergeId)', { ':mergeId': mergeId })
                .build(),
            },
          },
        ]
      : [];
    try {
      await transact(table, [
        {
          Update: {
            TableName: tableName,
            Key: mergeRecordKey(mergeId),
            ...record.when('#status = :from', { ':from': from }, { '#status': 'status' }).build(),
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: profileKey(held.targetCustomerId),
            ...updateExpression().remove('identityLock').when('identityLock = :mergeId', { ':mergeId': mergeId }).build(),
          },
        },
        ...releaseSource,
      ]);
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  const finishUndo = (
    { mergeId, targetCustomerId, sourceCustomerId }: Pick<MergeRecord, 'mergeId' | 'targetCustomerId' | 'sourceCustomerId'>,
    changes: Partial<MergeRecord>,
  ) => finishLocked(mergeId, { targetCustomerId, sourceCustomerId }, 'undoing', 'undone', changes);
  const finishMerge = (mergeId: string, targetCustomerId: string, changes: Partial<MergeRecord>) =>
    finishLocked(mergeId, { targetCustomerId }, 'in_progress', 'completed', changes);

  async function listUnfinishedMerges(startedBefore: string): Promise<MergeRecord[]> {
    const entries = await queryAll(client, {
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :partition AND gsi1sk < :before',
      ExpressionAttributeValues: { ':partition': unfinishedMergesIndexPartition, ':before': startedBefore },
    });
    const items = await itemsOfIndexEntries(client, tableName, entries);
    // The index is eventually consistent: a merge finished a moment ago may still be listed.
    return items.map(toMergeRecord).filter((record) => record.status === 'in_progress' || record.status === 'undoing');
  }

  async function readMergeRecord(mergeId: string): Promise<MergeRecord | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: mergeRecordKey(mergeId), ConsistentRead: true })));
    return output.Item ? toMergeRecord(output.Item) : undefined;
  }

  async function updateMergeRecord(mergeId: string, changes: Partial<MergeRecord>, expectedStatus: MergeStatus): Promise<boolean> {
    const update = mergeRecordChanges(changes);
    // Leaving the index of merges in progress once finished.
    if (changes.status && changes.status !== 'in_progress') update.remove('gsi1pk', 'gsi1sk');
    update.when('#status = :expectedStatus', { ':expectedStatus': expectedStatus }, { '#status': 'status' });
    try {
      await call(() => client.send(new UpdateCommand({ TableName: tableName, Key: mergeRecordKey(mergeId), ...update.build() })));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Customers the states name besides the merge's two parties (holders of a shared identifier)
   * get a pointer first, each in one transaction with a check that it is a customer not under
   * erasure, so that no pointer is left in an erased partition. One being erased gets none: its
   * erase has let its identifiers go already (so this plan will not apply to them) or finds the
   * merge through the identifier's last merge.
   */
  async function planMergeIdentifiers(record: MergeRecord, plan: Pick<MergeRecord, 'identifierStates'> & Partial<Pick<MergeRecord, 'movedIdentifiers'>>) {
    const { mergeId } = record;
    for (const customerId of holdersBesidesParties(record, plan.identifierStates)) {
      try {
        await transact(table, [
          notErasedCheck(tableName, customerId),
          { Put: { TableName: tableName, Item: mergeSharerEntity.item(mergeSharerEntity.key(customerId, mergeId), { mergeId }) } },
        ]);
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
      }
    }
    return updateMergeRecord(mergeId, plan, 'in_progress');
  }

  async function listMergeRecords(customerId: string): Promise<MergeRecord[]> {
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
          ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':audit': 'M#' },
          ConsistentRead: true,
        }),
      ),
    );
    const keys = (output.Items ?? []).map((item) => mergeRecordKey(mergeAuditEntity.parse(item).mergeId));
    const records: MergeRecord[] = [];
    // BatchGetItem takes 100 keys; the shared batch-get fetches unprocessed keys again.
    for (let start = 0; start < keys.length; start += 100) {
      records.push(...(await batchGetItems(client, tableName, keys.slice(start, start + 100))).map(toMergeRecord));
    }
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  return { beginMerge, beginUndo, finishMerge, finishUndo, readMergeRecord, updateMergeRecord, planMergeIdentifiers, listMergeRecords, listUnfinishedMerges };
}

/** A new merge record; one still in progress is listed in the index an interrupted merge is finished from. */
export function mergeRecordPut(tableName: string, record: MergeRecord): TransactItem {
  const item = mergeRecordEntity.item(
    mergeRecordEntity.key(record.mergeId),
    record,
    record.status === 'in_progress' ? unfinishedMergeIndexKeys(record.createdAt, record.mergeId) : {},
  );
  return { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** A pointer to the record in each party's partition: the customer's merge and move audit trail. */
export function auditPointers(tableName: string, record: MergeRecord): TransactItem[] {
  return (
    [
      [record.targetCustomerId, 'target'],
      [record.sourceCustomerId, 'source'],
    ] as const
  ).map(([customerId, role]) => ({
    Put: {
      TableName: tableName,
      Item: mergeAuditEntity.item(mergeAuditEntity.key(customerId, record.mergeId), { mergeId: record.mergeId, role, kind: record.kind }),
    },
  }));
}

/** SETs each changed attribute of a merge record (what an undo or a finished merge records). */
function mergeRecordChanges(changes: Partial<MergeRecord>): UpdateBuilder {
  const update = updateExpression();
  for (const [name, value] of Object.entries(changes)) update.set(name, value);
  return update;
}

/** Keys, marker and index keys fall away: the schema names a merge record's attributes only. */
function toMergeRecord(item: Item): MergeRecord {
  return mergeRecordEntity.parse(item);
}
