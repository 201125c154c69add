import * as z from './zod.ts';
import { channels } from '../domain/channels.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { customerIdSchema } from './common.ts';
import { cardSchema, everyKey, lastContactSchema } from './customer.ts';
import { touchpointSchema } from './touchpoint.ts';

/*
 * What a lookup, a customer read and a timeline page answer, apart from customer.ts: a touchpoint
 * describes its identifiers with identifiers.ts's schema, which brings libphonenumber-js, and the
 * customer routes that take no identifier import customer.ts for their requests.
 */

export const customerViewSchema = z.withMeta(
  z.object({
    customer: z.object({
      customerId: customerIdSchema,
      createdAt: z.string(),
      identifiers: z.array(z.object({ type: z.enum(identifierTypesByStrength), value: z.string() })),
    }),
    summary: z.object({
      touchpointCount: z.number().check(z.int()),
      countsByChannel: everyKey(channels, z.number().check(z.int())),
      lastContact: lastContactSchema,
    }),
    card: cardSchema,
    recent: z.array(touchpointSchema).check(z.maxLength(10)),
    redirectedFrom: z.withMeta(z.optional(customerIdSchema), { description: 'The id asked for, when it was merged away: this is its survivor' }),
  }),
  { id: 'CustomerView' },
);

export const timelinePageSchema = z.withMeta(
  z.object({
    items: z.array(touchpointSchema),
    nextCursor: z.nullable(z.string()),
    customerId: z.withMeta(z.optional(customerIdSchema), { description: 'The survivor whose timeline this is, when the id asked for was merged away' }),
    redirectedFrom: z.withMeta(z.optional(customerIdSchema), { description: 'The id asked for, when it was merged away' }),
  }),
  { id: 'TimelinePage' },
);
