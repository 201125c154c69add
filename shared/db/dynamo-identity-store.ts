import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors.ts';
import { WriteRejectedError } from '../domain/write-rejection.ts';
import { type Identifier, identifierKey } from '../domain/identifiers.ts';
import type {
  IdentifierOwner,
  IdentityStore,
  LinkOutcome,
  MergeCandidate,
  MergeRecord,
  MergeStatus,
  ProfileRecord,
  StoredTouchpoint,
} from '../domain/identity-store.ts';
import type { AttachedIdentifier } from '../domain/model.ts';
import { newIdentifierPut, toIdentifierOwner, toTouchpoint } from './dynamo-customer-store.ts';
import { identifierClaimPut } from './cross-references.ts';
import { notSuppressedCheck, throwIfSuppressed } from './suppression.ts';
import {
  customerPartition,
  identifierItemKey,
  mergeAuditKey,
  mergeCandidateKey,
  mergeCandidatesIndexPartition,
  mergeRecordKey,
  profileKey,
  touchpointKey,
  touchpointLocatorKey,
  unfinishedMergeIndexKeys,
  unfinishedMergesIndexPartition,
} from './keys.ts';
import { profileReplacement, toProfileRecord } from './profile-item.ts';
import { batchGetItems } from './batch-get.ts';
import { queryAll } from './query-all.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns, matches } from './page-cursor.ts';
import { call } from './store-errors.ts';

const mergeCandidatesCursorBinding: CursorBinding = { list: 'merge-candidates', scope: {} };

type Item = Record<string, unknown>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** `shared` is a DynamoDB reserved word. */
const sharedName = { '#shared': 'shared' };

/** Three writes move one touchpoint (put, delete, locator); 25 of them stay under the 100-item transaction limit. */
const touchpointsPerTransaction = 25;

export type IdentityStoreWithTouchpoints = IdentityStore & {
  readTouchpoint(touchpointId: string): Promise<StoredTouchpoint | undefined>;
};

