import * as z from 'zod';
import { tierNames } from '../domain/value-tiers.ts';
import { maxTraits, maxTraitValueLength } from '../domain/bounds.ts';
import { channels } from '../domain/channels.ts';
import { channelSchema, customerIdSchema, isoDateTime, optionalCursor } from './common.ts';

export const contactChannels = ['phone', 'email', 'sms', 'mail'] as const;
export const contactChannelSchema = z.enum(contactChannels);

/** An object with one required field per key: how the card answers per-channel figures (every key, always). */
export function everyKey<const K extends string, V extends z.ZodType>(keys: readonly K[], value: V) {
  return z.object(Object.fromEntries(keys.map((key) => [key, value])) as Record<K, V>);
}

/**
 * The contact channel each accepted name means. The touchpoint channels call and letter are
 * contact channels under another name (a call is made on a phone, a letter goes by mail), so the
 * contact check takes them as a client holding a touchpoint's channel would send them.
 */
const contactChannelNamed = { phone: 'phone', email: 'email', sms: 'sms', mail: 'mail', call: 'phone', letter: 'mail' } as const;
type ContactChannelName = keyof typeof contactChannelNamed;

const contactCheckChannelSchema = z
  .enum(Object.keys(contactChannelNamed) as [ContactChannelName, ...ContactChannelName[]], {
    error:
      'must be a contact channel: phone (or call), email, sms or mail (or letter); web_visit, chat, in_person and invoice_query are ' +
      'touchpoint channels no customer is contacted on',
  })
  .transform((name) => contactChannelNamed[name])
  .meta({
    description:
      'The contact channel: phone, email, sms or mail. The touchpoint channels call and letter are taken too, as phone and mail ' +
      '(the answer names the contact channel).',
    example: 'phone',
  });

export const maxTimelineLimit = 200;
export const defaultTimelineLimit = 50;

export const customerPathSchema = z
  .object({ customerId: customerIdSchema.meta({ description: 'The customer id (one merged away is followed to its survivor where a route says so)' }) })
  .strict();

const pageLimit = (max: number, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .meta({ description: `Items per page, 1 to ${max} (default ${fallback})` });

const commaSeparatedChannels = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(z.array(channelSchema).min(1))
  .meta({ description: `Comma-separated channels: ${channels.join(', ')}`, example: 'call,email' });

export const timelineQuerySchema = z
  .object({
    channel: commaSeparatedChannels.optional().meta({ description: `Only these channels, comma-separated: ${channels.join(', ')}`, example: 'call,email' }),
    from: isoDateTime.optional().meta({ description: 'Only touchpoints that happened at or after this time (with a UTC offset)' }),
    to: isoDateTime.optional().meta({ description: 'Only touchpoints that happened at or before this time (with a UTC offset)' }),
    limit: pageLimit(maxTimelineLimit, defaultTimelineLimit),
    cursor: optionalCursor,
  })
  .strict()
  .refine((query) => !query.from || !query.to || Date.parse(query.from) <= Date.parse(query.to), {
    message: 'from must not be after to',
    path: ['from'],
  });

export const lastContactSchema = z
  .object({ touchpointId: z.string(), channel: channelSchema, occurredAt: z.string(), summary: z.string().nullable() })
  .nullable();

export const cardSchema = z
  .object({
    displayName: z.string().nullable(),
    traits: z.record(z.string(), z.unknown()),
    valueTier: z.object({
      name: z.enum(tierNames),
      scores: z.object({ recency: z.number(), frequency: z.number(), monetary: z.number() }),
      monetaryTotal: z.number(),
    }),
    touchpointCount: z.number().int(),
    countsByChannel: everyKey(channels, z.number().int()),
    lastContact: lastContactSchema,
    openInvoiceQueries: z.array(
      z.object({
        invoiceNumber: z.string(),
        queryId: z.string().nullable(),
        status: z.enum(['open', 'in_progress']),
        reason: z.string().nullable(),
        amount: z.object({ value: z.number(), currency: z.string() }).nullable(),
        openedAt: z.string(),
        ageDays: z.number().int(),
      }),
    ),
    recentPages: z.array(z.object({ url: z.string(), title: z.string().nullable(), occurredAt: z.string() })),
    preferredChannel: z.object({ channel: contactChannelSchema, basis: z.enum(['stated', 'inferred']) }).nullable(),
    contactPermissions: z.object({
      channels: everyKey(contactChannels, z.enum(['opted_in', 'opted_out', 'not_stated'])),
      quietHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }).nullable(),
      identifiers: z.array(
        z.object({
          type: z.enum(['phone', 'email']),
          value: z.string(),
          channels: z.partialRecord(contactChannelSchema, z.enum(['opted_in', 'opted_out'])),
          marketing: z.enum(['opted_in', 'opted_out']).nullable(),
        }),
      ),
    }),
    freshness: z.object({ updatedAt: z.string(), readAt: z.string() }),
  })
  .meta({ id: 'RecognitionCard' });

// Bounded in the domain (shared/domain/bounds.ts): the wire refuses what the profile could not hold.
export const traitsSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'trait names are 1-64 letters, digits, _ . - starting with a letter'),
    z.union([z.string().max(maxTraitValueLength), z.number().finite(), z.boolean(), z.null()]),
  )
  .refine((traits) => Object.keys(traits).length <= maxTraits, { message: `at most ${maxTraits} traits` });

export const updateCustomerSchema = z
  .object({
    displayName: z.string().trim().min(1).max(200).nullable().optional(),
    traits: traitsSchema.optional(),
  })
  .strict()
  .refine((body) => body.displayName !== undefined || body.traits !== undefined, {
    message: 'give displayName, traits or both',
  })
  .meta({ id: 'CustomerUpdate' });

export const contactCheckQuerySchema = z
  .object({
    channel: contactCheckChannelSchema,
    at: isoDateTime.optional().meta({ description: 'When the contact would be made (with a UTC offset); defaults to now' }),
    purpose: z
      .enum(['service', 'marketing'])
      .default('service')
      .meta({ description: 'service (default): about their account; marketing: also needs marketing consent' }),
    to: z.string().max(320).optional().meta({ description: 'A phone number or email address of the customer' }),
  })
  .strict();

export const listCustomersQuerySchema = z
  .object({
    tier: z.enum(tierNames).meta({ description: 'The value tier to list' }),
    limit: pageLimit(maxTimelineLimit, defaultTimelineLimit),
    cursor: optionalCursor,
  })
  .strict();

export const customerCardSchema = z.object({ customerId: customerIdSchema, card: cardSchema }).meta({ id: 'CustomerCard' });

export const customerListSchema = z.object({ items: z.array(customerCardSchema), nextCursor: z.string().nullable() }).meta({ id: 'CustomerList' });

export const contactDecisionSchema = z
  .object({
    customerId: customerIdSchema,
    channel: contactChannelSchema,
    purpose: z.enum(['service', 'marketing']),
    at: z.string(),
    allowed: z.boolean(),
    reasons: z.array(z.enum(['unknown_customer', 'not_customer_identifier', 'opted_out', 'identifier_opted_out', 'no_marketing_consent', 'quiet_hours'])),
    usableIdentifiers: z.array(z.object({ type: z.string(), value: z.string() })),
  })
  .meta({ id: 'ContactDecision' });
