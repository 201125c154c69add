import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  CustomerPage,
  CustomerStore,
  ProfileChanges,
  CustomerView,
  IngestReadRequest,
  IngestReadResult,
  LaneWrite,
  TierPageRequest,
  TimelineRead,
  TouchpointWrite,
} from '../domain/customer-store.ts';
import type { TierName } from '../domain/value-tiers.ts';
import type { CardState } from '../domain/card.ts';
import { maxIdentifiersPerCustomer } from '../domain/bounds.ts';
import { StoreUnavailableError, SuppressedIdentifierError } from '../domain/errors.ts';
import { WriteRejectedError } from '../domain/write-rejection.ts';
import { identifierKey } from '../domain/identifiers.ts';
import type { IdentifierOwner } from '../domain/identity-store.ts';
import type { AttachedIdentifier, Customer, TimelinePage, TimelineQuery, Touchpoint } from '../domain/model.ts';
import { maxMergeHops } from '../domain/read-customers.ts';
import {
  cardKey,
  customerViewRange,
  identifierItemKey,
  type Key,
  mergeCandidateKey,
  mergeCandidatesIndexPartition,
  profileKey,
  tierIndexKeys,
  tierIndexRange,
  timelineRange,
  touchpointKey,
  touchpointLocatorKey,
} from './keys.ts';
import { isLiveCard, isLiveProfile, laneCardUpdate, newCustomerItems, profileChangesUpdate, touchpointUpdates, toCard, toCustomer } from './profile-item.ts';
import { batchGetItems } from './batch-get.ts';
import { itemsOfIndexEntries } from './index-page.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, type KeyShape, keyPatterns, matches } from './page-cursor.ts';
import { notErasedCheck, touchpointCrossReferences } from './cross-references.ts';
import { call, outcomeUnknown } from './store-errors.ts';
import { suppressionKeyOf } from './suppression.ts';
import { touchpointExpiresAt } from '../config/retention.ts';
import { updateExpression } from './update-expression.ts';
import { identifierEntity } from './items/identifier.ts';
import { cardEntity } from './items/card.ts';
import { profileEntity } from './items/profile.ts';
import { type TouchpointItem, touchpointEntity, touchpointLocatorEntity } from './items/touchpoint.ts';
import { idempotencyRecordOf } from './idempotency-store.ts';
import { touchpointIdFor } from '../domain/ids.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];
type Item = Record<string, unknown>;

/** What each transaction item is for, so a cancellation reason can be read back as a domain outcome. */
type ItemRole =
  | 'card'
  | 'profile'
  | 'decided-by'
  | 'redirected-from'
  | 'joining'
  | 'identifier'
  | 'touchpoint'
  | 'locator'
  | 'merge-candidate'
  | 'cross-reference';

