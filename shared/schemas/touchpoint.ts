import * as z from 'zod';
import { retentionMonths, touchpointExpiresAt } from '../config/retention.ts';
import { maxIdentifiersPerCustomer } from '../domain/bounds.ts';
import { type Channel, channels } from '../domain/channels.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { channelSchema, credentialSource, customerIdSchema, idempotencyKeySchema, isoDateTime, text, touchpointIdSchema } from './common.ts';
import { emailSchema, identifiersSchema, phoneSchema } from './identifiers.ts';

export { type Channel, channels };

const direction = z.enum(['inbound', 'outbound']);
const notes = z.string().trim().max(4000);
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048);

export const invoiceQueryStatuses = ['open', 'in_progress', 'resolved'] as const;

const detailsByChannel = {
  call: z
    .object({
      direction,
      durationSeconds: z.number().int().min(0).max(86_400),
      outcome: z.enum(['answered', 'missed', 'voicemail', 'abandoned', 'transferred']).optional(),
      agentId: text(100).optional(),
      queue: text(100).optional(),
      notes: notes.optional(),
      callId: text(200).optional().meta({ description: "The telephony system's id of the call" }),
    })
    .strict(),
  email: z
    .object({
      direction,
      messageId: text(998).meta({ description: 'The RFC 5322 Message-ID' }),
      subject: z.string().trim().max(998),
      from: emailSchema,
      to: z.array(emailSchema).min(1).max(100),
      cc: z.array(emailSchema).max(100).optional(),
      threadId: text(998).optional(),
    })
    .strict(),
  invoice_query: z
    .object({
      invoiceNumber: text(100),
      queryId: text(100).optional(),
      status: z.enum(invoiceQueryStatuses),
      reason: text(500).optional(),
      amount: z
        .object({
          value: z.number().finite().min(0).max(1e12),
          currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as GBP'),
        })
        .strict()
        .optional(),
      notes: notes.optional(),
    })
    .strict(),
  web_visit: z
    .object({
      url: httpUrl,
      title: text(500).optional(),
      referrer: httpUrl.optional(),
      sessionId: text(200).optional(),
      userAgent: text(1000).optional(),
    })
    .strict(),
  letter: z
    .object({
      direction: direction.optional(),
      notes: notes.optional(),
      subject: text(500).optional(),
      reference: text(200).optional().meta({ description: 'Our or their letter reference' }),
      trackingNumber: text(100).optional(),
    })
    .strict(),
  chat: z
    .object({
      direction: direction.optional(),
      notes: notes.optional(),
      conversationId: text(200).optional(),
      agentId: text(100).optional(),
      messageCount: z.number().int().min(0).max(100_000).optional(),
      transcriptUrl: httpUrl.optional(),
    })
    .strict(),
  sms: z
    .object({
      direction: direction.optional(),
      notes: notes.optional(),
      messageId: text(200).optional(),
      body: z.string().max(1600).optional().meta({ description: 'The message text (up to 10 concatenated SMS)' }),
      to: phoneSchema.optional(),
      from: phoneSchema.optional(),
    })
    .strict(),
  in_person: z
    .object({
      direction: direction.optional(),
      notes: notes.optional(),
      location: text(200).optional().meta({ description: 'Branch, shop or address of the visit' }),
      staffId: text(100).optional(),
      durationMinutes: z.number().int().min(0).max(1440).optional(),
    })
    .strict(),
} satisfies Record<Channel, z.ZodType>;

const touchpointFields = {
  identifiers: identifiersSchema,
  occurredAt: isoDateTime.optional().meta({ description: 'When it happened; defaults to when it was received' }),
  source: credentialSource,
  summary: text(500).optional(),
  value: z
    .number()
    .finite()
    .min(0)
    .max(1e12)
    .optional()
    .meta({ description: 'Monetary value the contact brought, in the reporting currency; feeds the value tier' }),
  idempotencyKey: idempotencyKeySchema.optional(),
};

