/**
 * The requests that name one identifier: by type and value (linking, unlinking) or by query
 * parameter (a lookup). Apart from identifiers.ts, whose phone and email schemas every connector
 * imports, so that those do not build these too.
 */
import * as z from './zod.ts';
import { customerIdSchema, fitsPathSegment, notAPathSegment, requestedBy, text } from './common.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';

/** One identifier named by type and value, normalised by its type (path parameters and link bodies). */
export const typedIdentifierSchema = z.withMeta(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('phone'), value: phoneSchema }),
    z.object({ type: z.literal('email'), value: emailSchema }),
    z.object({ type: z.literal('accountId'), value: text(100) }),
    z.object({ type: z.literal('invoiceNumber'), value: text(100) }),
    z.object({ type: z.literal('anonymousId'), value: text(200) }),
    z.object({
      type: z.literal('externalId'),
      value: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}:[\s\S]{1,200}$/, 'must be system:id')),
    }),
  ]),
  { id: 'TypedIdentifier' },
);

export const linkIdentifierSchema = z.withMeta(
  z
    .intersection(
      typedIdentifierSchema,
      z.object({
        shared: z.withMeta(z._default(z.boolean(), false), { description: 'Link a phone or email that another customer also uses (a household line)' }),
        requestedBy,
      }),
    )
    .check(
      z.refine((body) => !body.shared || body.type === 'phone' || body.type === 'email', {
        message: 'only a phone number or an email address can be shared',
        path: ['shared'],
      }), // Refused on linking only: unlinking names the value in the path, so it must be one segment.
      z.refine((body) => fitsPathSegment(body.value), { message: notAPathSegment, path: ['value'] }),
    ),
  { id: 'LinkIdentifier' },
);

export const lookupQuerySchema = z
  .strictObject({
    phone: z.withMeta(z.optional(phoneSchema), { description: 'A phone number in any common format (national numbers in the default region)' }),
    email: z.withMeta(z.optional(emailSchema), { description: 'An email address (case and dots in Gmail addresses do not matter)' }),
    accountId: z.withMeta(z.optional(text(100)), { description: 'The account number of the billing system' }),
    invoiceNumber: z.withMeta(z.optional(text(100)), { description: 'An invoice number the customer queried' }),
    anonymousId: z.withMeta(z.optional(text(200)), { description: 'A website cookie or device id' }),
    customerId: z.withMeta(z.optional(customerIdSchema), { description: 'A customer id; one merged away answers with its survivor' }),
    externalId: z.withMeta(
      z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}:[\s\S]{1,200}$/, 'must be system:id, e.g. salesforce:0031x00000AbCdE'))),
      { description: "Another system's id as system:id", example: 'salesforce:0031x00000AbCdE' },
    ),
  })
  .check(
    z.refine((query) => Object.values(query).filter((value) => value !== undefined).length === 1, {
      message: 'give exactly one of phone, email, accountId, invoiceNumber, anonymousId, customerId, externalId',
    }),
  );
