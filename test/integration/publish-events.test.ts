import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishEvents } from '../../functions/publish-events/handler.ts';
import { createDocumentClient, createDynamoDbClient } from '../../shared/db/client.ts';
import { ensureTable } from '../../shared/db/create-table.ts';
import type { DomainEvent } from '../../shared/events/event-schemas.ts';
import { type EventSink, eventBridgeSink, type PublishOutcome } from '../../shared/events/event-sink.ts';

const tableName = process.env.TABLE_NAME!;
const clientOptions = {
  endpoint: process.env.DYNAMODB_ENDPOINT!,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const dynamoDb = createDynamoDbClient(clientOptions);
const documents = createDocumentClient(clientOptions);
const streams = new DynamoDBStreamsClient(clientOptions);
let stream: StreamReader;

/**
 * Reads the table's stream from where the last read stopped, like a Lambda event source mapping.
 * It keeps the last sequence number read per shard, not an iterator: DynamoDB Local answers
 * TrimmedDataAccessException to an iterator taken while its shard was still empty.
 */
class StreamReader {
  private readonly lastSequenceNumbers = new Map<string, string>();

  constructor(readonly streamArn: string) {}

  async readNew(): Promise<DynamoDBRecord[]> {
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    const records: StreamsRecord[] = [];
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      const lastSequenceNumber = this.lastSequenceNumbers.get(shardId);
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: shardId,
            ...(lastSequenceNumber
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastSequenceNumber }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        const pageRecords = page.Records ?? [];
        if (pageRecords.length === 0) break;
        records.push(...pageRecords);
        this.lastSequenceNumbers.set(shardId, pageRecords.at(-1)!.dynamodb!.SequenceNumber!);
        iterator = page.NextShardIterator;
      }
    }
    const bySequence = (a: StreamsRecord, b: StreamsRecord) => Number(BigInt(a.dynamodb!.SequenceNumber!) - BigInt(b.dynamodb!.SequenceNumber!));
    return records.sort(bySequence).map((record) => this.toLambdaRecord(record));
  }

  /** The shape Lambda hands the function: epoch seconds, and the stream ARN as the event source. */
  private toLambdaRecord(record: StreamsRecord): DynamoDBRecord {
    const { ApproximateCreationDateTime, NewImage, OldImage, ...rest } = record.dynamodb!;
    return {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: record.awsRegion,
      eventSourceARN: this.streamArn,
      dynamodb: {
        ...(rest as NonNullable<DynamoDBRecord['dynamodb']>),
        ...(NewImage && { NewImage: repairEmptyMaps(NewImage) }),
        ...(OldImage && { OldImage: repairEmptyMaps(OldImage) }),
        ...(ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }),
      },
    };
  }
}

/**
 * DynamoDB Local (3.3.0) writes an empty map attribute into stream records as `{}` instead of
 * `{"M":{}}`, which no unmarshaller accepts; DynamoDB itself, and so Lambda, send `{"M":{}}`.
 */
function repairEmptyMaps(image: Record<string, unknown>): Record<string, AttributeValue> {
  const repair = (value: unknown): unknown => {
    if (!value || typeof value !== 'object') return value;
    if (Object.keys(value).length === 0) return { M: {} };
    const attribute = value as { M?: Record<string, unknown>; L?: unknown[] };
    if (attribute.M) return { M: Object.fromEntries(Object.entries(attribute.M).map(([key, inner]) => [key, repair(inner)])) };
    if (attribute.L) return { L: attribute.L.map(repair) };
    return value;
  };
  return Object.fromEntries(Object.entries(image).map(([key, value]) => [key, repair(value)])) as Record<string, AttributeValue>;
}

/** An EventSink that keeps what it was given; `reject` picks entries to fail, `failCall` a call to throw on. */
function recordingSink(options: { reject?: (event: DomainEvent) => boolean; failCall?: number } = {}) {
  const calls: DomainEvent[][] = [];
  const accepted: DomainEvent[] = [];
  const sink: EventSink = {
    async publish(events) {
      calls.push([...events]);
      if (calls.length === options.failCall) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return events.map((event): PublishOutcome => {
        if (options.reject?.(event)) return { ok: false, errorCode: 'InternalFailure', errorMessage: 'rejected by test' };
        accepted.push(event);
        return { ok: true };
      });
    },
  };
  return { sink, calls, accepted };
}

const ids = () => randomUUID().replaceAll('-', '').slice(0, 12);
const now = () => new Date().toISOString();

