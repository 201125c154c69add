import * as z from './zod.ts';
import { tierNames } from '../domain/value-tiers.ts';
import { maxTraits, maxTraitValueLength } from '../domain/bounds.ts';
import { channels } from '../domain/channels.ts';
import { channelSchema, customerIdSchema, isoDateTime, optionalCursor } from './common.ts';

export const contactChannels = ['phone', 'email', 'sms', 'mail'] as const;
export const contactChannelSchema = z.enum(contactChannels);

/** An object with one required field per key: how the card answers per-channel figures (every key, always). */
export function everyKey<const K extends string, V extends z.ZodMiniType>(keys: readonly K[], value: V) {
  return z.object(Object.fromEntries(keys.map((key) => [key, value])) as Record<K, V>);
}

/**
 * The contact channel each accepted name means. The touchpoint channels call and letter are
 * contact channels under another name (a call is made on a phone, a letter goes by mail), so the
 * contact check takes them as a client holding a touchpoint's channel would send them.
 */
const contactChannelNamed = { phone: 'phone', email: 'email', sms: 'sms', mail: 'mail', call: 'phone', letter: 'mail' } as const;
type ContactChannelName = keyof typeof contactChannelNamed;

const contactCheckChannelSchema = z.withMeta(
  z.pipe(
    z.enum(Object.keys(contactChannelNamed) as [ContactChannelName, ...ContactChannelName[]], {
      error:
        'must be a contact channel: phone (or call), email, sms or mail (or letter); web_visit, chat, in_person and invoice_query are ' +
        'touchpoint channels no customer is contacted on',
    }),
    z.transform((name) => contactChannelNamed[name]),
  ),
  {
    description:
      'The contact channel: phone, email, sms or mail. The touchpoint channels call and letter are taken too, as phone and mail ' +
      '(the answer names the contact channel).',
    example: 'phone',
  },
);

export const maxTimelineLimit = 200;
export const defaultTimelineLimit = 50;

export const customerPathSchema = z.strictObject({
  customerId: z.withMeta(customerIdSchema, { description: 'The customer id (one merged away is followed to its survivor where a route says so)' }),
});

const pageLimit = (max: number, fallback: number) =>
  z.withMeta(z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(max)), fallback), {
    description: `Items per page, 1 to ${max} (default ${fallback})`,
  });

const commaSeparatedChannels = z.withMeta(
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((raw) =>
        raw
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      ),
    ),
    z.array(channelSchema).check(z.minLength(1)),
  ),
  { description: `Comma-separated channels: ${channels.join(', ')}`, example: 'call,email' },
);

export const timelineQuerySchema = z
  .strictObject({
    channel: z.withMeta(z.optional(commaSeparatedChannels), {
      description: `Only these channels, comma-separated: ${channels.join(', ')}`,
      example: 'call,email',
    }),
    from: z.withMeta(z.optional(isoDateTime), { description: 'Only touchpoints that happened at or after this time (with a UTC offset)' }),
    to: z.withMeta(z.optional(isoDateTime), { description: 'Only touchpoints that happened at or before this time (with a UTC offset)' }),
    limit: pageLimit(maxTimelineLimit, defaultTimelineLimit),
    cursor: optionalCursor,
  })
  .check(
    z.refine((query) => !query.from || !query.to || Date.parse(query.from) <= Date.parse(query.to), {
      message: 'from must not be after to',
      path: ['from'],
    }),
  );

export const lastContactSchema = z.nullable(
  z.object({ touchpointId: z.string(), channel: channelSchema, occurredAt: z.string(), summary: z.nullable(z.string()) }),
);

