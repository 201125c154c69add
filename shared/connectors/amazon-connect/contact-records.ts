import * as z from '../../schemas/zod.ts';
import type { VersionedTouchpoint } from '../../domain/versioned-touchpoints.ts';
import { phoneSchema } from '../../schemas/identifiers.ts';
import { type TouchpointInput, touchpointInputSchema } from '../../schemas/touchpoint.ts';

/**
 * Amazon Connect's contact trace records (AWS: "Contact records data model"), streamed to Kinesis,
 * and its EventBridge "Amazon Connect Contact Event"s (AWS: "Amazon Connect contact events"), both
 * mapped to one `call` touchpoint per contact. Only what is mapped is checked: AWS adds fields to
 * both models over time and asks consumers to ignore the ones they do not know.
 */
export const connectSource = 'amazon-connect';

const timestamp = z.iso.datetime({ offset: true });
const seconds = z.nullish(z.number().check(z.int(), z.gte(0)));
const endpoint = z.nullish(z.looseObject({ Address: z.nullish(z.string().check(z.maxLength(256))), Type: z.nullish(z.string()) }));

export const contactTraceRecordSchema = z.looseObject({
  ContactId: z.string().check(z.minLength(1), z.maxLength(256)),
  Channel: z.string().check(z.maxLength(50)),
  InitiationMethod: z.string().check(z.maxLength(50)),
  InitiationTimestamp: timestamp,
  LastUpdateTimestamp: timestamp,
  DisconnectTimestamp: z.nullish(timestamp),
  ConnectedToSystemTimestamp: z.nullish(timestamp),
  DisconnectReason: z.nullish(z.string().check(z.maxLength(100))),
  CustomerEndpoint: endpoint,
  NextContactId: z.nullish(z.string().check(z.maxLength(256))),
  Queue: z.nullish(z.looseObject({ Name: z.nullish(z.string().check(z.maxLength(256))), Duration: seconds, EnqueueTimestamp: z.nullish(timestamp) })),
  Agent: z.nullish(
    z.looseObject({
      Username: z.nullish(z.string().check(z.maxLength(100))),
      ConnectedToAgentTimestamp: z.nullish(timestamp),
      AgentInteractionDuration: seconds,
      CustomerHoldDuration: seconds,
      AfterContactWorkDuration: seconds,
    }),
  ),
});

export type ContactTraceRecord = z.infer<typeof contactTraceRecordSchema>;

/** The contact event's detail; AWS's own samples spell some keys both ways (`instanceARN`, `AgentInfo`), so keys are read case-insensitively. */
export const contactEventSchema = z.looseObject({
  'detail-type': z.literal('Amazon Connect Contact Event'),
  source: z.literal('aws.connect'),
  time: timestamp,
  detail: z.pipe(
    z.transform(lowerFirstKeys),
    z.looseObject({
      eventType: z.string().check(z.maxLength(100)),
      contactId: z.string().check(z.minLength(1), z.maxLength(256)),
      channel: z.string().check(z.maxLength(50)),
      initiationMethod: z.string().check(z.maxLength(50)),
      initiationTimestamp: z.nullish(timestamp),
      disconnectTimestamp: z.nullish(timestamp),
      connectedToSystemTimestamp: z.nullish(timestamp),
      disconnectReason: z.nullish(z.string().check(z.maxLength(100))),
      nextContactId: z.nullish(z.string().check(z.maxLength(256))),
      customerEndpoint: z.nullish(z.looseObject({ address: z.nullish(z.string().check(z.maxLength(256))), type: z.nullish(z.string()) })),
      queueInfo: z.nullish(z.looseObject({ queueArn: z.nullish(z.string().check(z.maxLength(2048))), enqueueTimestamp: z.nullish(timestamp) })),
      agentInfo: z.nullish(z.looseObject({ agentArn: z.nullish(z.string().check(z.maxLength(2048))), connectedToAgentTimestamp: z.nullish(timestamp) })),
    }),
  ),
});

export type ContactEvent = z.infer<typeof contactEventSchema>;

function lowerFirstKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerFirstKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), lowerFirstKeys(inner)]));
}

