import { z } from 'zod';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { customerIdSchema, isoDateTime, text } from './common.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';
import { channelSchema, channels, touchpointSchema } from './touchpoint.ts';

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
      .regex(/^[A-Za-z0-9_.-]{1,64}:.{1,200}$/, 'must be system:id, e.g. salesforce:0031x00000AbCdE')
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
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .refine((query) => !query.from || !query.to || Date.parse(query.from) <= Date.parse(query.to), {
    message: 'from must not be after to',
    path: ['from'],
  });

const lastContactSchema = z
  .object({ touchpointId: z.string(), channel: channelSchema, occurredAt: z.string(), summary: z.string().nullable() })
  .nullable();

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
    recent: z.array(touchpointSchema).max(10),
  })
  .meta({ id: 'CustomerView' });

export const timelinePageSchema = z
  .object({ items: z.array(touchpointSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'TimelinePage' });
