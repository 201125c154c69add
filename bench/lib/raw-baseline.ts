/**
 * The raw baseline: each benchmark operation done straight against DynamoDB with the fewest
 * calls the data model allows, and no HTTP, validation, recognition rules or middleware. It writes
 * the same items (profile and card, identifiers, touchpoint, locator, idempotency record) so capacity is
 * comparable; what it leaves out is what the API adds. Its speed is the limit on this machine.
 *
 * - ingest: one BatchGetItem (identifiers + idempotency key), one TransactWriteItems
 * - batch: its items one after another, each as an ingest (the API before it folded a sender's items)
 * - lookup by phone: GetItem (identifier) + Query (profile, card and 10 recent touchpoints)
 * - timeline page: one Query
 *
 * The floor is below that: the least any design must do, whatever its item set. An ingest is one
 * PutItem of a touchpoint item of the same size; a lookup (GetItem + Query) and a timeline page (one
 * Query) are already at their floor in the raw baseline.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { cardKey, customerViewRange, identifierItemKey, profileKey, timelineRange, touchpointKey, touchpointLocatorKey } from '../../shared/db/keys.ts';
import type { Identifier, IdentifierType } from '../../shared/domain/identifiers.ts';
import { newCustomerId, newRequestId, newTouchpointId, touchpointIdFor } from '../../shared/domain/ids.ts';
import type { IngestOperation, Operation } from './scenarios.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

const recentCount = 10;

export function rawOperations(client: DynamoDBDocumentClient, tableName: string) {
  async function ingest(operation: IngestOperation): Promise<void> {
    const { body } = operation;
    const identifiers: Identifier[] = Object.entries(body.identifiers).map(([type, value]) => ({
      type: type as IdentifierType,
      value: String(value),
    }));
    // The key's own touchpoint id: its locator is the idempotency record, as the API stores it.
    const touchpointId = touchpointIdFor({ scope: body.source, key: operation.idempotencyKey });
    const idempotency = touchpointLocatorKey(touchpointId);
    const read = await client.send(
      new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: [...identifiers.map(identifierItemKey), idempotency], ConsistentRead: true } },
      }),
    );
    const found = read.Responses?.[tableName] ?? [];
    if (found.some((item) => item.pk === idempotency.pk)) return;
    const owners = new Map(found.map((item) => [item.pk as string, item.customerId as string]));
    const owner = identifiers.map((identifier) => owners.get(identifierItemKey(identifier).pk)).find((id) => id !== undefined);
    const unowned = identifiers.filter((identifier) => !owners.has(identifierItemKey(identifier).pk));

    const now = new Date().toISOString();
    const customerId = owner ?? newCustomerId();
    const touchpoint = touchpointOf(body, touchpointId, customerId, now);
    const lastContact = { touchpointId: touchpoint.touchpointId, channel: body.channel, occurredAt: touchpoint.occurredAt, summary: touchpoint.summary };
    const attached = unowned.map((identifier) => ({
      ...identifier,
      provenance: { attachedAt: now, source: body.source, touchpointId: touchpoint.touchpointId, rule: owner ? 'seen-with-known-identifier' : 'first-contact' },
    }));
    const items: TransactItem[] = [];
    if (owner) {
      items.push({
        Update: {
          TableName: tableName,
          Key: cardKey(customerId),
          UpdateExpression: 'SET updatedAt = :now, lastContact = :lastContact ADD version :one, touchpointCount :one, countsByChannel.#channel :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#channel': body.channel },
          ExpressionAttributeValues: { ':now': now, ':lastContact': lastContact, ':one': 1 },
        },
      });
      // The profile only when identifiers attach, as the API writes it.
      if (attached.length > 0) {
        const names: Record<string, string> = {};
        const values: Record<string, unknown> = { ':now': now };
        const sets = ['updatedAt = :now'];
        attached.forEach((identifier, index) => {
          names[`#identifier${index}`] = `${identifier.type}#${identifier.value}`;
          values[`:identifier${index}`] = identifier;
          sets.push(`identifiers.#identifier${index} = :identifier${index}`);
        });
        items.push({
          Update: {
            TableName: tableName,
            Key: profileKey(customerId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        });
      }
    } else {
      items.push(
        put({
          ...profileKey(customerId),
          entity: 'customer',
          customerId,
          createdAt: now,
          updatedAt: now,
          identifiers: Object.fromEntries(attached.map((identifier) => [`${identifier.type}#${identifier.value}`, identifier])),
        }),
        put({
          ...cardKey(customerId),
          entity: 'card',
          customerId,
          updatedAt: now,
          version: 1,
          touchpointCount: 1,
          countsByChannel: { [body.channel]: 1 },
          lastContact,
        }),
      );
    }
    for (const identifier of attached) {
      items.push(
        put({ ...identifierItemKey(identifier), entity: 'identifier', type: identifier.type, value: identifier.value, customerId, ...identifier.provenance }),
      );
    }
    items.push(put(touchpointItem(touchpoint)));
    items.push(
      put({
        ...touchpointLocatorKey(touchpoint.touchpointId),
        entity: 'touchpointLocator',
        touchpointId: touchpoint.touchpointId,
        customerId,
        occurredAt: touchpoint.occurredAt,
        // A SHA-256 digest in base64url, as the API stores.
        requestFingerprint: 'x'.repeat(43),
        requestId: newRequestId(),
        result: { touchpointId: touchpoint.touchpointId, customerId, customerCreated: !owner },
      }),
    );
    await client.send(new TransactWriteCommand({ TransactItems: items }));

    function put(item: Record<string, unknown>): TransactItem {
      return { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
    }
  }

  async function lookupByPhone(phone: string): Promise<void> {
    const owner = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: identifierItemKey({ type: 'phone', value: phone }),
        ProjectionExpression: 'customerId',
        ConsistentRead: true,
      }),
    );
    const customerId = owner.Item?.customerId as string | undefined;
    if (!customerId) throw new Error(`Raw lookup: no customer has ${phone}`);
    await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
        ExpressionAttributeValues: { ':pk': profileKey(customerId).pk, ':lower': customerViewRange.lower, ':upper': customerViewRange.upper },
        ScanIndexForward: false,
        Limit: recentCount + 2,
        ConsistentRead: true,
      }),
    );
  }

  async function timelinePage(customerId: string, limit: number): Promise<void> {
    const range = timelineRange({});
    await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
        ExpressionAttributeValues: { ':pk': profileKey(customerId).pk, ':lower': range.lower, ':upper': range.upper },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
  }

  /** The floor of an ingest: the touchpoint item written once, nothing else (no identity, no card, no idempotency record). */
  async function ingestFloor(operation: IngestOperation): Promise<void> {
    const touchpoint = touchpointOf(operation.body, newTouchpointId(), newCustomerId(), new Date().toISOString());
    await client.send(new PutCommand({ TableName: tableName, Item: touchpointItem(touchpoint), ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  const execute =
    (ingestOperation: (operation: IngestOperation) => Promise<void>) =>
    (operation: Operation): Promise<void> => {
      switch (operation.kind) {
        case 'ingest':
          return ingestOperation(operation);
        case 'batch':
          return operation.items.reduce((done, item) => done.then(() => ingestOperation(item)), Promise.resolve());
        case 'lookup-phone':
          return lookupByPhone(operation.phone);
        case 'timeline':
          return timelinePage(operation.customerId, operation.limit);
      }
    };
  return { baseline: execute(ingest), floor: execute(ingestFloor) };
}

type IngestBody = IngestOperation['body'];

function touchpointOf(body: IngestBody, touchpointId: string, customerId: string, now: string) {
  return {
    touchpointId,
    customerId,
    channel: body.channel,
    occurredAt: body.occurredAt ?? now,
    receivedAt: now,
    source: body.source,
    identifiers: body.identifiers,
    summary: body.summary ?? null,
    details: body.details,
    ...(body.value === undefined ? {} : { value: body.value }),
  };
}

function touchpointItem(touchpoint: ReturnType<typeof touchpointOf>): Record<string, unknown> {
  return { ...touchpointKey(touchpoint.customerId, touchpoint.occurredAt, touchpoint.touchpointId), entity: 'touchpoint', ...touchpoint };
}

export interface LoadStats {
  requests: number;
  errors: number;
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p99: number; mean: number };
}

/**
 * A closed loop like autocannon's: `connections` workers, each starting its next operation as
 * soon as the last one finished, for `seconds`.
 */
export async function runClosedLoop(
  execute: (operation: Operation) => Promise<void>,
  next: () => Operation,
  options: { connections: number; seconds: number },
): Promise<LoadStats & { firstError?: unknown }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const startedAt = performance.now();
  const deadline = startedAt + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const operation = next();
      const began = performance.now();
      try {
        await execute(operation);
        latencies.push(performance.now() - began);
      } catch (error) {
        errors += 1;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - startedAt) / 1000;
  return { ...summarise(latencies, errors, seconds), ...(firstError ? { firstError } : {}) };
}

export function summarise(latencies: number[], errors: number, seconds: number): LoadStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? 0;
  return {
    requests: sorted.length,
    errors,
    seconds,
    throughput: sorted.length / seconds,
    latencyMs: { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length) },
  };
}
