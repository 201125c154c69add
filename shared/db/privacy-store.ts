import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidCursorError, StoreUnavailableError } from '../domain/errors.ts';
import { type Identifier, identifierKey } from '../domain/identifiers.ts';
import type { IdentifierOwner } from '../domain/identity-store.ts';
import type {
  AttributeChanges,
  DeletedRecord,
  EraseMark,
  ErasureReceipt,
  PartitionPage,
  PartitionRecord,
  PrivacyStore,
  Release,
  StoredAttributes,
  StoredMergeCandidate,
  StoredMergeRecord,
  StoredProfile,
  TouchpointRecord,
} from '../domain/privacy-store.ts';
import {
  candidateHalfKey,
  candidateHalfPrefix,
  cardKey,
  customerIdOfCandidateHalfSortKey,
  customerPartition,
  identifierItemKey,
  type Key,
  mergeAuditKey,
  mergeAuditRange,
  mergeCandidateKey,
  mergeIdOfAuditSortKey,
  mergeIdOfSharerSortKey,
  mergeRecordKey,
  mergeSharerKey,
  partitionEndSortKey,
  partitionItemKind,
  profileKey,
  suppressionKey,
  touchpointIdOfMentionSortKey,
  touchpointKey,
  touchpointLocatorKey,
} from './keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns } from './page-cursor.ts';
import { batchGetItems } from './batch-get.ts';
import { identifierClaimEntity } from './items/cross-reference.ts';
import { identifierEntity } from './items/identifier.ts';
import { mergeRecordEntity } from './items/merge-record.ts';
import { cardEntity, erasingCardEntity, storedCardAttributes } from './items/card.ts';
import { erasingProfileEntity, profileEntity } from './items/profile.ts';
import { toCustomer } from './profile-item.ts';
import { queryAll } from './query-all.ts';
import { call } from './store-errors.ts';
import { erasureReceiptKeyOf, suppressionHash, suppressionItem } from './suppression.ts';
import { updateExpression } from './update-expression.ts';

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

/** How long an erase's receipt answers its repeats: long past any client's retries, then DynamoDB's TTL takes it. */
export const erasureReceiptRetentionDays = 30;

/** The item without the table's keys and index keys: what the use cases see of it, show and redact. */
function storedAttributes(item: Item): StoredAttributes {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, gsi1pkWhenRecent: _gsi1pkWhenRecent, ...rest } = item;
  return rest;
}

/** What the card item adds to its profile, as the use cases see a customer: the card's attributes. */
function cardAttributesOf(card: Item | undefined): StoredAttributes {
  if (!card) return {};
  return Object.fromEntries(Object.entries(storedAttributes(card)).filter(([name]) => name in storedCardAttributes.shape));
}

/** The customer's two items as one profile record: identity from the profile, the card's attributes beside it. */
function profileOf(customerId: string, item: Item | undefined, card: Item | undefined): StoredProfile | undefined {
  if (!item || (item.entity !== profileEntity.name && item.entity !== erasingProfileEntity)) return undefined;
  const profile = profileEntity.parse(item);
  const erasing = item.entity === erasingProfileEntity;
  const liveCard = cardEntity.is(card) ? card : undefined;
  return {
    customerId,
    erasing,
    mergedInto: profile.mergedInto ?? null,
    identifiers: Object.values(profile.identifiers ?? {}),
    cardVersion: liveCard ? cardEntity.parse(liveCard).version : undefined,
    customer: erasing || !liveCard ? undefined : toCustomer(item, liveCard),
    stored: { ...storedAttributes(item), ...cardAttributesOf(card) },
  };
}

/** A customer's profile and card: deleted together, so that no moment leaves one without the other. */
const isCustomerItem = (key: Key) => ['profile', 'card'].includes(partitionItemKind(key.sk));