function touchpointItem(customerId: string, touchpointId = `tp_${ids()}`) {
  const occurredAt = now();
  return {
    pk: `CUST#${customerId}`,
    sk: `T#${occurredAt}#${touchpointId}`,
    entity: 'touchpoint',
    touchpointId,
    customerId,
    channel: 'email',
    occurredAt,
    receivedAt: occurredAt,
    source: 'mail-gateway',
    identifiers: { email: `${touchpointId}@example.com` },
    summary: 'Question about an invoice',
    details: { direction: 'inbound' },
  };
}

async function put(item: Record<string, unknown>): Promise<void> {
  await documents.send(new PutCommand({ TableName: tableName, Item: item }));
}

const eventOf = (records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
const detailTypes = (events: DomainEvent[]) => events.map((event) => event.detailType);

beforeAll(async () => {
  await ensureTable(dynamoDb, tableName);
  const table = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
  stream = new StreamReader(table.Table!.LatestStreamArn!);
});

beforeEach(async () => {
  // Each test sees only the records of its own writes.
  await stream.readNew();
});

afterAll(() => {
  documents.destroy();
  streams.destroy();
});

describe('publishEvents on the DynamoDB Local stream', () => {
  it('publishes one event per domain change, in stream order, and ignores the rest', async () => {
    const customerId = `cus_${ids()}`;
    const otherCustomerId = `cus_${ids()}`;
    const mergeId = `mrg_${ids()}`;
    const email = `${ids()}@example.com`;
    const identifierKey = { pk: `IDENT#email#${email}`, sk: 'IDENT' };
    const profileKey = { pk: `CUST#${customerId}`, sk: 'Z#PROFILE' };
    const mergeKey = { pk: `MERGE#${mergeId}`, sk: 'MERGE' };
    await put({ ...profileKey, entity: 'customer', customerId, createdAt: now(), identifiers: {}, touchpointCount: 0 });
    await put({ ...identifierKey, entity: 'identifier', type: 'email', value: email, customerId, attachedAt: now() });
    await put(touchpointItem(customerId));
    await documents.send(
      new UpdateCommand({ TableName: tableName, Key: profileKey, UpdateExpression: 'ADD touchpointCount :one', ExpressionAttributeValues: { ':one': 1 } }),
    );
    await put({ pk: `IDEM#web#${ids()}`, sk: 'IDEM', entity: 'idempotency', requestFingerprint: 'x' });
    await put({
      ...mergeKey,
      entity: 'merge',
      kind: 'merge',
      mergeId,
      targetCustomerId: otherCustomerId,
      sourceCustomerId: customerId,
      status: 'in_progress',
      undoneAt: null,
    });
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: identifierKey,
        UpdateExpression: 'SET customerId = :to',
        ExpressionAttributeValues: { ':to': otherCustomerId },
      }),
    );
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: mergeKey,
        UpdateExpression: 'SET undoneAt = :at, #status = :undone',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':at': now(), ':undone': 'undone' },
      }),
    );
    await documents.send(new DeleteCommand({ TableName: tableName, Key: profileKey }));
    const records = await stream.readNew();
    const { sink, accepted } = recordingSink();

    const response = await publishEvents(eventOf(records), { sink, includePersonalData: false });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(detailTypes(accepted)).toEqual([
      'CustomerCreated',
      'IdentifierLinked',
      'TouchpointRecorded',
      'CustomersMerged',
      'IdentifierLinked',
      'MergeUndone',
      'CustomerErased',
    ]);
    expect(accepted[4]?.detail).toMatchObject({ customerId: otherCustomerId, previousCustomerId: customerId });
  });

  it('keeps identifier values and touchpoint contents out of events unless personal data is allowed', async () => {
    const customerId = `cus_${ids()}`;
    const email = `${ids()}@example.com`;
    await put({ pk: `IDENT#email#${email}`, sk: 'IDENT', entity: 'identifier', type: 'email', value: email, customerId, attachedAt: now() });
    await put(touchpointItem(customerId));
    const records = await stream.readNew();
    const idsOnly = recordingSink();
    const personal = recordingSink();

    await publishEvents(eventOf(records), { sink: idsOnly.sink, includePersonalData: false });
    await publishEvents(eventOf(records), { sink: personal.sink, includePersonalData: true });

    expect(JSON.stringify(idsOnly.accepted)).not.toContain('@example.com');
    expect(JSON.stringify(idsOnly.accepted)).not.toContain('personalData');
    expect(personal.accepted[0]?.detail).toMatchObject({ personalData: { identifierValue: email } });
    expect(personal.accepted[1]?.detail).toMatchObject({ personalData: { summary: 'Question about an invoice' } });
  });

  it('publishes at most 10 events per call', async () => {
    const customerId = `cus_${ids()}`;
    for (let index = 0; index < 23; index += 1) await put(touchpointItem(customerId));
    const records = await stream.readNew();
    const { sink, calls } = recordingSink();

    const response = await publishEvents(eventOf(records), { sink, includePersonalData: false });

    expect(response.batchItemFailures).toEqual([]);
    expect(calls.map((call) => call.length)).toEqual([10, 10, 3]);
  });

  it('reports the record of a rejected entry as the batch item failure', async () => {
    const customerId = `cus_${ids()}`;
    const touchpoints = Array.from({ length: 5 }, () => touchpointItem(customerId));
    for (const touchpoint of touchpoints) await put(touchpoint);
    const records = await stream.readNew();
    const rejected = touchpoints[2]!.touchpointId;
    const { sink } = recordingSink({ reject: (event) => 'touchpointId' in event.detail && event.detail.touchpointId === rejected });

    const response = await publishEvents(eventOf(records), { sink, includePersonalData: false });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[2]!.dynamodb!.SequenceNumber }] });
  });

  it('republishes the same event ids when Lambda retries from the reported record', async () => {
    const customerId = `cus_${ids()}`;
    for (let index = 0; index < 4; index += 1) await put(touchpointItem(customerId));
    const records = await stream.readNew();
    const failing = recordingSink({ reject: (event) => event === failing.calls[0]?.[1] });
    const firstTry = await publishEvents(eventOf(records), { sink: failing.sink, includePersonalData: false });
    const resumeAt = records.findIndex((record) => record.dynamodb?.SequenceNumber === firstTry.batchItemFailures[0]?.itemIdentifier);
    const healthy = recordingSink();

    const retry = await publishEvents(eventOf(records.slice(resumeAt)), { sink: healthy.sink, includePersonalData: false });

    expect(resumeAt).toBe(1);
    expect(retry.batchItemFailures).toEqual([]);
    expect(healthy.accepted.map((event) => event.detail.eventId)).toEqual(failing.calls[0]!.slice(1).map((event) => event.detail.eventId));
  });

  it('reports the first record of a call that failed as a whole, after publishing the calls before it', async () => {
    const customerId = `cus_${ids()}`;
    for (let index = 0; index < 15; index += 1) await put(touchpointItem(customerId));
    const records = await stream.readNew();
    const { sink, accepted } = recordingSink({ failCall: 2 });

    const response = await publishEvents(eventOf(records), { sink, includePersonalData: false });

    expect(accepted).toHaveLength(10);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[10]!.dynamodb!.SequenceNumber }] });
  });

  it('reports an unreadable item and publishes the records before it, not after', async () => {
    const customerId = `cus_${ids()}`;
    await put(touchpointItem(customerId));
    const { customerId: _missing, ...broken } = touchpointItem(customerId);
    await put(broken);
    await put(touchpointItem(customerId));
    const records = await stream.readNew();
    const { sink, accepted } = recordingSink();

    const response = await publishEvents(eventOf(records), { sink, includePersonalData: false });

    expect(accepted).toHaveLength(1);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }] });
  });
});

