/**
 * The requests that name one identifier: by type and value (linking, unlinking) or by query
 * parameter (a lookup). Apart from identifiers.ts, whose phone and email schemas every connector
 * imports, so that those do not build these too.
 */
import * as z from 'zod';
import { customerIdSchema, fitsPathSegment, notAPathSegment, requestedBy, text } from './common.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';

/** One identifier named by type and value, normalised by its type (path parameters and link bodies). */
export const typedIdentifierSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('phone'), value: phoneSchema }),
    z.object({ type: z.literal('email'), value: emailSchema }),
    z.object({ type: z.literal('accountId'), value: text(100) }),
    z.object({ type: z.literal('invoiceNumber'), value: text(100) }),
    z.object({ type: z.literal('anonymousId'), value: text(200) }),
    z.object({
      type: z.literal('externalId'),
      value: z.string().regex(/^[A-Za-z0-9_.-]{1,64}:[\s\S]{1,200}$/, 'must be system:id'),
    }),
  ])
  .meta({ id: 'TypedIdentifier' });

export const linkIdentifierSchema = z
  .intersection(
    typedIdentifierSchema,
    z.object({
      shared: z.boolean().default(false).meta({ description: 'Link a phone or email that another customer also uses (a household line)' }),
      requestedBy,
    }),
  )
  .refine((body) => !body.shared || body.type === 'phone' || body.type === 'email', {
    message: 'only a phone number or an email address can be shared',
    path: ['shared'],
  })
  // Refused on linking only: unlinking names the value in the path, so it must be one segment.
  .refine((body) => fitsPathSegment(body.value), { message: notAPathSegment, path: ['value'] })
  .meta({ id: 'LinkIdentifier' });

export const lookupQuerySchema = z
  .object({
    phone: phoneSchema.optional().meta({ description: 'A phone number in any common format (national numbers in the default region)' }),
    email: emailSchema.optional().meta({ description: 'An email address (case and dots in Gmail addresses do not matter)' }),
    accountId: text(100).optional().meta({ description: 'The account number of the billing system' }),
    invoiceNumber: text(100).optional().meta({ description: 'An invoice number the customer queried' }),
    anonymousId: text(200).optional().meta({ description: 'A website cookie or device id' }),
    customerId: customerIdSchema.optional().meta({ description: 'A customer id; one merged away answers with its survivor' }),
    externalId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}:[\s\S]{1,200}$/, 'must be system:id, e.g. salesforce:0031x00000AbCdE')
      .optional()
      .meta({ description: "Another system's id as system:id", example: 'salesforce:0031x00000AbCdE' }),
  })
  .strict()
  .refine((query) => Object.values(query).filter((value) => value !== undefined).length === 1, {
    message: 'give exactly one of phone, email, accountId, invoiceNumber, anonymousId, customerId, externalId',
  });