export function dynamoCustomerStore(client: DynamoDBDocumentClient, tableName: string): CustomerStore {
  async function readForIngest(request: IngestReadRequest): Promise<IngestReadResult> {
    const keys: Key[] = request.identifiers.map(identifierItemKey);
    // The card, not the profile: it carries the copy of `mergedInto` and the entity a writer tests, and is the smaller read.
    if (request.customerId) keys.push(cardKey(request.customerId));
    const recordKey = request.idempotency && touchpointLocatorKey(touchpointIdFor(request.idempotency));
    if (recordKey) keys.push(recordKey);
    const moreKeys = (request.moreIdempotency ?? []).map((ref) => ({ ref, key: touchpointLocatorKey(touchpointIdFor(ref)) }));
    keys.push(...moreKeys.map(({ key }) => key));
    // The suppression list rides in the same BatchGetItem: refusing an erased customer's identifiers costs no round trip.
    const suppressionKeys = request.identifiers.map(suppressionKeyOf);
    keys.push(...suppressionKeys);
    const items = await batchGet(keys);
    if (suppressionKeys.some((key) => items.has(keyString(key)))) throw new SuppressedIdentifierError();

    const owners = new Map<string, IdentifierOwner>();
    for (const identifier of request.identifiers) {
      const item = items.get(keyString(identifierItemKey(identifier)));
      if (typeof item?.customerId === 'string') owners.set(identifierKey(identifier), toIdentifierOwner(item));
    }
    const card = request.customerId ? items.get(keyString(cardKey(request.customerId))) : undefined;
    const idempotency = recordKey && idempotencyRecordOf(items.get(keyString(recordKey)));
    const keysUsed = moreKeys.filter(({ key }) => items.has(keyString(key))).map(({ ref }) => ref);
    return {
      owners,
      ...(request.moreIdempotency ? { keysUsed } : {}),
      // A card under erasure (shared/db/profile-item.ts) is nobody to record on.
      ...(cardEntity.is(card) ? { directCustomer: { mergedInto: cardEntity.parse(card).mergedInto ?? null } } : {}),
      ...(idempotency ? { idempotency } : {}),
    };
  }

  async function batchGet(keys: Key[]): Promise<Map<string, Item>> {
    const items = await batchGetItems(client, tableName, keys);
    return new Map(items.map((item) => [keyString(item as Key), item]));
  }

  async function recordTouchpoint(write: TouchpointWrite): Promise<void> {
    const { touchpoint } = write;
    const roles: ItemRole[] = [];
    const items: TransactItem[] = [];
    const add = (role: ItemRole, item: TransactItem) => {
      roles.push(role);
      items.push(item);
    };

    for (const [role, item] of customerWrites(write)) add(role, item);
    if (write.decidedBy) add('decided-by', decidedByCheck(write.decidedBy));
    if (write.redirectedFrom) {
      add('redirected-from', {
        ConditionCheck: {
          TableName: tableName,
          Key: cardKey(write.redirectedFrom.customerId),
          ConditionExpression: 'mergedInto = :survivor',
          ExpressionAttributeValues: { ':survivor': write.redirectedFrom.mergedInto },
        },
      });
    }
    // Its mention may not land in the partition of a profile an erase has begun on (or finished).
    for (const customerId of write.joining ?? []) add('joining', notErasedCheck(tableName, customerId));
    const reclaimedFrom = new Map((write.reclaimed ?? []).map(({ identifier, from }) => [identifierKey(identifier), from]));
    for (const identifier of write.attach) {
      const from = reclaimedFrom.get(identifierKey(identifier));
      const put = newIdentifierPut(tableName, identifier, touchpoint.customerId);
      if (from === undefined) {
        add('identifier', { Put: put });
        continue;
      }
      // Taken over from a customer that no longer exists: only while the item still names it and its profile is gone.
      add('identifier', { Put: { ...put, ConditionExpression: 'customerId = :gone', ExpressionAttributeValues: { ':gone': from } } });
      add('identifier', { ConditionCheck: { TableName: tableName, Key: profileKey(from), ConditionExpression: 'attribute_not_exists(pk)' } });
    }
    add('touchpoint', touchpointPut(write));
    add('locator', locatorPut(write));
    for (const candidate of write.mergeCandidates) {
      const customerIds = [candidate.customerId, candidate.otherCustomerId].sort() as [string, string];
      add('merge-candidate', {
        Update: {
          TableName: tableName,
          Key: mergeCandidateKey(customerIds),
          ...updateExpression()
            .set('entity', 'mergeCandidate')
            .set('customerIds', customerIds)
            .set('identifiers', candidate.identifiers)
            .set('lastTouchpointId', candidate.touchpointId)
            .setIfMissing('detectedAt', candidate.detectedAt)
            .set('lastSeenAt', candidate.detectedAt)
            // A candidate staff dismissed (or merged) stays so; an undo's reopen removes the status.
            .setIfMissing('status', 'open')
            .set('gsi1pk', mergeCandidatesIndexPartition)
            .setIfMissing('gsi1sk', `${candidate.detectedAt}#${customerIds.join('#')}`)
            .add('occurrences', 1)
            .build(),
        },
      });
    }
    // Pointers for erase and export (shared/db/cross-references.ts): written with what they point to.
    for (const item of touchpointCrossReferences(tableName, write)) add('cross-reference', item);

    try {
      await call(() => client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        throw rejectionOf(error, roles, write);
      }
      throw sentAndUnanswered(error);
    }
  }

  async function recordTouchpoints(write: LaneWrite): Promise<void> {
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tableName,
          ...laneCardUpdate(write.customerId, write.receivedAt, write.card),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...(write.decidedBy ? [decidedByCheck(write.decidedBy)] : []),
      ...write.touchpoints.flatMap((one) => [touchpointPut(one), locatorPut(one)]),
    ];
    try {
      await call(() => client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw sentAndUnanswered(error);
      // Only the card's guards on a live customer are worth a second try (the exact card); any other refusal is the caller's to sort out one by one.
      const [card, ...others] = error.CancellationReasons ?? [];
      const cardNow = card?.Code === 'ConditionalCheckFailed' && card.Item ? unmarshall(card.Item) : undefined;
      const onlyTheCard = others.every((reason) => reason.Code === 'None' || reason.Code === undefined);
      if (onlyTheCard && isLiveCard(cardNow)) throw new WriteRejectedError('card-stale', { cause: error, currentCard: toCard(cardNow) });
      throw new WriteRejectedError('customer-changed', { cause: error });
    }
  }

  function decidedByCheck(decidedBy: NonNullable<TouchpointWrite['decidedBy']>): TransactItem {
    return {
      ConditionCheck: {
        TableName: tableName,
        Key: identifierItemKey(decidedBy.identifier),
        ConditionExpression: 'customerId = :customerId',
        ExpressionAttributeValues: { ':customerId': decidedBy.customerId },
      },
    };
  }

  function touchpointPut({ touchpoint }: Pick<TouchpointWrite, 'touchpoint'>): TransactItem {
    return {
      Put: {
        TableName: tableName,
        Item: touchpointEntity.item(touchpointEntity.key(touchpoint.customerId, touchpoint.occurredAt, touchpoint.touchpointId), {
          ...touchpoint,
          // Retention by channel (shared/config/retention.ts), enforced by DynamoDB TTL.
          expiresAt: touchpointExpiresAt(touchpoint.channel, touchpoint.occurredAt),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  function locatorPut({ touchpoint, idempotency }: Pick<TouchpointWrite, 'touchpoint' | 'idempotency'>): TransactItem {
    return {
      Put: {
        TableName: tableName,
        Item: touchpointLocatorEntity.item(touchpointLocatorEntity.key(touchpoint.touchpointId), {
          touchpointId: touchpoint.touchpointId,
          customerId: touchpoint.customerId,
          occurredAt: touchpoint.occurredAt,
          expiresAt: touchpointExpiresAt(touchpoint.channel, touchpoint.occurredAt),
          ...(idempotency ? { requestFingerprint: idempotency.requestFingerprint, requestId: idempotency.requestId, result: idempotency.result } : {}),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
        // Under a key's own id, whose request holds it tells a retry that landed from a twin request.
        ...(idempotency ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
      },
    };
  }

  async function locateTouchpoint(touchpointId: string): Promise<{ customerId: string } | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: touchpointLocatorKey(touchpointId), ConsistentRead: true })));
    // A discarded touchpoint's receipt under the same key is no touchpoint stored.
    if (!touchpointLocatorEntity.is(output.Item)) return undefined;
    const idempotency = idempotencyRecordOf(output.Item);
    return { customerId: touchpointLocatorEntity.parse(output.Item).customerId, ...(idempotency ? { idempotency } : {}) };
  }

  /** The customer's items a touchpoint writes: a new customer's card and profile, or the card (and the profile when identity changes). */
  function customerWrites(write: TouchpointWrite): Array<[ItemRole, TransactItem]> {
    const { touchpoint, customer } = write;
    if (customer.kind === 'new') {
      const created = newCustomerItems(touchpoint.customerId, customer.createdAt, customer.card, write.attach);
      const put = (item: Item): TransactItem => ({ Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } });
      return [
        ['card', put(created.card)],
        ['profile', put(created.profile)],
      ];
    }
    const updates = touchpointUpdates(touchpoint.customerId, { ...write, customer });
    const update = (parts: (typeof updates)['card']): TransactItem => ({
      Update: { TableName: tableName, ...parts, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    });
    return [['card', update(updates.card)], ...(updates.profile ? [['profile', update(updates.profile)] as [ItemRole, TransactItem]] : [])];
  }

  async function readCard(customerId: string): Promise<CardState | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: cardKey(customerId), ConsistentRead: true })));
    return isLiveCard(output.Item) ? toCard(output.Item) : undefined;
  }

  async function updateProfile(customerId: string, changes: ProfileChanges): Promise<Customer | undefined> {
    try {
      // The card is read beside the update (it changes nothing on it): the answer shows the whole customer.
      const [output, card] = await Promise.all([
        call(() => client.send(new UpdateCommand({ TableName: tableName, ...profileChangesUpdate(customerId, changes), ReturnValues: 'ALL_NEW' }))),
        call(() => client.send(new GetCommand({ TableName: tableName, Key: cardKey(customerId), ConsistentRead: true }))),
      ]);
      return output.Attributes && cardEntity.is(card.Item) ? toCustomer(output.Attributes, card.Item) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async function listCustomersByTier(tier: string, page: TierPageRequest): Promise<CustomerPage> {
    const range = page.lastContactBetween;
    // The index knows the day of the last contact only: it reads the range's whole days, the cards say which are in it.
    const days = range && tierIndexRange(range.from, range.to);
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: days ? 'gsi1pk = :tier AND gsi1sk BETWEEN :from AND :to' : 'gsi1pk = :tier',
          ExpressionAttributeValues: {
            ':tier': tierIndexKeys(tier, '', '').gsi1pk,
            ...(days ? { ':from': days.lower, ':to': days.upper } : {}),
          },
          ScanIndexForward: false,
          Limit: page.limit,
          ...(page.cursor ? { ExclusiveStartKey: decodePageCursor(page.cursor, tierCursorBinding(tier, page), tierKeyShape(tier)) } : {}),
        }),
      ),
    );
    const entries = output.Items ?? [];
    // The index lists cards; each card's profile comes in the same BatchGetItem.
    const customers = withinPageBytes(await itemsOfIndexEntries(client, tableName, entries, (card) => profileKey(customerIdOf(card))));
    const whole = customers.cutAfter === undefined;
    const inRange = (customer: Customer) => !range || isWithin(customer.card.lastContact?.occurredAt, range);
    return {
      items: customers.items
        .flatMap(({ item, companion }) => (isLiveCard(item) && profileEntity.is(companion) ? [toCustomer(companion, item)] : []))
        .filter(inRange),
      nextCursor: encodePageCursor(tierCursorBinding(tier, page), whole ? output.LastEvaluatedKey : indexPosition(entries, customers.cutAfter)),
    };
  }

  async function storeTier(customerId: string, expectedVersion: number, tier: { tier: TierName; tierRecency: number }): Promise<boolean> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: cardKey(customerId),
            // The version stays: a card write computed meanwhile recomputes the tier itself and must not be refused.
            ...updateExpression()
              .set('tier', tier.tier)
              .set('tierRecency', tier.tierRecency)
              .set('gsi1pk', tierIndexKeys(tier.tier, '', '').gsi1pk)
              .when('version = :expectedVersion AND attribute_not_exists(mergedInto)', { ':expectedVersion': expectedVersion })
              .build(),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function getCustomerView(customerId: string, recentCount: number): Promise<CustomerView | undefined> {
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ExpressionAttributeValues: {
            ':pk': profileKey(customerId).pk,
            ':lower': customerViewRange.lower,
            ':upper': customerViewRange.upper,
          },
          ScanIndexForward: false,
          // The profile, then the card (`Z#CARD` sorts just below `Z#PROFILE`), then the newest touchpoints.
          Limit: recentCount + 2,
          ConsistentRead: true,
        }),
      ),
    );
    const [profile, card, ...touchpoints] = output.Items ?? [];
    if (!profileEntity.is(profile) || !cardEntity.is(card)) return undefined;
    return {
      customer: toCustomer(profile, card),
      recent: touchpoints.map(toTouchpoint),
      ...(typeof profile.mergedInto === 'string' ? { mergedInto: profile.mergedInto } : {}),
    };
  }

  /**
   * A page of the timeline asked for, newest first, whole even while a merge moves it: the
   * customer's partition is read first, then its profile. A merge marks the source before it moves
   * a single touchpoint, so an unmarked profile read after the touchpoints means the read missed
   * nothing; a marked one sends the read on to the survivor's partition from the same position (a
   * timeline position names no customer), and the partitions' pages are merged into one.
   */
  async function getTimelinePage(customerId: string, query: TimelineQuery): Promise<TimelineRead> {
    const range = timelineRange(query);
    const binding = timelineCursorBinding(customerId, query);
    const after = query.cursor ? decodePageCursor(query.cursor, binding, timelineKeyShape(range)).sk : undefined;
    const reads: PartitionPage[] = [];
    let current = customerId;
    for (let hops = 0; hops <= maxMergeHops; hops += 1) {
      reads.push(await timelinePartitionPage(current, query, range, after));
      const state = await mergeState(current);
      if (!state) return { ...mergedPages(reads, query.limit, binding), holder: undefined };
      if (!state.mergedInto) return { ...mergedPages(reads, query.limit, binding), holder: current };
      current = state.mergedInto;
    }
    return { ...mergedPages(reads, query.limit, binding), holder: undefined };
  }

  async function timelinePartitionPage(
    customerId: string,
    query: TimelineQuery,
    range: { lower: string; upper: string },
    after: string | undefined,
  ): Promise<PartitionPage> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ':pk': profileKey(customerId).pk,
      ':lower': range.lower,
      ':upper': range.upper,
    };
    let filter: string | undefined;
    if (query.channels?.length) {
      names['#channel'] = 'channel';
      query.channels.forEach((channel, index) => {
        values[`:channel${index}`] = channel;
      });
      filter = `#channel IN (${query.channels.map((_, index) => `:channel${index}`).join(', ')})`;
    }
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ...(filter ? { FilterExpression: filter, ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit,
          ConsistentRead: true,
          ...(after ? { ExclusiveStartKey: { pk: profileKey(customerId).pk, sk: after } } : {}),
        }),
      ),
    );
    return { items: (output.Items ?? []).map(toTouchpoint), frontier: (output.LastEvaluatedKey as Key | undefined)?.sk };
  }

  /** Whether a customer exists and whether it was merged away; undefined when there is no such customer. */
  async function mergeState(customerId: string): Promise<{ mergedInto: string | undefined } | undefined> {
    const output = await call(() =>
      client.send(
        new GetCommand({
          TableName: tableName,
          Key: profileKey(customerId),
          ProjectionExpression: 'entity, mergedInto',
          ConsistentRead: true,
        }),
      ),
    );
    if (!profileEntity.is(output.Item)) return undefined;
    return { mergedInto: typeof output.Item.mergedInto === 'string' ? output.Item.mergedInto : undefined };
  }

  return {
    readForIngest,
    recordTouchpoint,
    recordTouchpoints,
    locateTouchpoint,
    readCard,
    updateProfile,
    listCustomersByTier,
    storeTier,
    getCustomerView,
    getTimelinePage,
  };
}