describe('eventBridgeSink', () => {
  function fakeEventBridge(entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>) {
    const sent: PutEventsCommand[] = [];
    const client = {
      send: async (command: PutEventsCommand) => {
        sent.push(command);
        return { FailedEntryCount: entries.filter((entry) => entry.ErrorCode).length, Entries: entries };
      },
    } as unknown as EventBridgeClient;
    return { client, sent };
  }
  const event: DomainEvent = {
    detailType: 'CustomerErased',
    time: new Date('2026-11-23T10:00:00Z'),
    detail: { version: 1, eventId: 'CustomerErased:cus_1', customerId: 'cus_1', erasedAt: '2026-11-23T10:00:00.000Z' },
  };

  it('puts each event on the bus with source, detail type, JSON detail and time', async () => {
    const { client, sent } = fakeEventBridge([{ EventId: 'e1' }]);

    await eventBridgeSink(client, 'touchpoint-bus').publish([event]);

    expect(sent[0]?.input.Entries).toEqual([
      {
        EventBusName: 'touchpoint-bus',
        Source: 'touchpoint-api',
        DetailType: 'CustomerErased',
        Detail: JSON.stringify(event.detail),
        Time: event.time,
      },
    ]);
  });

  it('reports entries EventBridge rejected, in order', async () => {
    const { client } = fakeEventBridge([{ EventId: 'e1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }]);

    const outcomes = await eventBridgeSink(client, 'touchpoint-bus').publish([event, event]);

    expect(outcomes).toEqual([{ ok: true }, { ok: false, errorCode: 'InternalFailure', errorMessage: 'try again' }]);
  });

  it('refuses more entries than one PutEvents call takes', async () => {
    const { client } = fakeEventBridge([]);

    await expect(eventBridgeSink(client, 'touchpoint-bus').publish(Array(11).fill(event))).rejects.toThrow(RangeError);
  });
});
