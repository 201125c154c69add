import * as z from './zod.ts';
import { retentionMonths, touchpointExpiresAt } from '../config/retention.ts';
import { maxIdentifiersPerCustomer } from '../domain/bounds.ts';
import { type Channel, channels } from '../domain/channels.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { channelSchema, credentialSource, customerIdSchema, idempotencyKeySchema, isoDateTime, text, touchpointIdSchema } from './common.ts';
import { emailSchema, identifiersSchema, phoneSchema } from './identifiers.ts';

export { type Channel, channels };

const direction = z.enum(['inbound', 'outbound']);
const notes = z.string().check(z.trim(), z.maxLength(4000));
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).check(z.maxLength(2048));

export const invoiceQueryStatuses = ['open', 'in_progress', 'resolved'] as const;

const detailsByChannel = {
  call: z.strictObject({
    direction,
    durationSeconds: z.number().check(z.int(), z.gte(0), z.lte(86_400)),
    outcome: z.optional(z.enum(['answered', 'missed', 'voicemail', 'abandoned', 'transferred'])),
    agentId: z.optional(text(100)),
    queue: z.optional(text(100)),
    notes: z.optional(notes),
    callId: z.withMeta(z.optional(text(200)), { description: "The telephony system's id of the call" }),
  }),
  email: z.strictObject({
    direction,
    messageId: z.withMeta(text(998), { description: 'The RFC 5322 Message-ID' }),
    subject: z.string().check(z.trim(), z.maxLength(998)),
    from: emailSchema,
    to: z.array(emailSchema).check(z.minLength(1), z.maxLength(100)),
    cc: z.optional(z.array(emailSchema).check(z.maxLength(100))),
    threadId: z.optional(text(998)),
  }),
  invoice_query: z.strictObject({
    invoiceNumber: text(100),
    queryId: z.optional(text(100)),
    status: z.enum(invoiceQueryStatuses),
    reason: z.optional(text(500)),
    amount: z.optional(
      z.strictObject({
        value: z.number().check(z.gte(0), z.lte(1e12)),
        currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as GBP')),
      }),
    ),
    notes: z.optional(notes),
  }),
  web_visit: z.strictObject({
    url: httpUrl,
    title: z.optional(text(500)),
    referrer: z.optional(httpUrl),
    sessionId: z.optional(text(200)),
    userAgent: z.optional(text(1000)),
  }),
  letter: z.strictObject({
    direction: z.optional(direction),
    notes: z.optional(notes),
    subject: z.optional(text(500)),
    reference: z.withMeta(z.optional(text(200)), { description: 'Our or their letter reference' }),
    trackingNumber: z.optional(text(100)),
  }),
  chat: z.strictObject({
    direction: z.optional(direction),
    notes: z.optional(notes),
    conversationId: z.optional(text(200)),
    agentId: z.optional(text(100)),
    messageCount: z.optional(z.number().check(z.int(), z.gte(0), z.lte(100_000))),
    transcriptUrl: z.optional(httpUrl),
  }),
  sms: z.strictObject({
    direction: z.optional(direction),
    notes: z.optional(notes),
    messageId: z.optional(text(200)),
    body: z.withMeta(z.optional(z.string().check(z.maxLength(1600))), { description: 'The message text (up to 10 concatenated SMS)' }),
    to: z.optional(phoneSchema),
    from: z.optional(phoneSchema),
  }),
  in_person: z.strictObject({
    direction: z.optional(direction),
    notes: z.optional(notes),
    location: z.withMeta(z.optional(text(200)), { description: 'Branch, shop or address of the visit' }),
    staffId: z.optional(text(100)),
    durationMinutes: z.optional(z.number().check(z.int(), z.gte(0), z.lte(1440))),
  }),
} satisfies Record<Channel, z.ZodMiniType>;

const touchpointFields = {
  identifiers: identifiersSchema,
  occurredAt: z.withMeta(z.optional(isoDateTime), { description: 'When it happened; defaults to when it was received' }),
  source: credentialSource,
  summary: z.optional(text(500)),
  value: z.withMeta(z.optional(z.number().check(z.gte(0), z.lte(1e12))), {
    description: 'Monetary value the contact brought, in the reporting currency; feeds the value tier',
  }),
  idempotencyKey: z.optional(idempotencyKeySchema),
};

/** `CallTouchpoint` for `call`: each channel's touchpoint is a component, so the union carries a discriminator. */
const componentIdOf = (channel: Channel) =>
  `${channel
    .split('_')
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('')}Touchpoint`;