/** A partition item as the record of its kind (by its sort key: erase and export read every kind). */
function partitionRecordOf(customerId: string, item: Item): PartitionRecord {
  const position = String(item.sk);
  const at = { customerId, position };
  switch (partitionItemKind(position)) {
    case 'profile':
      return { ...at, kind: 'profile', stored: storedAttributes(item) };
    case 'card':
      return { ...at, kind: 'card', stored: storedAttributes(item) };
    case 'touchpoint':
      return { ...at, kind: 'touchpoint', touchpointId: String(item.touchpointId), stored: storedAttributes(item) };
    case 'accessLog':
      return { ...at, kind: 'accessLog', stored: storedAttributes(item) };
    case 'mergeAudit':
      return { ...at, kind: 'mergePointer', mergeId: mergeIdOfAuditSortKey(position) };
    case 'identifierClaim':
      return { ...at, kind: 'identifierClaim', identifier: identifierClaimEntity.parse(item) as Identifier };
    case 'mention':
      return { ...at, kind: 'mention', touchpointId: touchpointIdOfMentionSortKey(position) };
    case 'candidateHalf':
      return { ...at, kind: 'candidateHalf', otherCustomerId: customerIdOfCandidateHalfSortKey(position) };
    case 'mergeSharer':
      return { ...at, kind: 'mergeSharer', mergeId: mergeIdOfSharerSortKey(position) };
    default:
      return { ...at, kind: 'other', stored: storedAttributes(item) };
  }
}

function keyOf(record: DeletedRecord): Key {
  if ('position' in record) return { pk: customerPartition(record.customerId), sk: record.position };
  if ('touchpointLocator' in record) return touchpointLocatorKey(record.touchpointLocator);
  if ('mergeRecord' in record) return mergeRecordKey(record.mergeRecord);
  if ('mergePointer' in record) return mergeAuditKey(record.mergePointer.customerId, record.mergePointer.mergeId);
  if ('mergeCandidate' in record) return mergeCandidateKey(record.mergeCandidate);
  if ('mergeSharer' in record) return mergeSharerKey(record.mergeSharer.customerId, record.mergeSharer.mergeId);
  return candidateHalfKey(record.candidateHalf.customerId, record.candidateHalf.otherCustomerId);
}

/** The attributes set and removed, on an item that must still exist (and, given `asRead`, still have them as read). */
function rewriteOf(changes: AttributeChanges, asRead?: StoredAttributes) {
  const update = updateExpression();
  for (const [name, value] of Object.entries(changes.set)) update.set(name, value);
  if (changes.remove.length > 0) update.remove(...changes.remove);
  update.when('attribute_exists(#pk)', {}, { '#pk': 'pk' });
  if (!asRead) return update;
  [...Object.keys(changes.set), ...changes.remove].forEach((name, index) => {
    const was = asRead[name];
    if (was === undefined) update.when(`attribute_not_exists(#asRead${index})`, {}, { [`#asRead${index}`]: name });
    else update.when(`#asRead${index} = :asRead${index}`, { [`:asRead${index}`]: was }, { [`#asRead${index}`]: name });
  });
  return update;
}

/** The adapter's own batched delete (under `deleteRecords`), which the throttling tests drive directly. */
export interface DynamoPrivacyStore extends PrivacyStore {
  /** Deletes by key with BatchWriteItem (25 a call), retrying unprocessed keys with backoff. */
  deleteKeys(keys: Key[]): Promise<number>;
}

const maxBatchAttempts = 8;
const parallelBatches = 4;

/**
 * The privacy port over the table: the only code that turns a person's items into the records
 * erase and export see, and their deletions and rewrites back into keys. Every expression names its
 * attributes through ExpressionAttributeNames (`shared` and `status` are DynamoDB reserved words;
 * test/integration/expression-names.test.ts keeps it so).
 */