const cardFacts = {
  displayName: z.nullable(z.string()),
  traits: z.record(z.string(), z.unknown()),
  valueTier: z.object({
    name: z.enum(tierNames),
    scores: z.object({ recency: z.number(), frequency: z.number(), monetary: z.number() }),
    monetaryTotal: z.number(),
  }),
  touchpointCount: z.number().check(z.int()),
  countsByChannel: everyKey(channels, z.number().check(z.int())),
  lastContact: lastContactSchema,
  openInvoiceQueries: z.array(
    z.object({
      invoiceNumber: z.string(),
      queryId: z.nullable(z.string()),
      status: z.enum(['open', 'in_progress']),
      reason: z.nullable(z.string()),
      amount: z.nullable(z.object({ value: z.number(), currency: z.string() })),
      openedAt: z.string(),
      ageDays: z.number().check(z.int()),
    }),
  ),
  preferredChannel: z.nullable(z.object({ channel: contactChannelSchema, basis: z.enum(['stated', 'inferred']) })),
  contactPermissions: z.object({
    channels: everyKey(contactChannels, z.enum(['opted_in', 'opted_out', 'not_stated'])),
    quietHours: z.nullable(z.object({ start: z.string(), end: z.string(), timeZone: z.string() })),
    identifiers: z.array(
      z.object({
        type: z.enum(['phone', 'email']),
        value: z.string(),
        channels: z.partialRecord(contactChannelSchema, z.enum(['opted_in', 'opted_out'])),
        marketing: z.nullable(z.enum(['opted_in', 'opted_out'])),
      }),
    ),
  }),
  freshness: z.object({ updatedAt: z.string(), readAt: z.string() }),
};

/** The card of a list or an update's answer: the facts kept on the card item, read in one go with many others. */
export const cardSummarySchema = z.withMeta(z.object(cardFacts), { id: 'CardSummary' });

/** The card of a lookup: the summary with the pages the customer saw among the recent history read with it. */
export const cardSchema = z.withMeta(
  z.object({
    ...cardFacts,
    recentPages: z.withMeta(z.array(z.object({ url: z.string(), title: z.nullable(z.string()), occurredAt: z.string() })), {
      description: 'The newest web visits (up to 5) among the recent touchpoints the lookup read, newest first',
    }),
  }),
  { id: 'RecognitionCard' },
);

// Bounded in the domain (shared/domain/bounds.ts): the wire refuses what the profile could not hold.
export const traitsSchema = z
  .record(
    z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'trait names are 1-64 letters, digits, _ . - starting with a letter')),
    z.union([z.string().check(z.maxLength(maxTraitValueLength)), z.number(), z.boolean(), z.null()]),
  )
  .check(z.refine((traits) => Object.keys(traits).length <= maxTraits, { message: `at most ${maxTraits} traits` }));

export const updateCustomerSchema = z.withMeta(
  z
    .strictObject({
      displayName: z.optional(z.nullable(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)))),
      traits: z.optional(traitsSchema),
    })
    .check(
      z.refine((body) => body.displayName !== undefined || body.traits !== undefined, {
        message: 'give displayName, traits or both',
      }),
    ),
  { id: 'CustomerUpdate' },
);

export const contactCheckQuerySchema = z.strictObject({
  channel: contactCheckChannelSchema,
  at: z.withMeta(z.optional(isoDateTime), { description: 'When the contact would be made (with a UTC offset); defaults to now' }),
  purpose: z.withMeta(z._default(z.enum(['service', 'marketing']), 'service'), {
    description: 'service (default): about their account; marketing: also needs marketing consent',
  }),
  to: z.withMeta(z.optional(z.string().check(z.maxLength(320))), { description: 'A phone number or email address of the customer' }),
});

export const listCustomersQuerySchema = z.strictObject({
  tier: z.withMeta(z.enum(tierNames), { description: 'The value tier to list' }),
  limit: pageLimit(maxTimelineLimit, defaultTimelineLimit),
  cursor: optionalCursor,
});

export const customerCardSchema = z.withMeta(z.object({ customerId: customerIdSchema, card: cardSummarySchema }), { id: 'CustomerCard' });

export const customerListSchema = z.withMeta(z.object({ items: z.array(customerCardSchema), nextCursor: z.nullable(z.string()) }), { id: 'CustomerList' });

export const contactDecisionSchema = z.withMeta(
  z.object({
    customerId: customerIdSchema,
    channel: contactChannelSchema,
    purpose: z.enum(['service', 'marketing']),
    at: z.string(),
    allowed: z.boolean(),
    reasons: z.array(z.enum(['unknown_customer', 'not_customer_identifier', 'opted_out', 'identifier_opted_out', 'no_marketing_consent', 'quiet_hours'])),
    usableIdentifiers: z.array(z.object({ type: z.string(), value: z.string() })),
  }),
  { id: 'ContactDecision' },
);