function touchpointOf<C extends Channel>(channel: C) {
  return z.withMeta(
    z.strictObject({ channel: z.literal(channel), ...touchpointFields, details: detailsByChannel[channel] }).check(
      z.superRefine((touchpoint, context) => {
        // Older than its channel keeps touchpoints: TTL would delete it on arrival, after a 201 that promised it was kept.
        if (touchpoint.occurredAt !== undefined && touchpointExpiresAt(channel, touchpoint.occurredAt) * 1000 <= Date.now()) {
          context.addIssue({
            code: 'custom',
            path: ['occurredAt'],
            message: `is older than the ${retentionMonths(channel)}-month retention of ${channel} touchpoints: it would be deleted on arrival`,
          });
        }
      }),
    ),
    { id: componentIdOf(channel) },
  );
}

const touchpointInputId = 'TouchpointInput';

export const touchpointInputSchema = z.withMeta(
  z.discriminatedUnion(
    'channel',
    [
      touchpointOf('call'),
      touchpointOf('email'),
      touchpointOf('invoice_query'),
      touchpointOf('web_visit'),
      touchpointOf('letter'),
      touchpointOf('chat'),
      touchpointOf('sms'),
      touchpointOf('in_person'),
    ],
    {
      error: (issue) => {
        if (issue.code !== 'invalid_union') return undefined;
        const given = (issue.input as { channel?: unknown } | undefined)?.channel;
        return given === undefined ? `is required: one of ${channels.join(', ')}` : `must be one of ${channels.join(', ')}`;
      },
    },
  ),
  { id: touchpointInputId },
);

export type TouchpointInput = z.output<typeof touchpointInputSchema>;
export type TouchpointDetails = TouchpointInput['details'];

export const maxBatchItems = 100;

export const batchInputSchema = z.withMeta(
  z.strictObject({
    // Each item is parsed on its own (its problem is its own result), so the schema takes any
    // item; the document names what an item must be.
    items: z.withMeta(z.array(z.unknown()).check(z.minLength(1), z.maxLength(maxBatchItems)), {
      description: `1 to ${maxBatchItems} touchpoints, each as POST /v1/touchpoints takes one`,
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        jsonSchema.items = { $ref: `#/components/schemas/${touchpointInputId}` };
      },
    }),
  }),
  { id: 'TouchpointBatchInput' },
);

export const ingestResultSchema = z.withMeta(
  z.object({
    touchpointId: touchpointIdSchema,
    customerId: customerIdSchema,
    customerCreated: z.boolean(),
    replayed: z.boolean(),
    merges: z.withMeta(z.optional(z.array(z.object({ mergeId: z.string(), sourceCustomerId: customerIdSchema }))), {
      description: 'Anonymous profiles merged into the customer because this touchpoint tied them together',
    }),
    identifiersNotAttached: z.withMeta(z.optional(z.array(z.enum(identifierTypesByStrength))), {
      description:
        "The types of this touchpoint's new identifiers that were not attached to the customer because it holds the most identifiers " +
        `one customer can (${maxIdentifiersPerCustomer}): the touchpoint is recorded, but these identifiers will not find the customer. Unlink some to make room.`,
    }),
  }),
  { id: 'IngestResult', description: 'The answer to a client holding customers:read' },
);

export const ingestReceiptSchema = z.withMeta(z.strictObject({ touchpointId: touchpointIdSchema }), {
  id: 'IngestReceipt',
  description:
    'The answer to a write-only client (no customers:read): the same for known, unknown and suppressed identifiers and for ' +
    'a customer id nobody has, so that it tells nothing about customers. A touchpoint carrying a suppressed identifier or ' +
    'naming an unknown customer id is not stored.',
});

export const touchpointSchema = z.withMeta(
  z.object({
    touchpointId: touchpointIdSchema,
    customerId: customerIdSchema,
    channel: channelSchema,
    occurredAt: z.withMeta(z.string(), { description: 'UTC, millisecond precision' }),
    receivedAt: z.string(),
    source: z.string(),
    identifiers: identifiersSchema,
    summary: z.nullable(z.string()),
    details: z.record(z.string(), z.unknown()),
    value: z.optional(z.number()),
    ambiguity: z.withMeta(
      z.optional(
        z.object({
          otherCandidates: z.array(customerIdSchema),
          sharedIdentifiers: z.array(z.object({ type: z.enum(identifierTypesByStrength), value: z.string() })),
        }),
      ),
      { description: 'Set when only a shared identifier recognised the customer: the other customers it could be' },
    ),
  }),
  { id: 'Touchpoint' },
);
