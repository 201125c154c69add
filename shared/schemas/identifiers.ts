/**
 * The identifiers as requests name them, normalised. A phone number is parsed with
 * libphonenumber-js (about 70 KiB with the parsing metadata): only the functions that import this module, directly or through
 * the schemas that take identifiers in, bundle it, so keep schemas that take none out of those.
 */
import * as z from './zod.ts';
import { config } from '../config/config.ts';
import { externalIdValue, type NamedIdentifiers, normaliseEmail } from '../domain/identifiers.ts';
import { normalisePhone } from '../domain/phone-numbers.ts';
import { customerIdSchema, fitsPathSegment, notAPathSegment, segmentText, text } from './common.ts';

export const phoneSchema = z.withMeta(
  z.pipe(
    z.string().check(z.maxLength(40)),
    z.transform((raw, context) => {
      const e164 = normalisePhone(raw, config().DEFAULT_PHONE_REGION);
      if (e164 === undefined) {
        context.issues.push({
          code: 'custom',
          input: raw,
          message: `is not a valid phone number (national numbers are read as ${config().DEFAULT_PHONE_REGION})`,
        });
        return z.NEVER;
      }
      return e164;
    }),
  ),
  { description: 'Any common format; stored as E.164', example: '+44 20 7946 0018' },
);

export const emailSchema = z.withMeta(
  z.pipe(z.pipe(z.string().check(z.maxLength(320)), z.transform(normaliseEmail)), z.email('is not a valid email address')),
  { example: 'ada@example.com' },
);

export const externalIdSchema = z
  .strictObject({
    system: z.withMeta(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a system name of letters, digits, _ . or -')), { example: 'salesforce' }),
    id: text(200),
  })
  .check(
    // Named in paths as `system:id`, which is never a dot segment: only separators inside matter.
    z.refine((externalId) => fitsPathSegment(externalIdValue(externalId.system, externalId.id)), { message: notAPathSegment, path: ['id'] }),
  );

export const identifiersSchema = z.withMeta(
  z
    .strictObject({
      phone: z.optional(phoneSchema),
      email: z.optional(emailSchema),
      accountId: z.optional(segmentText(100)),
      invoiceNumber: z.optional(segmentText(100)),
      anonymousId: z.withMeta(z.optional(segmentText(200)), { description: 'A website cookie or device id' }),
      customerId: z.optional(customerIdSchema),
      externalId: z.optional(externalIdSchema),
    })
    .check(
      z.refine((identifiers) => Object.values(identifiers).some((value) => value !== undefined), {
        message: 'must hold at least one of phone, email, accountId, invoiceNumber, anonymousId, customerId, externalId',
      }),
    ),
  { id: 'Identifiers' },
) satisfies z.ZodMiniType<NamedIdentifiers>;

export type IdentifiersInput = z.input<typeof identifiersSchema>;
export type Identifiers = z.output<typeof identifiersSchema>;
