import * as z from 'zod';
import { cursorSchema, customerIdSchema, fitsPathSegment, notAPathSegment, text } from './common.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';

const requestedBy = text(200)
  .optional()
  .meta({ description: 'The staff member or process acting, for the audit trail' });

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
      shared: z
        .boolean()
        .default(false)
        .meta({ description: 'Link a phone or email that another customer also uses (a household line)' }),
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

export const identifierPathSchema = z.object({ customerId: customerIdSchema, type: z.string(), value: z.string() });

export const mergeRequestSchema = z
  .object({ sourceCustomerId: customerIdSchema, reason: text(500), requestedBy })
  .strict()
  .meta({ id: 'MergeRequest' });

export const mergeIdSchema = z.string().regex(/^mrg_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a merge id issued by this API');

export const undoRequestSchema = z.object({ reason: text(500).optional(), requestedBy }).strict();

export const moveTouchpointSchema = z
  .object({ customerId: customerIdSchema, reason: text(500), requestedBy })
  .strict()
  .meta({ id: 'MoveTouchpoint' });

export const candidatesQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: cursorSchema.optional() })
  .strict();

export const mergeRecordSchema = z
  .object({
    mergeId: z.string(),
    kind: z.enum(['merge', 'move']),
    targetCustomerId: z.string(),
    sourceCustomerId: z.string(),
    reason: z.string(),
    actor: z.string(),
    status: z.enum(['in_progress', 'completed', 'undoing', 'undone']),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    undoneAt: z.string().nullable(),
    undoneBy: z.string().nullable(),
    movedIdentifiers: z.array(z.object({ type: z.string(), value: z.string() })),
    movedTouchpointCount: z.number().int(),
    touchpointId: z.string().nullable(),
  })
  .meta({ id: 'MergeRecord' });
