import { BatchWriteCommand, DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { accessLogExpiresAt } from '../config/retention.ts';
import { accessLogKey, accessLogRange, customerPartition, type Key } from './keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns, matches } from './page-cursor.ts';
import { accessLogEntity } from './items/access-log.ts';
import { call } from './store-errors.ts';
import type { AccessLogEntry, AccessLogPage, AccessLogStore } from '../domain/access-log-store.ts';

const maxBatchAttempts = 6;

export function entryKey(entry: Pick<AccessLogEntry, 'customerId' | 'at' | 'entryId'>): Key {
  return accessLogKey(entry.customerId, entry.at, entry.entryId);
}

export function accessLogItem(entry: AccessLogEntry): Record<string, unknown> {
  return accessLogEntity.item(entryKey(entry), { ...entry, expiresAt: accessLogExpiresAt(new Date(entry.at)) });
}

export function dynamoAccessLogStore(client: DynamoDBDocumentClient, tableName: string): AccessLogStore {
  async function record(entry: AccessLogEntry): Promise<void> {
    await call(() => client.send(new PutCommand({ TableName: tableName, Item: accessLogItem(entry) })));
  }

  async function recordMany(entries: AccessLogEntry[]): Promise<void> {
    const chunks: AccessLogEntry[][] = [];
    for (let index = 0; index < entries.length; index += 25) chunks.push(entries.slice(index, index + 25));
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending = chunk.map((entry) => ({ PutRequest: { Item: accessLogItem(entry) } }));
        for (let attempt = 1; pending.length > 0; attempt += 1) {
          if (attempt > maxBatchAttempts) throw new Error('Read-audit entries stayed unprocessed');
          if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
          const output = await call(() => client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } })));
          pending = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        }
      }),
    );
  }

  async function remove(entry: AccessLogEntry): Promise<void> {
    await call(() => client.send(new DeleteCommand({ TableName: tableName, Key: entryKey(entry) })));
  }

  async function list(customerId: string, page: { limit: number; cursor?: string }): Promise<AccessLogPage> {
    const partition = customerPartition(customerId);
    const binding: CursorBinding = { list: 'access-log', scope: { customerId } };
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ExpressionAttributeValues: { ':pk': partition, ':lower': accessLogRange.lower, ':upper': accessLogRange.upper },
          ScanIndexForward: false,
          Limit: page.limit,
          ...(page.cursor
            ? {
                ExclusiveStartKey: decodePageCursor(page.cursor, binding, {
                  pk: equals(partition),
                  sk: matches(keyPatterns.accessLogSortKey),
                }),
              }
            : {}),
        }),
      ),
    );
    return { items: (output.Items ?? []).map(toEntry), nextCursor: encodePageCursor(binding, output.LastEvaluatedKey) };
  }

  return { record, recordMany, remove, list };
}

export function toEntry(item: Record<string, unknown>): AccessLogEntry {
  const { customerId, entryId, at, clientId, clientName, operation, via, requestId } = accessLogEntity.parse(item);
  return { customerId, entryId, at, clientId, clientName, operation, via: via ?? null, requestId };
}
