import * as z from 'zod';
import { tierNames } from '../domain/value-tiers.ts';
import { maxTraits, maxTraitValueLength } from '../domain/bounds.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { cursorSchema, customerIdSchema, isoDateTime, text } from './common.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';
import { channelSchema, channels, touchpointSchema } from './touchpoint.ts';

export const contactChannelSchema = z.enum(['phone', 'email', 'sms', 'mail']);

export const maxTimelineLimit = 200;
export const defaultTimelineLimit = 50;

export const lookupQuerySchema = z
  .object({
    phone: phoneSchema.optional(),
    email: emailSchema.optional(),
    accountId: text(100).optional(),
    invoiceNumber: text(100).optional(),
    anonymousId: text(200).optional(),
    customerId: customerIdSchema.optional(),
    externalId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}:[\s\S]{1,200}$/, 'must be system:id, e.g. salesforce:0031x00000AbCdE')
      .optional(),
  })
  .strict()
  .refine((query) => Object.values(query).filter((value) => value !== undefined).length === 1, {
    message: 'give exactly one of phone, email, accountId, invoiceNumber, anonymousId, customerId, externalId',
  });

export const customerPathSchema = z.object({ customerId: customerIdSchema }).strict();

const commaSeparatedChannels = z
  .string()
  .transform((raw) => raw.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(z.array(channelSchema).min(1))
  .meta({ description: `Comma-separated channels: ${channels.join(', ')}`, example: 'call,email' });

export const timelineQuerySchema = z
  .object({
    channel: commaSeparatedChannels.optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    limit: z.coerce.number().int().min(1).max(maxTimelineLimit).default(defaultTimelineLimit),
    cursor: cursorSchema.optional(),
  })
  .strict()
  .refine((query) => !query.from || !query.to || Date.parse(query.from) <= Date.parse(query.to), {
    message: 'from must not be after to',
    path: ['from'],
  });

const lastContactSchema = z
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
    countsByChannel: z.record(channelSchema, z.number().int()),
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
      channels: z.record(contactChannelSchema, z.enum(['opted_in', 'opted_out', 'not_stated'])),
      quietHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }).nullable(),
      identifiers: z.array(z.record(z.string(), z.unknown())),
    }),
    freshness: z.object({ updatedAt: z.string(), readAt: z.string() }),
  })
  .meta({ id: 'RecognitionCard' });

export const customerViewSchema = z
  .object({
    customer: z.object({
      customerId: customerIdSchema,
      createdAt: z.string(),
      identifiers: z.array(z.object({ type: z.enum(identifierTypesByStrength), value: z.string() })),
    }),
    summary: z.object({
      touchpointCount: z.number().int(),
      countsByChannel: z.record(channelSchema, z.number().int()),
      lastContact: lastContactSchema,
    }),
    card: cardSchema,
    recent: z.array(touchpointSchema).max(10),
  })
  .meta({ id: 'CustomerView' });

export const timelinePageSchema = z
  .object({ items: z.array(touchpointSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'TimelinePage' });

const permissionSchema = z.enum(['opted_in', 'opted_out']);
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');
const timeZoneSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Europe/London' },
);

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

const identifierPermissionFields = {
  channels: z.partialRecord(contactChannelSchema, permissionSchema).default({}),
  marketing: permissionSchema.nullable().default(null).meta({ description: 'opted_out: never market to this address' }),
};

export const preferencesInputSchema = z
  .object({
    channels: z.partialRecord(contactChannelSchema, permissionSchema).default({}),
    preferredChannel: contactChannelSchema.nullable().default(null),
    quietHours: z.object({ start: clockTime, end: clockTime, timeZone: timeZoneSchema }).strict().nullable().default(null),
    identifiers: z
      .array(
        z.discriminatedUnion('type', [
          z
            .object({ type: z.literal('phone'), value: phoneSchema, ...identifierPermissionFields })
            .strict(),
          z
            .object({ type: z.literal('email'), value: emailSchema, ...identifierPermissionFields })
            .strict(),
        ]),
      )
      .max(20)
      .default([]),
    receivedVia: channelSchema.meta({ description: 'The channel through which the customer told us' }),
    source: text(100),
  })
  .strict()
  .meta({ id: 'PreferencesInput' });

export const contactCheckQuerySchema = z
  .object({
    channel: contactChannelSchema,
    at: isoDateTime.optional(),
    purpose: z.enum(['service', 'marketing']).default('service'),
    to: z.string().max(320).optional().meta({ description: 'A phone number or email address of the customer' }),
  })
  .strict();

export const listCustomersQuerySchema = z
  .object({
    tier: z.enum(tierNames),
    limit: z.coerce.number().int().min(1).max(maxTimelineLimit).default(defaultTimelineLimit),
    cursor: cursorSchema.optional(),
  })
  .strict();

export const customerCardSchema = z.object({ customerId: customerIdSchema, card: cardSchema }).meta({ id: 'CustomerCard' });

export const customerListSchema = z
  .object({ items: z.array(customerCardSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'CustomerList' });

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

export const preferencesResultSchema = z
  .object({
    customerId: customerIdSchema,
    touchpointId: z.string(),
    preferences: z.record(z.string(), z.unknown()),
    changes: z.array(z.string()),
  })
  .meta({ id: 'PreferencesResult' });