/**
 * The bytes of items one page of a list may carry: what a Query stops at by itself. The keys-only
 * index no longer stops the tier list's Query there (its entries are small), and 200 profiles of up
 * to about 100 KB each would make an answer far past what a Lambda may return (6 MB).
 */
export const maxPageItemBytes = 1024 * 1024;

type ListedItem = { item: Item; companion?: Item };

/** The items (with their companions) in order up to the page's byte budget, at least one; `cutAfter` is the last one kept when the budget cut the page short. */
function withinPageBytes(items: ListedItem[]): { items: ListedItem[]; cutAfter?: Item } {
  let bytes = 0;
  for (const [index, listed] of items.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(listed));
    if (bytes > maxPageItemBytes && index > 0) return { items: items.slice(0, index), cutAfter: items[index - 1]?.item };
  }
  return { items };
}

/** The customer whose partition an item is in (index entries carry keys only). */
function customerIdOf(key: Key): string {
  return key.pk.slice(profileKey('').pk.length);
}

/** At `from` or later, before `to` (ISO instants compare as strings). */
function isWithin(instant: string | undefined, range: { from: string; to: string }): boolean {
  return instant !== undefined && instant >= range.from && instant < range.to;
}

/** Where the index listed an item: the start key that continues the list right after it. */
function indexPosition(entries: Item[], item: Item | undefined): Item | undefined {
  const entry = entries.find((candidate) => candidate.pk === item?.pk && candidate.sk === item?.sk);
  return entry && { pk: entry.pk, sk: entry.sk, gsi1pk: entry.gsi1pk, gsi1sk: entry.gsi1sk };
}