/** What both shapes say about a contact, in one vocabulary. */
interface ContactFacts {
  contactId: string;
  channel: string;
  initiationMethod: string;
  /** Sorts by how complete the source is, then by when it was written: a CTR outranks every contact event. */
  version: string;
  customerAddress: string | null | undefined;
  customerEndpointType: string | null | undefined;
  initiatedAt: string;
  disconnectedAt: string | null | undefined;
  connectedToSystemAt: string | null | undefined;
  disconnectReason: string | null | undefined;
  transferredOn: boolean;
  queue: string | undefined;
  enqueuedAt: string | null | undefined;
  agent: string | undefined;
  connectedToAgentAt: string | null | undefined;
  queueSeconds: number | null | undefined;
  agentSeconds: number | null | undefined;
  holdSeconds: number | null | undefined;
  afterCallWorkSeconds: number | null | undefined;
}

/**
 * Why a contact is kept nowhere. A transferred leg is a second contact in Connect for the same
 * call (its first leg's touchpoint says `transferred`); chats and tasks are not calls.
 */
export type Unmapped = {
  unmapped: 'not-a-voice-contact' | 'transferred-leg' | 'no-caller-number' | 'not-a-final-event' | 'invalid-touchpoint';
  contactId: string;
};

const isoOf = (value: string) => new Date(value).toISOString();
/** Versions sort as strings: rank, then the instant in ISO form. */
const versionOf = (rank: 'event' | 'record', at: string) => `${rank === 'record' ? 2 : 1}#${isoOf(at)}`;
const tailOfArn = (arn: string | null | undefined) => (arn ? arn.slice(arn.lastIndexOf('/') + 1) || undefined : undefined);

function factsOfRecord(record: ContactTraceRecord): ContactFacts {
  return {
    contactId: record.ContactId,
    channel: record.Channel,
    initiationMethod: record.InitiationMethod,
    version: versionOf('record', record.LastUpdateTimestamp),
    customerAddress: record.CustomerEndpoint?.Address,
    customerEndpointType: record.CustomerEndpoint?.Type,
    initiatedAt: record.InitiationTimestamp,
    disconnectedAt: record.DisconnectTimestamp,
    connectedToSystemAt: record.ConnectedToSystemTimestamp,
    disconnectReason: record.DisconnectReason,
    transferredOn: Boolean(record.NextContactId),
    queue: record.Queue?.Name ?? undefined,
    enqueuedAt: record.Queue?.EnqueueTimestamp,
    agent: record.Agent?.Username ?? undefined,
    connectedToAgentAt: record.Agent?.ConnectedToAgentTimestamp,
    queueSeconds: record.Queue?.Duration,
    agentSeconds: record.Agent?.AgentInteractionDuration,
    holdSeconds: record.Agent?.CustomerHoldDuration,
    afterCallWorkSeconds: record.Agent?.AfterContactWorkDuration,
  };
}

/** The event types after which a contact is over: DISCONNECTED, and COMPLETED once after-contact work is done. */
const finalEventTypes = new Set(['DISCONNECTED', 'COMPLETED']);

function factsOfEvent(event: ContactEvent): ContactFacts {
  const detail = event.detail;
  const enqueuedAt = detail.queueInfo?.enqueueTimestamp;
  const connectedToAgentAt = detail.agentInfo?.connectedToAgentTimestamp;
  const between = (from: string | null | undefined, to: string | null | undefined) =>
    from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)) : undefined;
  return {
    contactId: detail.contactId,
    channel: detail.channel,
    initiationMethod: detail.initiationMethod,
    version: versionOf('event', event.time),
    customerAddress: detail.customerEndpoint?.address,
    customerEndpointType: detail.customerEndpoint?.type,
    initiatedAt: detail.initiationTimestamp ?? event.time,
    disconnectedAt: detail.disconnectTimestamp,
    connectedToSystemAt: detail.connectedToSystemTimestamp,
    disconnectReason: detail.disconnectReason,
    transferredOn: Boolean(detail.nextContactId),
    // Events name the queue and agent by ARN only: their ids are what is kept.
    queue: tailOfArn(detail.queueInfo?.queueArn),
    enqueuedAt,
    agent: tailOfArn(detail.agentInfo?.agentArn),
    connectedToAgentAt,
    queueSeconds: between(enqueuedAt, connectedToAgentAt ?? detail.disconnectTimestamp),
    agentSeconds: between(connectedToAgentAt, detail.disconnectTimestamp),
    holdSeconds: undefined,
    afterCallWorkSeconds: undefined,
  };
}

const outboundMethods = new Set(['OUTBOUND', 'CALLBACK', 'API']);
const transferMethods = new Set(['TRANSFER', 'QUEUE_TRANSFER', 'DISCONNECT']);

type Outcome = 'answered' | 'missed' | 'abandoned' | 'transferred';

