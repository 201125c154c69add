import * as z from '../schemas/zod.ts';

/**
 * The domain events Touchpoint API publishes to its EventBridge bus: `detail-type` is the event
 * name, `source` is `touchpoint-api`, and `detail` is one of the schemas below. Each detail carries
 * its schema `version` (a breaking change gets a new version, published alongside the old one
 * until consumers move) and a deterministic `eventId` naming the fact (`CustomerCreated:<id>`,
 * `IdentifierLinked:<stream record id>`, ...), so consumers can drop the duplicates that
 * at-least-once delivery and stream retries produce. EventBridge's own event `id` differs per
 * delivery attempt and cannot serve for that.
 *
 * Details hold ids, types and times only. Personal data (identifier values, touchpoint contents)
 * appears solely under `personalData`, and only when the stack is deployed with
 * `eventsIncludePersonalData=true`; an EventBridge rule can test for that one key.
 */
export const eventSource = 'touchpoint-api';

const id = z.string().check(z.minLength(1));
const timestamp = z.string().check(z.minLength(1));

const envelope = {
  version: z.literal(1),
  eventId: id,
};

export const touchpointRecordedV1 = z.strictObject({
  ...envelope,
  touchpointId: id,
  customerId: id,
  channel: z.string().check(z.minLength(1)),
  /** The posting system, e.g. `call-centre`: a system name, not a person. */
  source: z.string().check(z.minLength(1)),
  occurredAt: timestamp,
  receivedAt: timestamp,
  personalData: z.optional(
    z.object({
      identifiers: z.optional(z.record(z.string(), z.unknown())),
      summary: z.optional(z.nullable(z.string())),
      details: z.optional(z.record(z.string(), z.unknown())),
    }),
  ),
});

export const customerCreatedV1 = z.strictObject({
  ...envelope,
  customerId: id,
  createdAt: timestamp,
  personalData: z.optional(z.strictObject({ identifiers: z.array(z.strictObject({ type: z.string(), value: z.string() })) })),
});

export const identifierLinkedV1 = z.strictObject({
  ...envelope,
  customerId: id,
  /** `email`, `phone`, `accountId`, ...: the kind of identifier, never its value. */
  identifierType: z.string().check(z.minLength(1)),
  attachedAt: timestamp,
  /** Present when the identifier moved from another customer (a merge or a correction). */
  previousCustomerId: z.optional(id),
  personalData: z.optional(z.strictObject({ identifierValue: z.string() })),
});

export const customersMergedV1 = z.strictObject({
  ...envelope,
  mergeId: id,
  targetCustomerId: id,
  sourceCustomerId: id,
});

export const mergeUndoneV1 = z.strictObject({
  ...envelope,
  mergeId: id,
  targetCustomerId: id,
  sourceCustomerId: id,
  undoneAt: timestamp,
});

export const customerErasedV1 = z.strictObject({
  ...envelope,
  customerId: id,
  /** When DynamoDB removed the profile (the stream record's creation time). */
  erasedAt: timestamp,
});

export const domainEventSchemas = {
  TouchpointRecorded: touchpointRecordedV1,
  CustomerCreated: customerCreatedV1,
  IdentifierLinked: identifierLinkedV1,
  CustomersMerged: customersMergedV1,
  MergeUndone: mergeUndoneV1,
  CustomerErased: customerErasedV1,
} as const;

export type DomainEventType = keyof typeof domainEventSchemas;
export const domainEventTypes = Object.keys(domainEventSchemas) as DomainEventType[];

export type DomainEventDetail<T extends DomainEventType> = z.output<(typeof domainEventSchemas)[T]>;

/** One event ready for the bus; `time` is when the change happened in DynamoDB, if known. */
export type DomainEvent = {
  [T in DomainEventType]: { detailType: T; detail: DomainEventDetail<T>; time?: Date };
}[DomainEventType];
