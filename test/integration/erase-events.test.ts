/**
 * The events an erase leaves on the stream (pure mapping, no DynamoDB): the erase first marks the
 * profile (`erasingCustomer`) and deletes it last; the deletion is still the CustomerErased event.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { erasingProfileEntity } from '../../shared/db/profile-item.ts';
import { streamRecordToEvent } from '../../shared/events/stream-record-to-event.ts';

const changedAt = 1_795_000_000;
const customer = { pk: 'CUST#cus_1', sk: 'Z#PROFILE', entity: 'customer', customerId: 'cus_1', createdAt: '2026-11-23T09:15:00.000Z', identifiers: {} };
const marked = { ...customer, entity: erasingProfileEntity, identityLock: 'erase', erasingSince: '2026-12-01T10:00:00.000Z' };

function record(eventName: 'MODIFY' | 'REMOVE', images: { oldImage: Record<string, unknown>; newImage?: Record<string, unknown> }): DynamoDBRecord {
  const toStream = (item: Record<string, unknown>) => marshall(item) as unknown as Record<string, AttributeValue>;
  return {
    eventID: `record-${eventName}`,
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: changedAt,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      OldImage: toStream(images.oldImage),
      ...(images.newImage && { NewImage: toStream(images.newImage) }),
    },
  };
}

describe('the stream of an erase', () => {
  it('publishes CustomerErased when the profile marked for erasure is deleted', () => {
    const event = streamRecordToEvent(record('REMOVE', { oldImage: marked }), { includePersonalData: false });

    expect(event).toMatchObject({ detailType: 'CustomerErased', detail: { customerId: 'cus_1', eventId: 'CustomerErased:cus_1' } });
  });

  it('publishes nothing when the profile is marked', () => {
    expect(streamRecordToEvent(record('MODIFY', { oldImage: customer, newImage: marked }), { includePersonalData: true })).toBeUndefined();
  });
});
