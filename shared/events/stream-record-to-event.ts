import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as StreamAttributeValue, DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import { type DomainEvent, domainEventSchemas } from './event-schemas.ts';

export interface MappingOptions {
  /** Copy identifier values and touchpoint contents into `personalData` (context `eventsIncludePersonalData`). */
  includePersonalData: boolean;
}

/** A stream record this function cannot read at all (wrong stream view type, missing sequence number). */
export class StreamRecordError extends Error {
  override name = 'StreamRecordError';
}

// The item shapes the storage layer writes, as far as events need them; other attributes are ignored.
const touchpointItem = z.object({
  touchpointId: z.string(),
  customerId: z.string(),
  channel: z.string(),
  source: z.string(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  identifiers: z.record(z.string(), z.unknown()).optional(),
  summary: z.string().nullable().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  /** The merges and moves that carried this touchpoint to its current customer, oldest first. */
  movedBy: z.array(z.string()).optional(),
  relocatedAt: z.string().optional(),
});
const customerItem = z.object({
  customerId: z.string(),
  createdAt: z.string(),
  /** `type#value` -> the attached identifier. */
  identifiers: z.record(z.string(), z.object({ type: z.string(), value: z.string() }).loose()).optional(),
});
const identifierItem = z.object({
  type: z.string(),
  value: z.string(),
  customerId: z.string(),
  attachedAt: z.string(),
});
const mergeItem = z.object({
  mergeId: z.string(),
  /** `move` records one touchpoint moved between customers, not a merge of customers. */
  kind: z.enum(['merge', 'move']).optional(),
  targetCustomerId: z.string(),
  sourceCustomerId: z.string(),
  undoneAt: z.string().nullable().optional(),
});

type Image = Record<string, unknown>;

/**
 * The domain event a DynamoDB stream record stands for, or `undefined` for a change nobody outside
 * needs to hear about (summary counters, idempotency records, merge candidates, ...). Pure: the
 * same record always gives the same event, which is what makes stream retries safe.
 *
 * INSERT touchpoint -> TouchpointRecorded (unless a merge, undo or move re-inserted it: `relocatedAt`);
 * INSERT customer -> CustomerCreated;
 * INSERT identifier, or MODIFY identifier whose customerId changed -> IdentifierLinked;
 * INSERT merge (kind `merge`) -> CustomersMerged; MODIFY merge that gains undoneAt -> MergeUndone;
 * REMOVE customer -> CustomerErased.
 *
 * `eventId` names the fact, so a consumer can drop a repeat of it: facts that happen once per
 * entity take the entity's id (a touchpoint moved back by an undone merge is re-inserted, and
 * gets the same `TouchpointRecorded:<touchpointId>`); an identifier can be linked many times, so
 * IdentifierLinked takes the stream record's id.
 *
 * Throws (zod's error or StreamRecordError) for an item that claims an entity but lacks its
 * attributes: the publisher reports that record as failed, so it is retried and finally lands in
 * the dead-letter queue instead of being dropped silently.
 */
export function streamRecordToEvent(record: DynamoDBRecord, options: MappingOptions): DomainEvent | undefined {
  const recordId = record.eventID;
  if (!recordId) throw new StreamRecordError('Stream record has no eventID');
  const time = creationTime(record);
  const newImage = image(record, 'NewImage');
  const oldImage = image(record, 'OldImage');

  switch (record.eventName) {
    case 'INSERT':
      return insertEvent(recordId, required(newImage, 'NewImage', recordId), options, time);
    case 'MODIFY':
      return modifyEvent(
        recordId,
        required(oldImage, 'OldImage', recordId),
        required(newImage, 'NewImage', recordId),
        options,
        time,
      );
    case 'REMOVE':
      return removeEvent(required(oldImage, 'OldImage', recordId), record, time);
    default:
      return undefined;
  }
}

function insertEvent(recordId: string, item: Image, options: MappingOptions, time: Date | undefined) {
  switch (entityOf(item)) {
    case 'touchpoint': {
      const touchpoint = touchpointItem.parse(item);
      if (touchpoint.movedBy?.length || touchpoint.relocatedAt) return undefined;
      return event('TouchpointRecorded', time, {
        version: 1,
        eventId: `TouchpointRecorded:${touchpoint.touchpointId}`,
        touchpointId: touchpoint.touchpointId,
        customerId: touchpoint.customerId,
        channel: touchpoint.channel,
        source: touchpoint.source,
        occurredAt: touchpoint.occurredAt,
        receivedAt: touchpoint.receivedAt,
        ...(options.includePersonalData && {
          personalData: {
            identifiers: touchpoint.identifiers,
            summary: touchpoint.summary,
            details: touchpoint.details,
          },
        }),
      });
    }
    case 'customer': {
      const customer = customerItem.parse(item);
      return event('CustomerCreated', time, {
        version: 1,
        eventId: `CustomerCreated:${customer.customerId}`,
        customerId: customer.customerId,
        createdAt: customer.createdAt,
        ...(options.includePersonalData && {
          personalData: {
            identifiers: Object.values(customer.identifiers ?? {}).map(({ type, value }) => ({ type, value })),
          },
        }),
      });
    }
    case 'identifier':
      return identifierLinked(recordId, identifierItem.parse(item), undefined, options, time);
    case 'merge': {
      const merge = mergeItem.parse(item);
      if (merge.kind === 'move') return undefined;
      return event('CustomersMerged', time, {
        version: 1,
        eventId: `CustomersMerged:${merge.mergeId}`,
        mergeId: merge.mergeId,
        targetCustomerId: merge.targetCustomerId,
        sourceCustomerId: merge.sourceCustomerId,
      });
    }
    default:
      return undefined;
  }
}

function modifyEvent(recordId: string, before: Image, after: Image, options: MappingOptions, time: Date | undefined) {
  switch (entityOf(after)) {
    case 'identifier': {
      const previous = identifierItem.pick({ customerId: true }).parse(before);
      const current = identifierItem.parse(after);
      if (previous.customerId === current.customerId) return undefined;
      return identifierLinked(recordId, current, previous.customerId, options, time);
    }
    case 'merge': {
      const previous = mergeItem.parse(before);
      const current = mergeItem.parse(after);
      if (previous.undoneAt || !current.undoneAt || current.kind === 'move') return undefined;
      return event('MergeUndone', time, {
        version: 1,
        eventId: `MergeUndone:${current.mergeId}`,
        mergeId: current.mergeId,
        targetCustomerId: current.targetCustomerId,
        sourceCustomerId: current.sourceCustomerId,
        undoneAt: current.undoneAt,
      });
    }
    default:
      return undefined;
  }
}

function removeEvent(item: Image, record: DynamoDBRecord, time: Date | undefined) {
  // An erase marks the profile first (`erasingCustomer`, shared/db/profile-item.ts), then deletes it.
  if (entityOf(item) !== 'customer' && entityOf(item) !== 'erasingCustomer') return undefined;
  const { customerId } = customerItem.pick({ customerId: true }).parse(item);
  const erasedAt = time?.toISOString();
  if (!erasedAt) throw new StreamRecordError(`Stream record ${record.eventID} has no ApproximateCreationDateTime`);
  return event('CustomerErased', time, { version: 1, eventId: `CustomerErased:${customerId}`, customerId, erasedAt });
}

function identifierLinked(
  recordId: string,
  identifier: z.output<typeof identifierItem>,
  previousCustomerId: string | undefined,
  options: MappingOptions,
  time: Date | undefined,
) {
  return event('IdentifierLinked', time, {
    version: 1,
    eventId: `IdentifierLinked:${recordId}`,
    customerId: identifier.customerId,
    identifierType: identifier.type,
    attachedAt: identifier.attachedAt,
    ...(previousCustomerId !== undefined && { previousCustomerId }),
    ...(options.includePersonalData && { personalData: { identifierValue: identifier.value } }),
  });
}

/** Validates the detail against its published schema, so a mapping bug cannot ship a malformed event. */
function event<T extends DomainEvent['detailType']>(
  detailType: T,
  time: Date | undefined,
  detail: z.input<(typeof domainEventSchemas)[T]>,
): DomainEvent {
  const parsed = domainEventSchemas[detailType].parse(detail);
  return { detailType, detail: parsed, ...(time && { time }) } as DomainEvent;
}

function entityOf(item: Image): string | undefined {
  return typeof item.entity === 'string' ? item.entity : undefined;
}

function creationTime(record: DynamoDBRecord): Date | undefined {
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  return seconds === undefined ? undefined : new Date(seconds * 1000);
}

function image(record: DynamoDBRecord, which: 'NewImage' | 'OldImage'): Image | undefined {
  const attributes = record.dynamodb?.[which];
  if (!attributes) return undefined;
  // Lambda delivers the stream's AttributeValue JSON; binary values are base64 strings where the
  // SDK type expects bytes, a difference no attribute this mapping reads is affected by.
  return unmarshall(attributes as Record<string, StreamAttributeValue> as unknown as Record<string, SdkAttributeValue>);
}

function required(item: Image | undefined, which: string, eventId: string): Image {
  if (!item) {
    throw new StreamRecordError(
      `Stream record ${eventId} has no ${which}: the table stream must use the NEW_AND_OLD_IMAGES view type`,
    );
  }
  return item;
}