export function dynamoPrivacyStore(client: DynamoDBDocumentClient, tableName: string): DynamoPrivacyStore {
  async function readItem(key: Key): Promise<Item | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
    return output.Item;
  }

  async function markErasing(customerId: string, startedAt: string): Promise<EraseMark> {
    try {
      await call(() =>
        client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: profileKey(customerId),
                  // The identity lock keeps merges and undos off it.
                  UpdateExpression: 'SET #entity = :erasing, #identityLock = :erase, #erasingSince = :startedAt',
                  ConditionExpression: '#entity = :customer AND attribute_not_exists(#mergedInto) AND attribute_not_exists(#identityLock)',
                  ExpressionAttributeNames: {
                    '#entity': 'entity',
                    '#identityLock': 'identityLock',
                    '#erasingSince': 'erasingSince',
                    '#mergedInto': 'mergedInto',
                  },
                  ExpressionAttributeValues: { ':erasing': erasingProfileEntity, ':erase': 'erase', ':startedAt': startedAt, ':customer': profileEntity.name },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Update: {
                  TableName: tableName,
                  Key: cardKey(customerId),
                  // The card refuses every card write from now on; leaving gsi1 takes it off the tier lists.
                  UpdateExpression: 'SET #entity = :erasing REMOVE #gsi1pk, #gsi1sk',
                  ConditionExpression: '#entity = :card',
                  ExpressionAttributeNames: { '#entity': 'entity', '#gsi1pk': 'gsi1pk', '#gsi1sk': 'gsi1sk' },
                  ExpressionAttributeValues: { ':erasing': erasingCardEntity, ':card': cardEntity.name },
                },
              },
            ],
          }),
        ),
      );
      return 'marked';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [profile] = error.CancellationReasons ?? [];
      if (!(error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')) {
        // Cancelled by a concurrent write alone: the erase's step runs again.
        throw new StoreUnavailableError('The customer changed while the erase began; repeat the request.', { cause: error });
      }
      const now = profile?.Code === 'ConditionalCheckFailed' ? profile.Item : undefined;
      if (now?.entity?.S === erasingProfileEntity) return 'already-erasing';
      if (now?.entity?.S === profileEntity.name && now.identityLock !== undefined && now.mergedInto === undefined) return 'locked';
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
    return {
      records: (output.Items ?? []).map((item) => partitionRecordOf(customerId, item)),
      nextCursor: encodePageCursor(binding, output.LastEvaluatedKey),
    };
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

  async function candidatePartners(customerId: string): Promise<string[]> {
    const halves = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :halves)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': customerPartition(customerId), ':halves': candidateHalfPrefix },
      ProjectionExpression: '#sk',
      ConsistentRead: true,
    });
    return halves.map((item) => customerIdOfCandidateHalfSortKey(item.sk as string));
  }

  async function readMergeRecords(mergeIds: string[]): Promise<StoredMergeRecord[]> {
    const records: StoredMergeRecord[] = [];
    for (let start = 0; start < mergeIds.length; start += 100) {
      const items = await batchGetItems(client, tableName, mergeIds.slice(start, start + 100).map(mergeRecordKey));
      records.push(...items.map((item) => ({ ...mergeRecordEntity.parse(item), stored: storedAttributes(item) })));
    }
    return records;
  }

  async function readIdentifier(identifier: Identifier): Promise<(IdentifierOwner & { lastMergeId?: string }) | undefined> {
    const item = await readItem(identifierItemKey(identifier));
    if (!item) return undefined;
    const { customerId, sharedWith, lastMergeId } = identifierEntity.parse(item);
    return { customerId, sharedWith: sharedWith ?? [], ...(lastMergeId ? { lastMergeId } : {}) };
  }

  async function releaseIdentifier(identifier: Identifier, members: ReadonlySet<string>, holders: IdentifierOwner): Promise<Release> {
    const { customerId: owner, sharedWith } = holders;
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

  async function readTouchpoint(touchpointId: string): Promise<TouchpointRecord | undefined> {
    const locator = await readItem(touchpointLocatorKey(touchpointId));
    if (typeof locator?.customerId !== 'string' || typeof locator.occurredAt !== 'string') return undefined;
    const item = await readItem(touchpointKey(locator.customerId, locator.occurredAt, touchpointId));
    if (!item) return undefined;
    return { customerId: locator.customerId, position: String(item.sk), kind: 'touchpoint', touchpointId, stored: storedAttributes(item) };
  }

  async function readLocatorAnswer(touchpointId: string): Promise<StoredAttributes | undefined> {
    const locator = await readItem(touchpointLocatorKey(touchpointId));
    return locator?.result as StoredAttributes | undefined;
  }

  async function readMergeCandidate(customerIds: [string, string]): Promise<StoredMergeCandidate | undefined> {
    const item = await readItem(mergeCandidateKey(customerIds));
    if (!item) return undefined;
    return { lastTouchpointId: typeof item.lastTouchpointId === 'string' ? item.lastTouchpointId : undefined, stored: storedAttributes(item) };
  }

  /** An UpdateItem on an item that must still exist: false when it is gone. */
  async function updateExisting(key: Key, changes: AttributeChanges, asRead?: StoredAttributes): Promise<boolean> {
    try {
      await call(() => client.send(new UpdateCommand({ TableName: tableName, Key: key, ...rewriteOf(changes, asRead).build() })));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function rewriteLocatorAnswer(touchpointId: string, result: StoredAttributes): Promise<boolean> {
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

  /**
   * The card's attributes are rewritten on the card, the others on the profile, both under the
   * card's version (a card write meanwhile makes the caller read again).
   */
  async function rewriteProfileAttributes(customerId: string, attributes: StoredAttributes, expectedVersion: number | undefined): Promise<boolean> {
    const entries = Object.entries(attributes);
    if (entries.length === 0) return true;
    const onCard = entries.filter(([name]) => name in storedCardAttributes.shape);
    const onProfile = entries.filter(([name]) => !(name in storedCardAttributes.shape));
    const card = updateExpression();
    for (const [name, value] of onCard) card.set(name, value);
    card.when(
      '#entity = :card AND #version = :version',
      { ':card': cardEntity.name, ':version': expectedVersion },
      { '#entity': 'entity', '#version': 'version' },
    );
    const profile = updateExpression();
    for (const [name, value] of onProfile) profile.set(name, value);
    profile.when('#entity = :customer', { ':customer': profileEntity.name }, { '#entity': 'entity' });
    try {
      if (onProfile.length === 0) {
        await call(() => client.send(new UpdateCommand({ TableName: tableName, Key: cardKey(customerId), ...card.build() })));
      } else {
        const cardUpdate = onCard.length > 0 ? { Update: { TableName: tableName, Key: cardKey(customerId), ...card.build() } } : undefined;
        // With nothing of the card to rewrite, its version still guards the profile's rewrite.
        const cardGuard = {
          ConditionCheck: {
            TableName: tableName,
            Key: cardKey(customerId),
            ConditionExpression: '#entity = :card AND #version = :version',
            ExpressionAttributeNames: { '#entity': 'entity', '#version': 'version' },
            ExpressionAttributeValues: { ':card': cardEntity.name, ':version': expectedVersion },
          },
        };
        await call(() =>
          client.send(
            new TransactWriteCommand({
              TransactItems: [cardUpdate ?? cardGuard, { Update: { TableName: tableName, Key: profileKey(customerId), ...profile.build() } }],
            }),
          ),
        );
      }
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  /** Deletes by key; the profile or the card of a customer takes the other with it, in one transaction. */
  async function deleteRecords(records: DeletedRecord[]): Promise<number> {
    const keys = records.map(keyOf);
    let deleted = await deleteKeys(keys.filter((key) => !isCustomerItem(key)));
    const customers = new Set(keys.filter(isCustomerItem).map((key) => key.pk));
    for (const partition of customers) {
      const both = [
        { pk: partition, sk: profileKey('').sk },
        { pk: partition, sk: cardKey('').sk },
      ];
      await call(() => client.send(new TransactWriteCommand({ TransactItems: both.map((key) => ({ Delete: { TableName: tableName, Key: key } })) })));
      deleted += both.length;
    }
    return deleted;
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

  async function suppress(identifier: Identifier, createdAt: string, createdBy: string): Promise<void> {
    await call(() => client.send(new PutCommand({ TableName: tableName, Item: suppressionItem(identifier, createdAt, createdBy) })));
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
    readProfile: async (customerId) => {
      const items = await batchGetItems(client, tableName, [profileKey(customerId), cardKey(customerId)]);
      const itemAt = (key: Key) => items.find((item) => item.sk === key.sk);
      return profileOf(customerId, itemAt(profileKey(customerId)), itemAt(cardKey(customerId)));
    },
    markErasing,
    partitionPage,
    cursorCustomer,
    partitionStartCursor,
    mergePointers,
    readMergeRecords,
    readIdentifier,
    releaseIdentifier,
    readTouchpoint,
    readLocatorAnswer,
    readMergeCandidate,
    candidatePartners,
    rewriteTouchpoint: (touchpoint, changes) => updateExisting({ pk: customerPartition(touchpoint.customerId), sk: touchpoint.position }, changes),
    rewriteMergeRecord: (mergeId, changes, asRead) => updateExisting(mergeRecordKey(mergeId), changes, asRead),
    rewriteMergeCandidate: (customerIds, changes, asRead) => updateExisting(mergeCandidateKey(customerIds), changes, asRead),
    rewriteLocatorAnswer,
    rewriteProfileAttributes,
    deleteRecords,
    deleteKeys,
    suppressionHash: (identifier) => suppressionHash(identifier),
    suppress,
    putErasureReceipts,
    readErasureReceipt,
    deleteSuppression,
  };
}

function backOff(attempt: number): Promise<void> {
  const ceilingMs = Math.min(1_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ceilingMs / 2 + Math.random() * (ceilingMs / 2)));
}
