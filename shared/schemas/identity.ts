import * as z from 'zod';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { customerIdSchema, optionalCursor, requestedBy, text } from './common.ts';

export const identifierPathSchema = z.object({
  customerId: customerIdSchema.meta({ description: 'The customer the identifier is on' }),
  type: z.string().meta({ description: 'The identifier type: phone, email, accountId, invoiceNumber, anonymousId or externalId', example: 'email' }),
  value: z.string().meta({ description: 'The identifier as listed (URL-encoded; an externalId as system:id)', example: 'ada@example.com' }),
});

export const mergeRequestSchema = z
  .object({ sourceCustomerId: customerIdSchema, reason: text(500), requestedBy })
  .strict()
  .meta({ id: 'MergeRequest' });

export const mergeIdSchema = z
  .string()
  .regex(/^mrg_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a merge id issued by this API')
  .meta({ description: 'The mergeId of a merge or of a touchpoint move (both are listed with the merges)', example: 'mrg_01JDQ80B7W3YQ5K8N2M4P6R8TC' });

export const undoRequestSchema = z
  .object({ reason: text(500).optional().meta({ description: 'Why, for the audit trail' }), requestedBy })
  .strict()
  .meta({ id: 'UndoRequest', description: 'Optional: an undo may be posted with no body at all' });

export const moveTouchpointSchema = z
  .object({ customerId: customerIdSchema, reason: text(500), requestedBy })
  .strict()
  .meta({ id: 'MoveTouchpoint' });

export const candidatesQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'Candidates per page, 1 to 200 (default 50)' }),
    cursor: optionalCursor,
  })
  .strict();

export const candidatePathSchema = z.object({
  candidateId: z.string().meta({ description: 'The candidateId of a listed merge candidate' }),
});

export const touchpointPathSchema = z.object({
  touchpointId: z.string().meta({ description: 'The touchpoint to move', example: 'tp_01JDQ7ZKX3F8V6M2N4P5R7S9TB' }),
});

const identifierSchema = z.object({ type: z.enum(identifierTypesByStrength), value: z.string() });
const identifierOwnerSchema = z.object({ customerId: z.string(), sharedWith: z.array(z.string()) });

export const provenanceSchema = z
  .object({
    attachedAt: z.string(),
    source: z.string().meta({ description: 'The system or person that attached it' }),
    touchpointId: z.string().optional().meta({ description: 'The touchpoint that brought it' }),
    rule: z.enum(['first-contact', 'seen-with-known-identifier', 'linked-by-staff', 'merged']),
    mergeId: z.string().optional().meta({ description: 'For rule merged: the merge that brought it' }),
    mergedAt: z.string().optional(),
  })
  .meta({ id: 'IdentifierProvenance' });

export const attachedIdentifierSchema = identifierSchema.extend({ shared: z.boolean(), provenance: provenanceSchema }).meta({ id: 'AttachedIdentifier' });

export const linkedIdentifierSchema = attachedIdentifierSchema.extend({ customerId: customerIdSchema }).meta({ id: 'LinkedIdentifier' });

export const identifierListSchema = z
  .object({
    customerId: customerIdSchema,
    mergedInto: customerIdSchema.optional().meta({ description: 'Set when the customer was merged away: the survivor holds its identifiers now' }),
    identifiers: z.array(attachedIdentifierSchema),
  })
  .meta({ id: 'IdentifierList' });

export const mergeCandidateSchema = z
  .object({
    candidateId: z.string(),
    customerIds: z.array(customerIdSchema).length(2),
    identifiers: z.array(identifierSchema).meta({ description: 'The identifiers both claim' }),
    occurrences: z.number().int(),
    detectedAt: z.string(),
    lastSeenAt: z.string(),
    status: z.enum(['open', 'dismissed', 'merged']),
  })
  .meta({ id: 'MergeCandidate' });

export const mergeCandidatePageSchema = z
  .object({ items: z.array(mergeCandidateSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'MergeCandidatePage' });

export const dismissedCandidateSchema = z.object({ candidateId: z.string(), status: z.literal('dismissed') }).meta({ id: 'DismissedCandidate' });

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
    undoStartedAt: z.string().nullable().optional().meta({ description: 'When an undo began (status undoing until it finishes)' }),
    movedIdentifiers: z.array(identifierSchema),
    identifierStates: z
      .array(z.object({ identifier: identifierSchema, before: identifierOwnerSchema, after: identifierOwnerSchema }))
      .meta({ description: "Each moved identifier's owner and sharing before and after: what an undo restores" }),
    movedTouchpointCount: z.number().int(),
    touchpointId: z.string().nullable().meta({ description: 'For a move: the touchpoint moved' }),
    targetBefore: z
      .object({
        preferences: z.record(z.string(), z.unknown()).nullable(),
        identifierPermissions: z.record(z.string(), z.record(z.string(), z.unknown())),
      })
      .nullable()
      .optional()
      .meta({ description: 'In the answer to a merge or undo: the contact preferences the target had before the merge combined them' }),
  })
  .meta({ id: 'MergeRecord' });
