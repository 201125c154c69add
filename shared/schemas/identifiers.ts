/**
 * The identifiers as requests name them, normalised. A phone number is parsed with
 * libphonenumber-js (118 KiB): only the functions that import this module, directly or through
 * the schemas that take identifiers in, bundle it, so keep schemas that take none out of those.
 */
import * as z from 'zod';
import { config } from '../config/config.ts';
import { externalIdValue, type NamedIdentifiers, normaliseEmail } from '../domain/identifiers.ts';
import { normalisePhone } from '../domain/phone-numbers.ts';
import { customerIdSchema, fitsPathSegment, notAPathSegment, segmentText, text } from './common.ts';

export const phoneSchema = z
  .string()
  .max(40)
  .transform((raw, context) => {
    const e164 = normalisePhone(raw, config().DEFAULT_PHONE_REGION);
    if (e164 === undefined) {
      context.addIssue({
        code: 'custom',
        message: `is not a valid phone number (national numbers are read as ${config().DEFAULT_PHONE_REGION})`,
      });
      return z.NEVER;
    }
    return e164;
  })
  .meta({ description: 'Any common format; stored as E.164', example: '+44 20 7946 0018' });

export const emailSchema = z.string().max(320).transform(normaliseEmail).pipe(z.email('is not a valid email address')).meta({ example: 'ada@example.com' });

export const externalIdSchema = z
  .object({
    system: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a system name of letters, digits, _ . or -')
      .meta({ example: 'salesforce' }),
    id: text(200),
  })
  .strict()
  // Named in paths as `system:id`, which is never a dot segment: only separators inside matter.
  .refine((externalId) => fitsPathSegment(externalIdValue(externalId.system, externalId.id)), { message: notAPathSegment, path: ['id'] });

export const identifiersSchema = z
  .object({
    phone: phoneSchema.optional(),
    email: emailSchema.optional(),
    accountId: segmentText(100).optional(),
    invoiceNumber: segmentText(100).optional(),
    anonymousId: segmentText(200).optional().meta({ description: 'A website cookie or device id' }),
    customerId: customerIdSchema.optional(),
    externalId: externalIdSchema.optional(),
  })
  .strict()
  .refine((identifiers) => Object.values(identifiers).some((value) => value !== undefined), {
    message: 'must hold at least one of phone, email, accountId, invoiceNumber, anonymousId, customerId, externalId',
  })
  .meta({ id: 'Identifiers' }) satisfies z.ZodType<NamedIdentifiers>;

export type IdentifiersInput = z.input<typeof identifiersSchema>;
export type Identifiers = z.output<typeof identifiersSchema>;
