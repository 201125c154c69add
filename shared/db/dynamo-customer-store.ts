import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  CustomerPage,
  CustomerStore,
  ProfileChanges,
  CustomerView,
  IdempotencyRecord,
  IngestReadRequest,
  IngestReadResult,
  TierPageRequest,
  TouchpointWrite,
} from '../domain/customer-store.ts';
import type { TierName } from '../config/value-tiers.ts';
import type { CardState } from '../domain/card.ts';
import { StoreUnavailableError, ValidationError, WriteRejectedError } from '../domain/errors.ts';
import { identifierKey } from '../domain/identifiers.ts';
import type { IdentifierOwner } from '../domain/identity-store.ts';
import type { AttachedIdentifier, Customer, TimelinePage, TimelineQuery, Touchpoint } from '../domain/model.ts';
import {
  customerViewRange,
  identifierItemKey,
  idempotencyKey,
  isTimelineSortKey,
  type Key,
  mergeCandidateKey,
  mergeCandidatesIndexPartition,
  profileKey,
  tierIndexKeys,
  timelineRange,
  touchpointKey,
  touchpointLocatorKey,
} from './keys.ts';
import {
  isLiveProfile,
  newProfileItem,
  profileChangesUpdate,
  profileUpdate,
  toCard,
  toCustomer,
} from './profile-item.ts';
import { batchGetItems } from './batch-get.ts';
import { call, outcomeUnknown } from './store-errors.ts';
import { suppressionKeyOf } from './suppression.ts';
import { touchpointExpiresAt } from '../config/retention.ts';
import { SuppressedIdentifierError } from '../privacy/errors.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];
type Item = Record<string, unknown>;

/** Idempotency records outlive any sensible client retry schedule, then expire. */
const idempotencyRetentionSeconds = 30 * 24 * 60 * 60;

/** What each transaction item is for, so a cancellation reason can be read back as a domain outcome. */
type ItemRole = 'profile' | 'decided-by' | 'identifier' | 'touchpoint' | 'locator' | 'merge-candidate' | 'idempotency';