/** A write's failure, marked as one that may have been applied when it was sent and no answer came. */
function sentAndUnanswered(error: unknown): unknown {
  if (error instanceof StoreUnavailableError && outcomeUnknown(error))
    return new StoreUnavailableError(undefined, { cause: error.cause, outcomeUnknown: true });
  return error;
}

function keyString(key: Key): string {
  return `${key.pk}\u0000${key.sk}`;
}

function rejectionOf(error: TransactionCanceledException, roles: ItemRole[], write: TouchpointWrite): WriteRejectedError {
  const attaching = write.attach.length;
  const isNewProfile = write.customer.kind === 'new';
  const reasons = error.CancellationReasons ?? [];
  const failedRoles = new Set<ItemRole>();
  let contention = false;
  let cardNow: Item | undefined;
  let profileNow: Item | undefined;
  let locatorNow: Item | undefined;
  reasons.forEach((reason, index) => {
    if (reason.Code === 'TransactionConflict') contention = true;
    if (reason.Code !== 'ConditionalCheckFailed') return;
    const role = roles[index];
    if (!role) return;
    failedRoles.add(role);
    if (role === 'card' && reason.Item) cardNow = unmarshall(reason.Item);
    if (role === 'profile' && reason.Item) profileNow = unmarshall(reason.Item);
    if (role === 'locator' && reason.Item) locatorNow = unmarshall(reason.Item);
  });
  // Under an Idempotency-Key the id is the key's: held by another request (a twin, a discard), the key was used first.
  if (write.idempotency && failedRoles.has('locator') && locatorNow?.requestId !== write.idempotency.requestId) {
    return new WriteRejectedError('idempotency-key-used', { cause: error });
  }
  // Otherwise the touchpoint id is this request's own: its item or locator exists only if an earlier try landed.
  if (failedRoles.has('touchpoint') || failedRoles.has('locator')) return new WriteRejectedError('already-recorded', { cause: error });
  // The merge the write followed was undone meanwhile: the customer named is live again. Or an
  // anonymous profile to join is being erased: read again, it is nobody.
  if (failedRoles.has('redirected-from') || failedRoles.has('joining')) return new WriteRejectedError('customer-changed', { cause: error });
  if (failedRoles.has('card') || failedRoles.has('profile')) {
    // Each item's guards are read from the item that failed them: the card's (live, not merged
    // away, the card's own guards) and the profile's (the identifier bound). A failed card guard on
    // a live customer hands back the card as it is; otherwise the customer was merged away (name
    // the survivor) or erased.
    const mergedInto = cardNow?.mergedInto ?? profileNow?.mergedInto;
    if (typeof mergedInto === 'string') return new WriteRejectedError('customer-merged', { cause: error, mergedInto });
    const held = isLiveProfile(profileNow) ? Object.keys(profileEntity.parse(profileNow).identifiers ?? {}).length : 0;
    if (isLiveProfile(profileNow) && attaching > 0 && held + attaching > maxIdentifiersPerCustomer) {
      return new WriteRejectedError('identifiers-full', { cause: error });
    }
    if (isLiveCard(cardNow)) return new WriteRejectedError('card-stale', { cause: error, currentCard: toCard(cardNow) });
    // No item at all (an update hands back the item as it was; none means none): erased.
    const failedNow = failedRoles.has('card') ? cardNow : profileNow;
    return new WriteRejectedError(failedNow === undefined && !isNewProfile ? 'customer-gone' : 'customer-changed', {
      cause: error,
    });
  }
  if (failedRoles.has('identifier') || failedRoles.has('decided-by')) return new WriteRejectedError('identifier-taken', { cause: error });
  if (contention) return new WriteRejectedError('contention', { cause: error });
  throw error;
}

