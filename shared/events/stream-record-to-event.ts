import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as StreamAttributeValue, DynamoDBRecord } from 'aws-lambda';
import * as z from '../schemas/zod.ts';
import { identifierEntity } from '../db/items/identifier.ts';
import { mergeRecordEntity } from '../db/items/merge-record.ts';
import { erasingProfileEntity, profileEntity } from '../db/items/profile.ts';
import { touchpointEntity } from '../db/items/touchpoint.ts';
import { type DomainEvent, domainEventSchemas } from './event-schemas.ts';

export interface MappingOptions {
  /** Copy identifier values and touchpoint contents into `personalData` (context `eventsIncludePersonalData`). */
  includePersonalData: boolean;
}

/** A stream record this function cannot read at all (wrong stream view type, missing sequence number). */
export class StreamRecordError extends Error {
  override name = 'StreamRecordError';
}

// What events need of the items storage writes, picked from their one definition (shared/db/items).
// Personal data is optional in an event, so a touchpoint's contents may be absent here.
const touchpointItem = z.partial(
  z.pick(touchpointEntity.attributes, {
    touchpointId: true,
    customerId: true,
    channel: true,
    source: true,
    occurredAt: true,
    receivedAt: true,
    identifiers: true,
    summary: true,
    details: true,
    movedBy: true,
    relocatedAt: true,
  }),
  { identifiers: true, details: true },
);
const customerItem = z.pick(profileEntity.attributes, { customerId: true, createdAt: true, identifiers: true });
const identifierItem = z.pick(identifierEntity.attributes, { type: true, value: true, customerId: true, attachedAt: true });
const mergeItem = z.partial(
  z.pick(mergeRecordEntity.attributes, { mergeId: true, kind: true, targetCustomerId: true, sourceCustomerId: true, undoneAt: true }),
  { undoneAt: true },
);

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
 * A card (`CUST#<id>` / `Z#CARD`) is where card changes are seen (its MODIFY): counters and tiers,
 * which no event carries, so its INSERT, MODIFY and REMOVE map to nothing; a customer's creation
 * and erasure are its profile's.
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
      return modifyEvent(recordId, required(oldImage, 'OldImage', recordId), required(newImage, 'NewImage', recordId), options, time);
    case 'REMOVE':
      return removeEvent(required(oldImage, 'OldImage', recordId), record, time);
    default:
      return undefined;
  }
}

function insertEvent(recordId: string, item: Image, options: MappingOptions, time: Date | undefined) {
  switch (entityOf(item)) {
    case touchpointEntity.name: {
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
    case profileEntity.name: {
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
    case identifierEntity.name:
      return identifierLinked(recordId, identifierItem.parse(item), undefined, options, time);
    case mergeRecordEntity.name: {
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
    case identifierEntity.name: {
      const previous = z.pick(identifierItem, { customerId: true }).parse(before);
      const current = identifierItem.parse(after);
      if (previous.customerId === current.customerId) return undefined;
      return identifierLinked(recordId, current, previous.customerId, options, time);
    }
    case mergeRecordEntity.name: {
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
  if (entityOf(item) !== profileEntity.name && entityOf(item) !== erasingProfileEntity) return undefined;
  const { customerId } = z.pick(customerItem, { customerId: true }).parse(item);
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
function event<T extends DomainEvent['detailType']>(detailType: T, time: Date | undefined, detail: z.input<(typeof domainEventSchemas)[T]>): DomainEvent {
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
    throw new StreamRecordError(`Stream record ${eventId} has no ${which}: the table stream must use the NEW_AND_OLD_IMAGES view type`);
  }
  return item;
}