export function dynamoCustomerStore(client: DynamoDBDocumentClient, tableName: string): CustomerStore {
  async function readForIngest(request: IngestReadRequest): Promise<IngestReadResult> {
    const keys: Key[] = request.identifiers.map(identifierItemKey);
    if (request.customerId) keys.push(profileKey(request.customerId));
    if (request.idempotency) keys.push(idempotencyKey(request.idempotency.scope, request.idempotency.key));
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
    const profile = request.customerId ? items.get(keyString(profileKey(request.customerId))) : undefined;
    const idempotencyItem = request.idempotency
      ? items.get(keyString(idempotencyKey(request.idempotency.scope, request.idempotency.key)))
      : undefined;
    return {
      owners,
      ...(profile ? { directCustomer: { mergedInto: (profile.mergedInto as string | undefined) ?? null } } : {}),
      ...(idempotencyItem ? { idempotency: toIdempotencyRecord(idempotencyItem) } : {}),
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

    add('profile', profileWrite(write));
    if (write.decidedBy) {
      add('decided-by', {
        ConditionCheck: {
          TableName: tableName,
          Key: identifierItemKey(write.decidedBy.identifier),
          ConditionExpression: 'customerId = :customerId',
          ExpressionAttributeValues: { ':customerId': write.decidedBy.customerId },
        },
      });
    }
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
    add('touchpoint', {
      Put: {
        TableName: tableName,
        Item: {
          ...touchpointKey(touchpoint.customerId, touchpoint.occurredAt, touchpoint.touchpointId),
          entity: 'touchpoint',
          ...touchpoint,
          // Retention by channel (shared/config/retention.ts), enforced by DynamoDB TTL.
          expiresAt: touchpointExpiresAt(touchpoint.channel, touchpoint.occurredAt),
          // Lets an erase find the idempotency record, which names the customer in its stored result.
          ...(write.idempotency ? { idempotencyRef: { scope: write.idempotency.scope, key: write.idempotency.key } } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    add('locator', {
      Put: {
        TableName: tableName,
        Item: {
          ...touchpointLocatorKey(touchpoint.touchpointId),
          entity: 'touchpointLocator',
          touchpointId: touchpoint.touchpointId,
          customerId: touchpoint.customerId,
          occurredAt: touchpoint.occurredAt,
          expiresAt: touchpointExpiresAt(touchpoint.channel, touchpoint.occurredAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    for (const candidate of write.mergeCandidates) {
      const customerIds = [candidate.customerId, candidate.otherCustomerId].sort() as [string, string];
      add('merge-candidate', {
        Update: {
          TableName: tableName,
          Key: mergeCandidateKey(customerIds),
          UpdateExpression:
            'SET entity = :entity, customerIds = :customerIds, identifiers = :identifiers, lastTouchpointId = :touchpointId, ' +
            'detectedAt = if_not_exists(detectedAt, :detectedAt), lastSeenAt = :detectedAt, ' +
            '#status = if_not_exists(#status, :open), gsi1pk = :indexPartition, ' +
            'gsi1sk = if_not_exists(gsi1sk, :indexSort) ADD occurrences :one',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'mergeCandidate',
            ':customerIds': customerIds,
            ':identifiers': candidate.identifiers,
            ':touchpointId': candidate.touchpointId,
            ':detectedAt': candidate.detectedAt,
            ':open': 'open',
            ':indexPartition': mergeCandidatesIndexPartition,
            ':indexSort': `${candidate.detectedAt}#${customerIds.join('#')}`,
            ':one': 1,
          },
        },
      });
    }
    if (write.idempotency) {
      const { scope, key, requestFingerprint, result } = write.idempotency;
      add('idempotency', {
        Put: {
          TableName: tableName,
          Item: {
            ...idempotencyKey(scope, key),
            entity: 'idempotency',
            requestFingerprint,
            result,
            createdAt: touchpoint.receivedAt,
            expiresAt: Math.floor(Date.parse(touchpoint.receivedAt) / 1000) + idempotencyRetentionSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }

    try {
      await call(() => client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        throw rejectionOf(error, roles, write.customer.kind === 'new');
      }
      // Sent and unanswered: the transaction may have been applied.
      if (error instanceof StoreUnavailableError && outcomeUnknown(error)) {
        throw new StoreUnavailableError(undefined, { cause: error.cause, outcomeUnknown: true });
      }
      throw error;
    }
  }

  async function locateTouchpoint(touchpointId: string): Promise<{ customerId: string } | undefined> {
    const output = await call(() =>
      client.send(new GetCommand({ TableName: tableName, Key: touchpointLocatorKey(touchpointId), ConsistentRead: true })),
    );
    return typeof output.Item?.customerId === 'string' ? { customerId: output.Item.customerId } : undefined;
  }

  function profileWrite(write: TouchpointWrite): TransactItem {
    const { touchpoint, customer } = write;
    if (customer.kind === 'new') {
      return {
        Put: {
          TableName: tableName,
          Item: newProfileItem(touchpoint.customerId, customer.createdAt, customer.card, write.attach),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
    }
    return {
      Update: {
        TableName: tableName,
        ...profileUpdate(touchpoint.customerId, { ...write, customer }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async function readCard(customerId: string): Promise<CardState | undefined> {
    const output = await call(() =>
      client.send(new GetCommand({ TableName: tableName, Key: profileKey(customerId), ConsistentRead: true })),
    );
    return isLiveProfile(output.Item) ? toCard(output.Item) : undefined;
  }

  async function updateProfile(customerId: string, changes: ProfileChanges): Promise<Customer | undefined> {
    try {
      const output = await call(() =>
        client.send(new UpdateCommand({ TableName: tableName, ...profileChangesUpdate(customerId, changes), ReturnValues: 'ALL_NEW' })),
      );
      return output.Attributes ? toCustomer(output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async function listCustomersByTier(tier: string, page: TierPageRequest): Promise<CustomerPage> {
    const range = page.lastContactBetween;
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: range ? 'gsi1pk = :tier AND gsi1sk BETWEEN :from AND :to' : 'gsi1pk = :tier',
          ExpressionAttributeValues: {
            ':tier': tierIndexKeys(tier, '', '').gsi1pk,
            // The sort key is `<lastContactAt>#<customerId>`: a bare `to` sorts before every key of that instant.
            ...(range ? { ':from': range.from, ':to': range.to } : {}),
          },
          ScanIndexForward: false,
          Limit: page.limit,
          ...(page.cursor ? { ExclusiveStartKey: decodeIndexCursor(page.cursor, tierIndexKeys(tier, '', '').gsi1pk) } : {}),
        }),
      ),
    );
    return {
      items: (output.Items ?? []).filter(isLiveProfile).map(toCustomer),
      nextCursor: output.LastEvaluatedKey ? encodeIndexCursor(output.LastEvaluatedKey) : null,
    };
  }

  async function storeTier(customerId: string, expectedVersion: number, tier: { tier: TierName; tierRecency: number }): Promise<boolean> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey(customerId),
            // The version stays: a card write computed meanwhile recomputes the tier itself and must not be refused.
            UpdateExpression: 'SET tier = :tier, tierRecency = :tierRecency, gsi1pk = :gsi1pk',
            ConditionExpression: 'version = :expectedVersion AND attribute_not_exists(mergedInto)',
            ExpressionAttributeValues: {
              ':tier': tier.tier,
              ':tierRecency': tier.tierRecency,
              ':gsi1pk': tierIndexKeys(tier.tier, '', '').gsi1pk,
              ':expectedVersion': expectedVersion,
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
          Limit: recentCount + 1,
          ConsistentRead: true,
        }),
      ),
    );
    const [profile, ...touchpoints] = output.Items ?? [];
    if (!profile || profile.entity !== 'customer') return undefined;
    return {
      customer: toCustomer(profile),
      recent: touchpoints.map(toTouchpoint),
      ...(typeof profile.mergedInto === 'string' ? { mergedInto: profile.mergedInto } : {}),
    };
  }

  async function getTimelinePage(customerId: string, query: TimelineQuery): Promise<TimelinePage> {
    const range = timelineRange(query);
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
          ...(query.cursor ? { ExclusiveStartKey: decodeCursor(customerId, query.cursor, range) } : {}),
        }),
      ),
    );
    const items = (output.Items ?? []).map(toTouchpoint);
    const nextCursor = output.LastEvaluatedKey ? encodeCursor(customerId, output.LastEvaluatedKey as Key) : null;
    return { items, nextCursor };
  }

  return {
    readForIngest,
    recordTouchpoint,
    locateTouchpoint,
    readCard,
    updateProfile,
    listCustomersByTier,
    storeTier,
    getCustomerView,
    getTimelinePage,
  };
}

function keyString(key: Key): string {
  return `${key.pk}\u0000${key.sk}`;
}

function rejectionOf(error: TransactionCanceledException, roles: ItemRole[], isNewProfile: boolean): WriteRejectedError {
  const reasons = error.CancellationReasons ?? [];
  const failedRoles = new Set<ItemRole>();
  let contention = false;
  let profileNow: Item | undefined;
  reasons.forEach((reason, index) => {
    if (reason.Code === 'TransactionConflict') contention = true;
    if (reason.Code !== 'ConditionalCheckFailed') return;
    const role = roles[index];
    if (!role) return;
    failedRoles.add(role);
    if (role === 'profile' && reason.Item) profileNow = unmarshall(reason.Item);
  });
  // The touchpoint id is this request's own: its item or locator exists only if an earlier try landed.
  if (failedRoles.has('touchpoint') || failedRoles.has('locator')) return new WriteRejectedError('already-recorded', { cause: error });
  if (failedRoles.has('idempotency')) return new WriteRejectedError('idempotency-key-used', { cause: error });
  if (failedRoles.has('profile')) {
    // A failed card guard on a live customer: hand back the card as it is. Otherwise the customer
    // was merged away (name the survivor) or erased.
    const mergedInto = profileNow?.mergedInto;
    if (typeof mergedInto === 'string') return new WriteRejectedError('customer-merged', { cause: error, mergedInto });
    if (isLiveProfile(profileNow)) return new WriteRejectedError('card-stale', { cause: error, currentCard: toCard(profileNow) });
    // No profile at all (an update hands back the item as it was; none means none): erased.
    return new WriteRejectedError(profileNow === undefined && !isNewProfile ? 'customer-gone' : 'customer-changed', {
      cause: error,
    });
  }
  if (failedRoles.has('identifier') || failedRoles.has('decided-by')) return new WriteRejectedError('identifier-taken', { cause: error });
  if (contention) return new WriteRejectedError('contention', { cause: error });
  throw error;
}

function toIdempotencyRecord(item: Item): IdempotencyRecord {
  return {
    requestFingerprint: item.requestFingerprint as string,
    result: item.result as IdempotencyRecord['result'],
  };
}

export function toTouchpoint(item: Item): Touchpoint {
  return {
    touchpointId: item.touchpointId as string,
    customerId: item.customerId as string,
    channel: item.channel as Touchpoint['channel'],
    occurredAt: item.occurredAt as string,
    receivedAt: item.receivedAt as string,
    source: item.source as string,
    identifiers: item.identifiers as Touchpoint['identifiers'],
    summary: (item.summary as string | null | undefined) ?? null,
    details: item.details as Touchpoint['details'],
    ...(typeof item.value === 'number' ? { value: item.value } : {}),
    ...(item.ambiguity ? { ambiguity: item.ambiguity as Touchpoint['ambiguity'] } : {}),
  };
}

/** The Put that gives an identifier nobody holds yet to its first owner. */
export function newIdentifierPut(tableName: string, identifier: AttachedIdentifier, customerId: string) {
  return {
    TableName: tableName,
    Item: {
      ...identifierItemKey(identifier),
      entity: 'identifier',
      type: identifier.type,
      value: identifier.value,
      customerId,
      ...identifier.provenance,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export function toIdentifierOwner(item: Item): IdentifierOwner {
  return { customerId: item.customerId as string, sharedWith: (item.sharedWith as string[] | undefined) ?? [] };
}

function encodeIndexCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, key })).toString('base64url');
}

function decodeIndexCursor(cursor: string, indexPartition: string): Record<string, string> {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; key?: Record<string, unknown> };
    const key = decoded.key ?? {};
    const shapeOk = ['pk', 'sk', 'gsi1pk', 'gsi1sk'].every((name) => typeof key[name] === 'string');
    if (decoded.v === 1 && shapeOk && key.gsi1pk === indexPartition) return key as Record<string, string>;
  } catch {
    // Falls through: a damaged cursor is the caller's mistake.
  }
  throw new ValidationError([{ path: 'query.cursor', message: 'is not a cursor this API issued for this list' }]);
}

function encodeCursor(customerId: string, key: Key): string {
  return Buffer.from(JSON.stringify({ v: 1, customerId, sk: key.sk })).toString('base64url');
}

/** A cursor only continues the timeline it came from, and only inside the window asked for. */
function decodeCursor(customerId: string, cursor: string, range: { lower: string; upper: string }): Key {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; customerId?: unknown; sk?: unknown };
    const { sk } = decoded;
    if (
      decoded.v === 1 &&
      decoded.customerId === customerId &&
      typeof sk === 'string' &&
      isTimelineSortKey(sk) &&
      sk >= range.lower &&
      sk <= range.upper
    ) {
      return { pk: profileKey(customerId).pk, sk };
    }
  } catch {
    // Falls through to the validation error: a cursor is opaque, so any damage is the caller's.
  }
  throw new ValidationError([{ path: 'query.cursor', message: 'is not a cursor this API issued for this timeline and window' }]);
}