/** `CallTouchpoint` for `call`: each channel's touchpoint is a component, so the union carries a discriminator. */
const componentIdOf = (channel: Channel) =>
  `${channel
    .split('_')
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('')}Touchpoint`;

function touchpointOf<C extends Channel>(channel: C) {
  return z
    .object({ channel: z.literal(channel), ...touchpointFields, details: detailsByChannel[channel] })
    .strict()
    .superRefine((touchpoint, context) => {
      // Older than its channel keeps touchpoints: TTL would delete it on arrival, after a 201 that promised it was kept.
      if (touchpoint.occurredAt !== undefined && touchpointExpiresAt(channel, touchpoint.occurredAt) * 1000 <= Date.now()) {
        context.addIssue({
          code: 'custom',
          path: ['occurredAt'],
          message: `is older than the ${retentionMonths(channel)}-month retention of ${channel} touchpoints: it would be deleted on arrival`,
        });
      }
    })
    .meta({ id: componentIdOf(channel) });
}

const touchpointInputId = 'TouchpointInput';

export const touchpointInputSchema = z
  .discriminatedUnion(
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
  )
  .meta({ id: touchpointInputId });

export type TouchpointInput = z.output<typeof touchpointInputSchema>;
export type TouchpointDetails = TouchpointInput['details'];

export const maxBatchItems = 100;

export const batchInputSchema = z
  .object({
    // Each item is parsed on its own (its problem is its own result), so the schema takes any
    // item; the document names what an item must be.
    items: z
      .array(z.unknown())
      .min(1)
      .max(maxBatchItems)
      .meta({
        description: `1 to ${maxBatchItems} touchpoints, each as POST /v1/touchpoints takes one`,
        override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
          jsonSchema.items = { $ref: `#/components/schemas/${touchpointInputId}` };
        },
      }),
  })
  .strict()
  .meta({ id: 'TouchpointBatchInput' });

export const ingestResultSchema = z
  .object({
    touchpointId: touchpointIdSchema,
    customerId: customerIdSchema,
    customerCreated: z.boolean(),
    replayed: z.boolean(),
    merges: z
      .array(z.object({ mergeId: z.string(), sourceCustomerId: customerIdSchema }))
      .optional()
      .meta({ description: 'Anonymous profiles merged into the customer because this touchpoint tied them together' }),
    identifiersNotAttached: z
      .array(z.enum(identifierTypesByStrength))
      .optional()
      .meta({
        description:
          "The types of this touchpoint's new identifiers that were not attached to the customer because it holds the most identifiers " +
          `one customer can (${maxIdentifiersPerCustomer}): the touchpoint is recorded, but these identifiers will not find the customer. Unlink some to make room.`,
      }),
  })
  .meta({ id: 'IngestResult', description: 'The answer to a client holding customers:read' });

export const ingestReceiptSchema = z
  .object({ touchpointId: touchpointIdSchema })
  .strict()
  .meta({
    id: 'IngestReceipt',
    description:
      'The answer to a write-only client (no customers:read): the same for known, unknown and suppressed identifiers and for ' +
      'a customer id nobody has, so that it tells nothing about customers. A touchpoint carrying a suppressed identifier or ' +
      'naming an unknown customer id is not stored.',
  });

export const touchpointSchema = z
  .object({
    touchpointId: touchpointIdSchema,
    customerId: customerIdSchema,
    channel: channelSchema,
    occurredAt: z.string().meta({ description: 'UTC, millisecond precision' }),
    receivedAt: z.string(),
    source: z.string(),
    identifiers: identifiersSchema,
    summary: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    value: z.number().optional(),
    ambiguity: z
      .object({
        otherCandidates: z.array(customerIdSchema),
        sharedIdentifiers: z.array(z.object({ type: z.enum(identifierTypesByStrength), value: z.string() })),
      })
      .optional()
      .meta({ description: 'Set when only a shared identifier recognised the customer: the other customers it could be' }),
  })
  .meta({ id: 'Touchpoint' });
