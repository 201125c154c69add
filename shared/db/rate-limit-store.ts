import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { rateWindowKey } from './keys.ts';
import { call } from './store-errors.ts';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimit {
  /** What is counted: a key id, or a hash of an anonymous id. */
  subject: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitStore {
  /** Counts one request against the limit's current window: one conditional UpdateItem. */
  take(limit: RateLimit, now?: Date): Promise<RateDecision>;
}

/**
 * Fixed windows counted in the table: the per-key and per-visitor limits of the web route, which
 * an HTTP API cannot hold itself (no usage plans, no AWS WAF). A refused request is not counted,
 * so a flood stops costing writes at the limit; the window's item expires by TTL.
 */
export function dynamoRateLimitStore(client: DynamoDBDocumentClient, tableName: string): RateLimitStore {
  return {
    async take(limit, now = new Date()) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % limit.windowSeconds);
      const windowEnd = windowStart + limit.windowSeconds;
      try {
        await call(() =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: rateWindowKey(limit.subject, windowStart),
              UpdateExpression: 'ADD hits :one SET entity = :entity, expiresAt = :expiresAt',
              ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
              ExpressionAttributeValues: { ':one': 1, ':entity': 'rateWindow', ':expiresAt': windowEnd + 60, ':limit': limit.limit },
            }),
          ),
        );
        return { allowed: true };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { allowed: false, retryAfterSeconds: Math.max(1, windowEnd - nowSeconds) };
        throw error;
      }
    },
  };
}