/** As AWS defines them: abandoned = queued and never connected to an agent; an outbound call never connected is missed. */
function outcomeOf(facts: ContactFacts, direction: 'inbound' | 'outbound'): Outcome | undefined {
  if (facts.connectedToAgentAt) return facts.transferredOn ? 'transferred' : 'answered';
  if (facts.enqueuedAt || facts.queue) return direction === 'inbound' ? 'abandoned' : 'missed';
  if (direction === 'outbound' && !facts.connectedToSystemAt) return 'missed';
  // An inbound call the flow handled alone (self-service, or a message and hang-up): no agent outcome.
  return undefined;
}

function notesOf(facts: ContactFacts): string | undefined {
  const part = (label: string, value: number | null | undefined) => (value === null || value === undefined ? [] : [`${label} ${value} s`]);
  const timings = [
    ...part('in queue', facts.queueSeconds),
    ...part('with the agent', facts.agentSeconds),
    ...part('on hold', facts.holdSeconds),
    ...part('after-call work', facts.afterCallWorkSeconds),
  ];
  const parts = [
    ...(facts.disconnectReason ? [`Disconnect reason: ${facts.disconnectReason}.`] : []),
    ...(timings.length ? [`${timings.join(', ').replace(/^./, (first) => first.toUpperCase())}.`] : []),
  ];
  return parts.length ? parts.join(' ') : undefined;
}

const outcomeWords: Record<Outcome, string> = { answered: 'answered', missed: 'not answered', abandoned: 'abandoned in queue', transferred: 'transferred' };

function touchpointOf(facts: ContactFacts): { touchpoint: TouchpointInput; version: string } | Unmapped {
  const { contactId } = facts;
  if (facts.channel.toUpperCase() !== 'VOICE') return { unmapped: 'not-a-voice-contact', contactId };
  if (transferMethods.has(facts.initiationMethod)) return { unmapped: 'transferred-leg', contactId };
  const phone = facts.customerEndpointType && facts.customerEndpointType !== 'TELEPHONE_NUMBER' ? undefined : phoneSchema.safeParse(facts.customerAddress);
  if (!phone?.success) return { unmapped: 'no-caller-number', contactId };
  const direction = outboundMethods.has(facts.initiationMethod) ? 'outbound' : 'inbound';
  const outcome = outcomeOf(facts, direction);
  const durationSeconds = facts.disconnectedAt ? Math.max(0, Math.round((Date.parse(facts.disconnectedAt) - Date.parse(facts.initiatedAt)) / 1000)) : 0;
  const notes = notesOf(facts);
  const parsed = touchpointInputSchema.safeParse({
    channel: 'call',
    identifiers: { phone: phone.data },
    occurredAt: isoOf(facts.initiatedAt),
    source: connectSource,
    summary: `${direction === 'inbound' ? 'Inbound' : 'Outbound'} call${outcome ? `, ${outcomeWords[outcome]}` : ''}${facts.agent ? ` (${facts.agent})` : ''}`,
    details: {
      direction,
      durationSeconds,
      ...(outcome ? { outcome } : {}),
      ...(facts.agent ? { agentId: facts.agent.slice(0, 100) } : {}),
      ...(facts.queue ? { queue: facts.queue.slice(0, 100) } : {}),
      ...(notes ? { notes } : {}),
      callId: contactId,
    },
  });
  if (!parsed.success) return { unmapped: 'invalid-touchpoint', contactId };
  return { touchpoint: parsed.data, version: facts.version };
}

export type MappedContact = { touchpoint: TouchpointInput; versioned: VersionedTouchpoint };

function mapped(facts: ContactFacts): MappedContact | Unmapped {
  const result = touchpointOf(facts);
  if ('unmapped' in result) return result;
  const { touchpoint, version } = result;
  return {
    touchpoint,
    versioned: {
      ref: { source: connectSource, upstreamId: facts.contactId },
      version,
      channel: touchpoint.channel,
      occurredAt: touchpoint.occurredAt as string,
      amendment: { summary: touchpoint.summary ?? null, details: touchpoint.details },
    },
  };
}

export function mapContactTraceRecord(record: ContactTraceRecord): MappedContact | Unmapped {
  return mapped(factsOfRecord(record));
}

/** Only the events after which the contact is over become a touchpoint: the ones before say less than the last. */
export function mapContactEvent(event: ContactEvent): MappedContact | Unmapped {
  if (!finalEventTypes.has(event.detail.eventType)) return { unmapped: 'not-a-final-event', contactId: event.detail.contactId };
  return mapped(factsOfEvent(event));
}