export function toTouchpoint(item: Item): Touchpoint {
  return touchpointOf(touchpointEntity.parse(item));
}

export function touchpointOf(touchpoint: TouchpointItem): Touchpoint {
  return {
    touchpointId: touchpoint.touchpointId,
    customerId: touchpoint.customerId,
    channel: touchpoint.channel,
    occurredAt: touchpoint.occurredAt,
    receivedAt: touchpoint.receivedAt,
    source: touchpoint.source,
    identifiers: touchpoint.identifiers,
    summary: touchpoint.summary ?? null,
    details: touchpoint.details,
    ...(touchpoint.value === undefined ? {} : { value: touchpoint.value }),
    ...(touchpoint.ambiguity ? { ambiguity: touchpoint.ambiguity } : {}),
  };
}

/** The Put that gives an identifier nobody holds yet to its first owner. */
export function newIdentifierPut(tableName: string, identifier: AttachedIdentifier, customerId: string) {
  return {
    TableName: tableName,
    Item: identifierEntity.item(identifierEntity.key(identifier), {
      type: identifier.type,
      value: identifier.value,
      customerId,
      ...identifier.provenance,
    }),
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export function toIdentifierOwner(item: Item): IdentifierOwner {
  const { customerId, sharedWith } = identifierEntity.parse(item);
  return { customerId, sharedWith: sharedWith ?? [] };
}

function tierCursorBinding(tier: string, page: TierPageRequest): CursorBinding {
  return { list: 'tier', scope: { tier, from: page.lastContactBetween?.from ?? '', to: page.lastContactBetween?.to ?? '' } };
}

function tierKeyShape(tier: string): KeyShape {
  return {
    pk: matches(keyPatterns.customerPartition),
    sk: equals(cardKey('').sk),
    gsi1pk: equals(tierIndexKeys(tier, '', '').gsi1pk),
    gsi1sk: matches(keyPatterns.tierIndexSortKey),
  };
}

/** A timeline cursor continues the timeline asked for, with the same filter, and nothing else. */
function timelineCursorBinding(customerId: string, query: TimelineQuery): CursorBinding {
  return {
    list: 'timeline',
    scope: { customerId, channels: [...(query.channels ?? [])].sort().join(','), from: query.from ?? '', to: query.to ?? '' },
  };
}

/** The touchpoint to start after: inside the window, so DynamoDB never sees a start key outside the range it queries. */
function timelineKeyShape(range: { lower: string; upper: string }): KeyShape {
  return { sk: (sk) => keyPatterns.timelineSortKey.test(sk) && sk >= range.lower && sk <= range.upper };
}

/** One partition's part of a timeline page: its touchpoints, and where DynamoDB stopped (undefined: at its end). */
interface PartitionPage {
  items: Touchpoint[];
  frontier: string | undefined;
}

const timelineSortKey = (touchpoint: Touchpoint) => touchpointKey(touchpoint.customerId, touchpoint.occurredAt, touchpoint.touchpointId).sk;

/**
 * The pages of the partitions a timeline spans, as one: newest first, each touchpoint once (one
 * caught mid-move is in both), and only down to the highest point where a partition's read
 * stopped, below which that partition is unread. The cursor is where the page ends.
 */
function mergedPages(reads: PartitionPage[], limit: number, binding: CursorBinding): TimelinePage {
  const frontiers = reads.flatMap((read) => (read.frontier === undefined ? [] : [read.frontier]));
  const frontier = frontiers.sort().at(-1);
  const byId = new Map<string, Touchpoint>();
  for (const touchpoint of reads.flatMap((read) => read.items)) {
    if (frontier === undefined || timelineSortKey(touchpoint) >= frontier) byId.set(touchpoint.touchpointId, touchpoint);
  }
  const eligible = [...byId.values()].sort((a, b) => (timelineSortKey(a) < timelineSortKey(b) ? 1 : -1));
  const items = eligible.slice(0, limit);
  const last = items.at(-1);
  const resumeAfter = eligible.length > limit && last ? timelineSortKey(last) : frontier;
  return { items, nextCursor: resumeAfter === undefined ? null : encodePageCursor(binding, { sk: resumeAfter }) };
}
