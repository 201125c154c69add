/**
 * Unit tests of the pure stream-record-to-event mapping (no DynamoDB). They sit under
 * test/integration only because that is where the events work may add files; they belong in
 * test/unit/events/.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { domainEventSchemas } from '../../shared/events/event-schemas.ts';
import { StreamRecordError, streamRecordToEvent } from '../../shared/events/stream-record-to-event.ts';

const idsOnly = { includePersonalData: false };
const withPersonalData = { includePersonalData: true };
const changedAt = 1_795_000_000; // epoch seconds

let sequence = 0;
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', images: { oldImage?: Record<string, unknown>; newImage?: Record<string, unknown> }): DynamoDBRecord {
  sequence += 1;
  const toStream = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true }) as unknown as Record<string, AttributeValue>;
  return {
    eventID: `record-${sequence}`,
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: changedAt,
      SequenceNumber: String(sequence).padStart(21, '0'),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(images.oldImage && { OldImage: toStream(images.oldImage) }),
      ...(images.newImage && { NewImage: toStream(images.newImage) }),
    },
  };
}

const touchpoint = {
  pk: 'CUST#cus_1',
  sk: 'T#2026-11-23T09:15:00.000Z#tp_1',
  entity: 'touchpoint',
  touchpointId: 'tp_1',
  customerId: 'cus_1',
  channel: 'call',
  occurredAt: '2026-11-23T09:15:00.000Z',
  receivedAt: '2026-11-23T09:16:00.000Z',
  source: 'call-centre',
  identifiers: { phone: '+442079460018' },
  summary: 'Asked about invoice 1234',
  details: { direction: 'inbound', durationSeconds: 300 },
};
const customer = {
  pk: 'CUST#cus_1',
  sk: 'Z#PROFILE',
  entity: 'customer',
  customerId: 'cus_1',
  createdAt: '2026-11-23T09:16:00.000Z',
  identifiers: {
    'phone#+442079460018': {
      type: 'phone',
      value: '+442079460018',
      provenance: { attachedAt: '2026-11-23T09:16:00.000Z', source: 'call-centre', rule: 'first-contact' },
    },
  },
  touchpointCount: 1,
};
const card = { pk: 'CUST#cus_1', sk: 'Z#CARD', entity: 'card', customerId: 'cus_1', version: 1, touchpointCount: 1, tier: 'bronze' };
const identifier = {
  pk: 'IDENT#email#ada@example.com',
  sk: 'IDENT',
  entity: 'identifier',
  type: 'email',
  value: 'ada@example.com',
  customerId: 'cus_1',
  attachedAt: '2026-11-23T09:16:00.000Z',
  source: 'web',
  rule: 'first-contact',
};
const merge = {
  pk: 'MERGE#mrg_1',
  sk: 'MERGE',
  entity: 'merge',
  mergeId: 'mrg_1',
  kind: 'merge',
  targetCustomerId: 'cus_1',
  sourceCustomerId: 'cus_2',
  status: 'in_progress',
  undoneAt: null,
};

describe('streamRecordToEvent', () => {
  it('turns an inserted touchpoint into TouchpointRecorded with ids, channel and times only', () => {
    const event = streamRecordToEvent(record('INSERT', { newImage: touchpoint }), idsOnly);

    expect(event).toEqual({
      detailType: 'TouchpointRecorded',
      time: new Date(changedAt * 1000),
      detail: {
        version: 1,
        eventId: 'TouchpointRecorded:tp_1',
        touchpointId: 'tp_1',
        customerId: 'cus_1',
        channel: 'call',
        source: 'call-centre',
        occurredAt: '2026-11-23T09:15:00.000Z',
        receivedAt: '2026-11-23T09:16:00.000Z',
      },
    });
  });

  it('adds the touchpoint contents under personalData only when allowed', () => {
    const event = streamRecordToEvent(record('INSERT', { newImage: touchpoint }), withPersonalData);

    expect(event?.detail).toMatchObject({
      personalData: { identifiers: touchpoint.identifiers, summary: touchpoint.summary, details: touchpoint.details },
    });
  });

  it('ignores a touchpoint that a merge or move re-inserted under another customer', () => {
    const moved = { ...touchpoint, customerId: 'cus_3', movedBy: ['mrg_1'] };

    expect(streamRecordToEvent(record('INSERT', { newImage: moved }), idsOnly)).toBeUndefined();
  });

  it('turns an inserted customer into CustomerCreated without identifier values', () => {
    const event = streamRecordToEvent(record('INSERT', { newImage: customer }), idsOnly);

    expect(event).toMatchObject({
      detailType: 'CustomerCreated',
      detail: { version: 1, eventId: 'CustomerCreated:cus_1', customerId: 'cus_1', createdAt: customer.createdAt },
    });
    expect(JSON.stringify(event)).not.toContain('+442079460018');
  });

  it('lists the new customer identifiers under personalData when allowed', () => {
    const event = streamRecordToEvent(record('INSERT', { newImage: customer }), withPersonalData);

    expect(event?.detail).toMatchObject({ personalData: { identifiers: [{ type: 'phone', value: '+442079460018' }] } });
  });

  it('turns an inserted identifier into IdentifierLinked naming its type, not its value', () => {
    const linked = record('INSERT', { newImage: identifier });
    const event = streamRecordToEvent(linked, idsOnly);

    expect(event).toEqual({
      detailType: 'IdentifierLinked',
      time: new Date(changedAt * 1000),
      detail: {
        version: 1,
        eventId: `IdentifierLinked:${linked.eventID}`,
        customerId: 'cus_1',
        identifierType: 'email',
        attachedAt: identifier.attachedAt,
      },
    });
  });

  it('includes the identifier value only when personal data is allowed', () => {
    const event = streamRecordToEvent(record('INSERT', { newImage: identifier }), withPersonalData);

    expect(event?.detail).toMatchObject({ personalData: { identifierValue: 'ada@example.com' } });
  });

  it('turns an identifier that changed customer into IdentifierLinked with the previous customer', () => {
    const repointed = { ...identifier, customerId: 'cus_9', lastMergeId: 'mrg_1' };
    const event = streamRecordToEvent(record('MODIFY', { oldImage: identifier, newImage: repointed }), idsOnly);

    expect(event).toMatchObject({
      detailType: 'IdentifierLinked',
      detail: { customerId: 'cus_9', previousCustomerId: 'cus_1', identifierType: 'email' },
    });
  });

  it('ignores an identifier update that keeps its customer', () => {
    const touched = { ...identifier, sharedWith: ['cus_2'] };

    expect(streamRecordToEvent(record('MODIFY', { oldImage: identifier, newImage: touched }), idsOnly)).toBeUndefined();
  });

  it('turns an inserted merge record into CustomersMerged', () => {
    const event = streamRecordToEvent(record('INSERT', { newImage: merge }), idsOnly);

    expect(event).toMatchObject({
      detailType: 'CustomersMerged',
      detail: { version: 1, eventId: 'CustomersMerged:mrg_1', mergeId: 'mrg_1', targetCustomerId: 'cus_1', sourceCustomerId: 'cus_2' },
    });
  });

  it('ignores the record of a single touchpoint moved between customers', () => {
    const move = { ...merge, kind: 'move', touchpointId: 'tp_1' };

    expect(streamRecordToEvent(record('INSERT', { newImage: move }), idsOnly)).toBeUndefined();
  });

  it('turns a merge record that gains undoneAt into MergeUndone', () => {
    const undone = { ...merge, status: 'undone', undoneAt: '2026-11-24T10:00:00.000Z' };
    const event = streamRecordToEvent(record('MODIFY', { oldImage: merge, newImage: undone }), idsOnly);

    expect(event).toMatchObject({
      detailType: 'MergeUndone',
      detail: { eventId: 'MergeUndone:mrg_1', mergeId: 'mrg_1', undoneAt: '2026-11-24T10:00:00.000Z' },
    });
  });

  it('ignores merge updates that do not undo it', () => {
    const completed = { ...merge, status: 'completed', completedAt: '2026-11-23T09:17:00.000Z' };

    expect(streamRecordToEvent(record('MODIFY', { oldImage: merge, newImage: completed }), idsOnly)).toBeUndefined();
  });

  it('turns a removed customer into CustomerErased at the time of the removal', () => {
    const event = streamRecordToEvent(record('REMOVE', { oldImage: customer }), withPersonalData);

    expect(event).toEqual({
      detailType: 'CustomerErased',
      time: new Date(changedAt * 1000),
      detail: {
        version: 1,
        eventId: 'CustomerErased:cus_1',
        customerId: 'cus_1',
        erasedAt: new Date(changedAt * 1000).toISOString(),
      },
    });
  });

  it.each([
    ['a customer update', 'MODIFY', { oldImage: customer, newImage: { ...customer, touchpointCount: 2 } }],
    ['a removed touchpoint', 'REMOVE', { oldImage: touchpoint }],
    ['an inserted card (its profile tells of the new customer)', 'INSERT', { newImage: card }],
    ['a card update', 'MODIFY', { oldImage: card, newImage: { ...card, version: 2, touchpointCount: 2 } }],
    ['a removed card (its profile tells of the erasure)', 'REMOVE', { oldImage: { ...card, entity: 'erasingCard' } }],
    ['an idempotency record', 'INSERT', { newImage: { pk: 'IDEM#web#k', sk: 'IDEM', entity: 'idempotency' } }],
    ['a merge candidate', 'INSERT', { newImage: { pk: 'CAND#a#b', sk: 'CAND', entity: 'mergeCandidate' } }],
    ['an item without entity', 'INSERT', { newImage: { pk: 'X', sk: 'Y' } }],
  ] as const)('ignores %s', (_, eventName, images) => {
    expect(streamRecordToEvent(record(eventName, images), idsOnly)).toBeUndefined();
  });

  it('rejects an item that claims an entity but lacks its attributes', () => {
    const broken = { ...touchpoint, customerId: undefined };

    expect(() => streamRecordToEvent(record('INSERT', { newImage: broken }), idsOnly)).toThrow(/customerId/);
  });

  it('rejects a record without images: the stream must be NEW_AND_OLD_IMAGES', () => {
    expect(() => streamRecordToEvent(record('INSERT', {}), idsOnly)).toThrow(StreamRecordError);
  });

  it('produces details that satisfy the published schema of their type', () => {
    const events = [
      record('INSERT', { newImage: touchpoint }),
      record('INSERT', { newImage: customer }),
      record('INSERT', { newImage: identifier }),
      record('INSERT', { newImage: merge }),
      record('MODIFY', { oldImage: merge, newImage: { ...merge, undoneAt: '2026-11-24T10:00:00.000Z' } }),
      record('REMOVE', { oldImage: customer }),
    ].map((streamRecord) => streamRecordToEvent(streamRecord, withPersonalData));

    expect(events.map((event) => event?.detailType)).toEqual(Object.keys(domainEventSchemas));
    for (const event of events) {
      expect(domainEventSchemas[event!.detailType].safeParse(event!.detail).success).toBe(true);
    }
  });
});