export function dynamoIdentityStore(client: DynamoDBDocumentClient, tableName: string): IdentityStoreWithTouchpoints {
  // One signature for every document-client command; each call site names the output it reads.
  const send = <T>(command: unknown): Promise<T> =>
    call(() => (client.send as unknown as (command: unknown) => Promise<T>).call(client, command));

  async function transact(items: TransactItem[]): Promise<void> {
    try {
      await call(() => client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed')) {
          throw new WriteRejectedError('contention', { cause: error });
        }
      }
      throw error;
    }
  }

  async function readProfile(customerId: string): Promise<ProfileRecord | undefined> {
    const output = await send<{ Item?: Item }>(new GetCommand({ TableName: tableName, Key: profileKey(customerId), ConsistentRead: true }));
    return output.Item?.entity === 'customer' ? toProfileRecord(output.Item) : undefined;
  }

  async function readProfiles(customerIds: string[]): Promise<Map<string, ProfileRecord>> {
    const unique = [...new Set(customerIds)];
    const found = new Map<string, ProfileRecord>();
    if (unique.length === 0) return found;
    for (const item of await batchGetItems(client, tableName, unique.map(profileKey))) {
      if (item.entity === 'customer') found.set(item.customerId as string, toProfileRecord(item));
    }
    return found;
  }

  async function findIdentifierOwner(identifier: Identifier) {
    const output = await send<{ Item?: Item }>(
      new GetCommand({ TableName: tableName, Key: identifierItemKey(identifier), ConsistentRead: true }),
    );
    return output.Item ? toIdentifierOwner(output.Item) : undefined;
  }

  async function beginMerge(record: MergeRecord): Promise<void> {
    // Live, and not locked by a merge, undo or erase under way.
    const live = 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(identityLock)';
    try {
      await transact([
        {
          Update: {
            TableName: tableName,
            Key: profileKey(record.sourceCustomerId),
            // Leaving the tier index: a merged-away profile is nobody to call.
            UpdateExpression: 'SET mergedInto = :target, mergedBy = :mergeId, updatedAt = :now REMOVE gsi1pk, gsi1sk',
            ConditionExpression: live,
            ExpressionAttributeValues: { ':target': record.targetCustomerId, ':mergeId': record.mergeId, ':now': record.createdAt },
          },
        },
        // The target is locked until the merge completes: it cannot be merged away, erased or undone
        // into while the source's identifiers and touchpoints are on their way to it (and two opposite
        // merges at once cannot both begin: no cycle).
        {
          Update: {
            TableName: tableName,
            Key: profileKey(record.targetCustomerId),
            UpdateExpression: 'SET identityLock = :mergeId',
            ConditionExpression: live,
            ExpressionAttributeValues: { ':mergeId': record.mergeId },
          },
        },
        { Put: { TableName: tableName, Item: mergeRecordItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
        ...auditPointers(record),
      ]);
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        throw new ConflictError('One of the customers was merged or changed meanwhile; read them again and retry.');
      }
      throw error;
    }
  }

  async function beginUndo(record: MergeRecord): Promise<void> {
    try {
      await transact([
        {
          Update: {
            TableName: tableName,
            Key: mergeRecordKey(record.mergeId),
            // Listed with the merges in progress, so that an undo cut short is finished on schedule.
            UpdateExpression: 'SET #status = :undoing, undoneBy = :actor, undoStartedAt = :startedAt, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
            ConditionExpression: '#status = :completed',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':undoing': 'undoing',
              ':completed': 'completed',
              ':actor': record.undoneBy,
              ':startedAt': record.undoStartedAt,
              ...unfinishedIndexValues(record.undoStartedAt ?? record.createdAt, record.mergeId),
            },
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: profileKey(record.targetCustomerId),
            UpdateExpression: 'SET identityLock = :mergeId',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(identityLock)',
            ExpressionAttributeValues: { ':mergeId': record.mergeId },
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

  /** Marks a merge or undo finished and releases its target's lock, atomically; false when it was finished already. */
  async function finishLocked(mergeId: string, targetCustomerId: string, from: MergeStatus, to: MergeStatus, changes: Partial<MergeRecord>): Promise<boolean> {
    const entries = Object.entries(changes);
    try {
      await transact([
        {
          Update: {
            TableName: tableName,
            Key: mergeRecordKey(mergeId),
            UpdateExpression: `SET #status = :to, ${entries.map((_, index) => `#field${index} = :field${index}`).join(', ')} REMOVE gsi1pk, gsi1sk`,
            ConditionExpression: '#status = :from',
            ExpressionAttributeNames: {
              '#status': 'status',
              ...Object.fromEntries(entries.map(([name], index) => [`#field${index}`, name])),
            },
            ExpressionAttributeValues: {
              ':to': to,
              ':from': from,
              ...Object.fromEntries(entries.map(([, value], index) => [`:field${index}`, value])),
            },
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: profileKey(targetCustomerId),
            UpdateExpression: 'REMOVE identityLock',
            ConditionExpression: 'identityLock = :mergeId',
            ExpressionAttributeValues: { ':mergeId': mergeId },
          },
        },
      ]);
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  const finishUndo = (mergeId: string, targetCustomerId: string, changes: Partial<MergeRecord>) =>
    finishLocked(mergeId, targetCustomerId, 'undoing', 'undone', changes);
  const finishMerge = (mergeId: string, targetCustomerId: string, changes: Partial<MergeRecord>) =>
    finishLocked(mergeId, targetCustomerId, 'in_progress', 'completed', changes);

  function unfinishedIndexValues(startedAt: string, mergeId: string) {
    const keys = unfinishedMergeIndexKeys(startedAt, mergeId);
    return { ':gsi1pk': keys.gsi1pk, ':gsi1sk': keys.gsi1sk };
  }

  function mergeRecordItem(record: MergeRecord): Item {
    return {
      ...mergeRecordKey(record.mergeId),
      entity: 'merge',
      ...record,
      ...(record.status === 'in_progress' ? unfinishedMergeIndexKeys(record.createdAt, record.mergeId) : {}),
    };
  }

  async function listUnfinishedMerges(startedBefore: string): Promise<MergeRecord[]> {
    const items = await queryAll(client, {
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :partition AND gsi1sk < :before',
      ExpressionAttributeValues: { ':partition': unfinishedMergesIndexPartition, ':before': startedBefore },
    });
    // The index is eventually consistent: a merge finished a moment ago may still be listed.
    return items.map(toMergeRecord).filter((record) => record.status === 'in_progress' || record.status === 'undoing');
  }

  function auditPointers(record: MergeRecord): TransactItem[] {
    return (
      [
        [record.targetCustomerId, 'target'],
        [record.sourceCustomerId, 'source'],
      ] as const
    ).map(([customerId, role]) => ({
      Put: {
        TableName: tableName,
        Item: { ...mergeAuditKey(customerId, record.mergeId), entity: 'mergeAudit', mergeId: record.mergeId, role, kind: record.kind },
      },
    }));
  }

  async function setIdentifierOwner(
    identifier: Identifier,
    expected: IdentifierOwner,
    next: IdentifierOwner,
    mergeId: string,
  ): Promise<boolean> {
    const sharedGuard = expected.sharedWith.length
      ? 'sharedWith = :expectedSharedWith'
      : '(attribute_not_exists(sharedWith) OR size(sharedWith) = :zero)';
    try {
      await send(
        new UpdateCommand({
          TableName: tableName,
          Key: identifierItemKey(identifier),
          UpdateExpression: 'SET customerId = :owner, sharedWith = :sharedWith, #shared = :shared, lastMergeId = :mergeId',
          ConditionExpression: `customerId = :expectedOwner AND ${sharedGuard}`,
          ExpressionAttributeNames: sharedName,
          ExpressionAttributeValues: {
            ':owner': next.customerId,
            ':sharedWith': next.sharedWith,
            ':shared': next.sharedWith.length > 0,
            ':mergeId': mergeId,
            ':expectedOwner': expected.customerId,
            ...(expected.sharedWith.length ? { ':expectedSharedWith': expected.sharedWith } : { ':zero': 0 }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Resuming an interrupted merge or undo: the identifier may already be where it should be.
    const now = await findIdentifierOwner(identifier);
    return now?.customerId === next.customerId && now.sharedWith.join() === next.sharedWith.join();
  }

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
          UpdateExpression: 'SET customerId = :to',
          ExpressionAttributeValues: { ':to': to },
        },
      },
    ];
  }

  async function moveTouchpoints(moves: Array<{ touchpoint: StoredTouchpoint; to: string; movedBy: string[] }>): Promise<void> {
    for (let start = 0; start < moves.length; start += touchpointsPerTransaction) {
      const chunk = moves.slice(start, start + touchpointsPerTransaction);
      try {
        await transact(chunk.flatMap(({ touchpoint, to, movedBy }) => moveItems(touchpoint, to, movedBy)));
      } catch (error) {
        // Only a touchpoint's delete is guarded: one of them is no longer where it was read.
        if (error instanceof TransactionCanceledException) throw new WriteRejectedError('touchpoint-moved', { cause: error });
        throw error;
      }
    }
  }

  async function replaceProfile(customerId: string, replacement: Parameters<IdentityStore['replaceProfile']>[1]): Promise<void> {
    try {
      await send(new UpdateCommand({ TableName: tableName, ...profileReplacement(customerId, replacement, new Date().toISOString()) }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteRejectedError('card-stale', { cause: error });
      throw error;
    }
  }

  async function readMergeRecord(mergeId: string): Promise<MergeRecord | undefined> {
    const output = await send<{ Item?: Item }>(new GetCommand({ TableName: tableName, Key: mergeRecordKey(mergeId), ConsistentRead: true }));
    return output.Item ? toMergeRecord(output.Item) : undefined;
  }

  async function updateMergeRecord(mergeId: string, changes: Partial<MergeRecord>, expectedStatus: MergeStatus): Promise<boolean> {
    const entries = Object.entries(changes);
    try {
      await send(
        new UpdateCommand({
          TableName: tableName,
          Key: mergeRecordKey(mergeId),
          UpdateExpression:
            `SET ${entries.map((_, index) => `#field${index} = :field${index}`).join(', ')}` +
            // Leaving the index of merges in progress once finished.
            (changes.status && changes.status !== 'in_progress' ? ' REMOVE gsi1pk, gsi1sk' : ''),
          ConditionExpression: '#status = :expectedStatus',
          ExpressionAttributeNames: {
            '#status': 'status',
            ...Object.fromEntries(entries.map(([name], index) => [`#field${index}`, name])),
          },
          ExpressionAttributeValues: {
            ':expectedStatus': expectedStatus,
            ...Object.fromEntries(entries.map(([, value], index) => [`:field${index}`, value])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function listMergeRecords(customerId: string): Promise<MergeRecord[]> {
    const output = await send<{ Items?: Item[] }>(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
        ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':audit': 'M#' },
        ConsistentRead: true,
      }),
    );
    const keys = (output.Items ?? []).map((item) => mergeRecordKey(item.mergeId as string));
    const records: MergeRecord[] = [];
    // BatchGetItem takes 100 keys; the shared batch-get fetches unprocessed keys again.
    for (let start = 0; start < keys.length; start += 100) {
      records.push(...(await batchGetItems(client, tableName, keys.slice(start, start + 100))).map(toMergeRecord));
    }
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async function linkIdentifier(customerId: string, identifier: AttachedIdentifier, shared: boolean): Promise<LinkOutcome> {
    const key = identifierKey(identifier);
    // Refused like ingest refuses it, in the same transaction: no moment between check and link.
    const notSuppressed = notSuppressedCheck(tableName, identifier);
    try {
      await transact([
        { Put: newIdentifierPut(tableName, identifier, customerId) },
        profileIdentifierSet(customerId, identifier),
        identifierClaimPut(tableName, customerId, identifier),
        notSuppressed,
      ]);
      return { kind: 'linked' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      throwIfSuppressed(error, 3);
    }
    const owner = await findIdentifierOwner(identifier);
    // Refused although nobody holds it: unlinked meanwhile, or the customer is no longer live (read it again).
    if (!owner) throw new WriteRejectedError('identifier-taken');
    if (owner.customerId === customerId || owner.sharedWith.includes(customerId)) return { kind: 'already-linked' };
    if (!shared) return { kind: 'owned-by-other', customerId: owner.customerId };
    try {
      await transact([
        {
          Update: {
            TableName: tableName,
            Key: identifierItemKey(identifier),
            UpdateExpression: 'SET #shared = :true, sharedWith = list_append(if_not_exists(sharedWith, :none), :me)',
            ConditionExpression: 'customerId = :owner AND NOT contains(sharedWith, :meId)',
            ExpressionAttributeNames: sharedName,
            ExpressionAttributeValues: { ':true': true, ':none': [], ':me': [customerId], ':meId': customerId, ':owner': owner.customerId },
          },
        },
        profileIdentifierSet(customerId, { ...identifier, shared: true }),
        {
          Update: {
            TableName: tableName,
            Key: profileKey(owner.customerId),
            UpdateExpression: 'SET identifiers.#key.#shared = :true',
            ConditionExpression: 'attribute_exists(identifiers.#key)',
            ExpressionAttributeNames: { '#key': key, ...sharedName },
            ExpressionAttributeValues: { ':true': true },
          },
        },
        identifierClaimPut(tableName, customerId, identifier),
        notSuppressed,
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      throwIfSuppressed(error, 4);
      // The identifier changed hands since it was read (a merge moved it, an unlink released it).
      throw new WriteRejectedError('identifier-taken', { cause: error });
    }
    return { kind: 'linked' };
  }

  /** Lists an identifier on a live customer's profile (not merged away, not under erasure). */
  function profileIdentifierSet(customerId: string, identifier: AttachedIdentifier): TransactItem {
    return {
      Update: {
        TableName: tableName,
        Key: profileKey(customerId),
        UpdateExpression: 'SET identifiers.#key = :identifier',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND #entity = :customerEntity',
        ExpressionAttributeNames: { '#key': identifierKey(identifier), '#entity': 'entity' },
        ExpressionAttributeValues: { ':identifier': identifier, ':customerEntity': 'customer' },
      },
    };
  }

  function profileIdentifierRemove(customerId: string, identifier: Identifier): TransactItem {
    return {
      Update: {
        TableName: tableName,
        Key: profileKey(customerId),
        UpdateExpression: 'REMOVE identifiers.#key',
        // Never creates a profile: an UpdateItem on a missing key would.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#key': identifierKey(identifier) },
      },
    };
  }

  function markUnshared(customerId: string, identifier: Identifier): TransactItem {
    return {
      Update: {
        TableName: tableName,
        Key: profileKey(customerId),
        UpdateExpression: 'SET identifiers.#key.#shared = :false',
        ConditionExpression: 'attribute_exists(identifiers.#key)',
        ExpressionAttributeNames: { '#key': identifierKey(identifier), ...sharedName },
        ExpressionAttributeValues: { ':false': false },
      },
    };
  }

  async function unlinkIdentifier(customerId: string, identifier: Identifier): Promise<boolean> {
    const owner = await findIdentifierOwner(identifier);
    if (!owner) return false;
    if (owner.customerId !== customerId && !owner.sharedWith.includes(customerId)) return false;
    const remaining = owner.sharedWith.filter((other) => other !== customerId);
    // The customer's profile loses the entry in the same transaction; a customer that no longer
    // exists (erased) only lets go of the identifier, and no profile is written for it.
    const profile = await readProfile(customerId);
    const fromProfile = profile ? [profileIdentifierRemove(customerId, identifier)] : [];
    try {
      if (owner.customerId === customerId && remaining.length === 0) {
        await transact([
          {
            Delete: {
              TableName: tableName,
              Key: identifierItemKey(identifier),
              ConditionExpression: 'customerId = :before AND (attribute_not_exists(sharedWith) OR size(sharedWith) = :zero)',
              ExpressionAttributeValues: { ':before': owner.customerId, ':zero': 0 },
            },
          },
          ...fromProfile,
        ]);
        return true;
      }
      // Unlinking the owner promotes the next customer it is shared with; the last one left is no longer shared.
      const [nextOwner, ...rest] = owner.customerId === customerId ? remaining : [owner.customerId, ...remaining];
      await transact([
        {
          Update: {
            TableName: tableName,
            Key: identifierItemKey(identifier),
            UpdateExpression: 'SET customerId = :owner, sharedWith = :rest, #shared = :shared',
            ConditionExpression: 'customerId = :before AND sharedWith = :sharedBefore',
            ExpressionAttributeNames: sharedName,
            ExpressionAttributeValues: {
              ':before': owner.customerId,
              ':sharedBefore': owner.sharedWith,
              ':owner': nextOwner,
              ':rest': rest,
              ':shared': rest.length > 0,
            },
          },
        },
        ...fromProfile,
        ...(rest.length === 0 ? [markUnshared(nextOwner as string, identifier)] : []),
      ]);
      return true;
    } catch (error) {
      // The identifier changed hands since it was read (another unlink, a link, a merge): read it again.
      if (error instanceof TransactionCanceledException) throw new WriteRejectedError('identifier-taken', { cause: error });
      throw error;
    }
  }

  async function listMergeCandidates(page: { limit: number; cursor?: string }) {
    const output = await send<{ Items?: Item[]; LastEvaluatedKey?: Record<string, unknown> }>(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :partition',
        FilterExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':partition': mergeCandidatesIndexPartition, ':open': 'open' },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(page.cursor
          ? {
              ExclusiveStartKey: decodePageCursor(page.cursor, mergeCandidatesCursorBinding, {
                pk: matches(keyPatterns.mergeCandidatePartition),
                sk: equals(mergeCandidateKey(['', '']).sk),
                gsi1pk: equals(mergeCandidatesIndexPartition),
                gsi1sk: matches(keyPatterns.mergeCandidateIndexSortKey),
              }),
            }
          : {}),
      }),
    );
    return {
      items: (output.Items ?? []).map(toMergeCandidate),
      nextCursor: encodePageCursor(mergeCandidatesCursorBinding, output.LastEvaluatedKey),
    };
  }

  async function resolveMergeCandidate(candidateId: string, status: 'dismissed' | 'merged'): Promise<boolean> {
    const customerIds = candidateId.split('.');
    if (customerIds.length !== 2) return false;
    return closeMergeCandidate(customerIds as [string, string], status);
  }

  async function closeMergeCandidate(customerIds: [string, string], status: 'dismissed' | 'merged'): Promise<boolean> {
    try {
      await send(
        new UpdateCommand({
          TableName: tableName,
          Key: mergeCandidateKey(customerIds),
          UpdateExpression: 'SET #status = :status, resolvedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':now': new Date().toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function reopenMergeCandidate(customerIds: [string, string]): Promise<void> {
    try {
      await send(
        new UpdateCommand({
          TableName: tableName,
          Key: mergeCandidateKey(customerIds),
          // Without a status, the next touchpoint showing the conflict sets it to open (if_not_exists).
          UpdateExpression: 'REMOVE #status, resolvedAt',
          ConditionExpression: '#status = :merged',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':merged': 'merged' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async function readTouchpoint(touchpointId: string): Promise<StoredTouchpoint | undefined> {
    const locator = await send<{ Item?: Item }>(
      new GetCommand({ TableName: tableName, Key: touchpointLocatorKey(touchpointId), ConsistentRead: true }),
    );
    if (!locator.Item) return undefined;
    const { customerId, occurredAt } = locator.Item as { customerId: string; occurredAt: string };
    const output = await send<{ Item?: Item }>(
      new GetCommand({ TableName: tableName, Key: touchpointKey(customerId, occurredAt, touchpointId), ConsistentRead: true }),
    );
    return output.Item ? toStoredTouchpoint(output.Item) : undefined;
  }

  async function moveTouchpoint(move: Parameters<IdentityStore['moveTouchpoint']>[0]): Promise<void> {
    const { touchpoint, to, record, fromCard, toCard } = move;
    const now = record.createdAt;
    try {
      await transact([
        ...moveItems(touchpoint, to, [...touchpoint.movedBy, record.mergeId], true),
        { Update: { TableName: tableName, ...profileReplacement(touchpoint.customerId, fromCard, now) } },
        { Update: { TableName: tableName, ...profileReplacement(to, toCard, now) } },
        { Put: { TableName: tableName, Item: mergeRecordItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
        ...auditPointers(record),
      ]);
    } catch (error) {
      if (error instanceof TransactionCanceledException) throw new WriteRejectedError('card-stale', { cause: error });
      throw error;
    }
  }

  return {
    readProfile,
    readProfiles,
    findIdentifierOwner,
    beginMerge,
    beginUndo,
    finishUndo,
    finishMerge,
    setIdentifierOwner,
    listTouchpoints,
    moveTouchpoints,
    replaceProfile,
    readMergeRecord,
    updateMergeRecord,
    listMergeRecords,
    listUnfinishedMerges,
    linkIdentifier,
    unlinkIdentifier,
    listMergeCandidates,
    resolveMergeCandidate,
    closeMergeCandidate,
    reopenMergeCandidate,
    readTouchpoint,
    moveTouchpoint,
  };
}

function toStoredTouchpoint(item: Item): StoredTouchpoint {
  return { ...toTouchpoint(item), movedBy: (item.movedBy as string[] | undefined) ?? [], stored: item };
}

function toMergeRecord(item: Item): MergeRecord {
  const { pk: _pk, sk: _sk, entity: _entity, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, ...record } = item;
  return record as unknown as MergeRecord;
}

function toMergeCandidate(item: Item): MergeCandidate {
  const customerIds = item.customerIds as [string, string];
  return {
    candidateId: customerIds.join('.'),
    customerIds,
    identifiers: item.identifiers as Identifier[],
    occurrences: Number(item.occurrences ?? 1),
    detectedAt: item.detectedAt as string,
    lastSeenAt: item.lastSeenAt as string,
    status: item.status as MergeCandidate['status'],
  };
}

