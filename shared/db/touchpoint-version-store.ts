import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config/config.ts';
import { touchpointExpiresAt } from '../config/retention.ts';
import type { AmendOutcome, TouchpointVersionStore, UpstreamRef } from '../domain/versioned-touchpoints.ts';
import { touchpointIdFor } from '../domain/ids.ts';
import { documentClient } from './client.ts';
import { touchpointEntity, touchpointLocatorEntity } from './items/touchpoint.ts';
import { touchpointVersionEntity } from './items/touchpoint-version.ts';
import { call } from './store-errors.ts';

export function dynamoTouchpointVersionStore(client: DynamoDBDocumentClient, tableName: string, now: () => Date = () => new Date()): TouchpointVersionStore {
  const versionKey = (ref: UpstreamRef) => touchpointVersionEntity.key(ref.source, ref.upstreamId);

  async function get(key: { pk: string; sk: string }) {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
    return output.Item;
  }

  return {
    async readVersion(ref) {
      const item = await get(versionKey(ref));
      if (!item) return undefined;
      const { touchpointId, version } = touchpointVersionEntity.parse(item);
      return { touchpointId, version };
    },

    async ingestedTouchpoint(ref) {
      // An ingest under an Idempotency-Key records its touchpoint at the id the key stands for, with the key's record on its locator.
      const touchpointId = touchpointIdFor({ scope: ref.source, key: ref.upstreamId });
      return (await get(touchpointLocatorEntity.key(touchpointId))) ? touchpointId : undefined;
    },

    async noteFirstVersion(ref, noted) {
      const item = touchpointVersionEntity.item(versionKey(ref), {
        touchpointId: noted.touchpointId,
        version: noted.version,
        updatedAt: now().toISOString(),
        expiresAt: touchpointExpiresAt(noted.channel, noted.occurredAt),
      });
      try {
        await call(() => client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async amend(ref, change): Promise<AmendOutcome> {
      const item = touchpointVersionEntity.item(versionKey(ref), {
        touchpointId: change.touchpointId,
        version: change.version,
        updatedAt: now().toISOString(),
        expiresAt: touchpointExpiresAt(change.channel, change.occurredAt),
      });
      const noteVersion = {
        Put: {
          TableName: tableName,
          Item: item,
          ...(change.expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': change.expected } }),
        },
      };
      // A merge or move re-inserts the touchpoint under its new customer and points the locator there.
      const locatorItem = await get(touchpointLocatorEntity.key(change.touchpointId));
      const located = locatorItem ? touchpointLocatorEntity.parse(locatorItem) : undefined;
      const amendTouchpoint = located && {
        Update: {
          TableName: tableName,
          Key: touchpointEntity.key(located.customerId, located.occurredAt, change.touchpointId),
          UpdateExpression: 'SET summary = :summary, details = :details',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':summary': change.summary, ':details': change.details },
        },
      };
      try {
        await call(() => client.send(new TransactWriteCommand({ TransactItems: amendTouchpoint ? [noteVersion, amendTouchpoint] : [noteVersion] })));
        return amendTouchpoint ? 'amended' : 'touchpoint-gone';
      } catch (error) {
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed')) {
          return 'changed';
        }
        throw error;
      }
    },
  };
}

let instance: TouchpointVersionStore | undefined;

/** The store the Lambdas use: built on first use, reused for the process. */
export function touchpointVersionStore(): TouchpointVersionStore {
  instance ??= dynamoTouchpointVersionStore(documentClient(), config().TABLE_NAME);
  return instance;
}
