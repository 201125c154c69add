import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallSeen, PendingCallStore } from '../domain/pending-calls.ts';
import { pendingCallEntity } from './items/pending-call.ts';
import { call } from './store-errors.ts';

/** A CTI system reports a call within minutes; a day covers its retries, then the item expires. */
const keptSeconds = 24 * 60 * 60;

/** One UpdateItem per event: `if_not_exists` keeps the first of each kind, so redeliveries change nothing. */
export function dynamoPendingCallStore(client: DynamoDBDocumentClient, tableName: string): PendingCallStore {
  async function update(key: ReturnType<typeof pendingCallEntity.key>, expression: string, names: Record<string, string>, values: Record<string, unknown>) {
    const result = await call(() =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return pendingCallEntity.parse(result.Attributes ?? {});
  }

  return {
    async note(ref, kind, facts, now) {
      const item = await update(
        pendingCallEntity.key(ref.system, ref.callId),
        'SET #kind = if_not_exists(#kind, :facts), entity = :entity, expiresAt = if_not_exists(expiresAt, :expiresAt)',
        { '#kind': kind },
        { ':facts': facts, ':entity': pendingCallEntity.name, ':expiresAt': Math.floor(now.getTime() / 1000) + keptSeconds },
      );
      const { expiresAt: _expiresAt, ...seen } = item;
      return seen satisfies CallSeen;
    },
    async settle(ref, settled) {
      const item = await update(
        pendingCallEntity.key(ref.system, ref.callId),
        'SET #settled = if_not_exists(#settled, :settled)',
        { '#settled': 'settled' },
        { ':settled': settled },
      );
      return item.settled ?? settled;
    },
  };
}
