import * as z from './zod.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { customerIdSchema, optionalCursor, requestedBy, text } from './common.ts';

export const identifierPathSchema = z.object({
  customerId: z.withMeta(customerIdSchema, { description: 'The customer the identifier is on' }),
  type: z.withMeta(z.string(), { description: 'The identifier type: phone, email, accountId, invoiceNumber, anonymousId or externalId', example: 'email' }),
  value: z.withMeta(z.string(), { description: 'The identifier as listed (URL-encoded; an externalId as system:id)', example: 'ada@example.com' }),
});

export const mergeRequestSchema = z.withMeta(z.strictObject({ sourceCustomerId: customerIdSchema, reason: text(500), requestedBy }), { id: 'MergeRequest' });

export const mergeIdSchema = z.withMeta(z.string().check(z.regex(/^mrg_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a merge id issued by this API')), {
  description: 'The mergeId of a merge or of a touchpoint move (both are listed with the merges)',
  example: 'mrg_01JDQ80B7W3YQ5K8N2M4P6R8TC',
});

export const undoRequestSchema = z.withMeta(
  z.strictObject({ reason: z.withMeta(z.optional(text(500)), { description: 'Why, for the audit trail' }), requestedBy }),
  { id: 'UndoRequest', description: 'Optional: an undo may be posted with no body at all' },
);

export const moveTouchpointSchema = z.withMeta(z.strictObject({ customerId: customerIdSchema, reason: text(500), requestedBy }), { id: 'MoveTouchpoint' });

export const candidatesQuerySchema = z.strictObject({
  limit: z.withMeta(z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 50), { description: 'Candidates per page, 1 to 200 (default 50)' }),
  cursor: optionalCursor,
});

export const candidatePathSchema = z.object({
  candidateId: z.withMeta(z.string(), { description: 'The candidateId of a listed merge candidate' }),
});

export const touchpointPathSchema = z.object({
  touchpointId: z.withMeta(z.string(), { description: 'The touchpoint to move', example: 'tp_01JDQ7ZKX3F8V6M2N4P5R7S9TB' }),
});

const identifierSchema = z.object({ type: z.enum(identifierTypesByStrength), value: z.string() });
const identifierOwnerSchema = z.object({ customerId: z.string(), sharedWith: z.array(z.string()) });

export const provenanceSchema = z.withMeta(
  z.object({
    attachedAt: z.string(),
    source: z.withMeta(z.string(), { description: 'The system or person that attached it' }),
    touchpointId: z.withMeta(z.optional(z.string()), { description: 'The touchpoint that brought it' }),
    rule: z.enum(['first-contact', 'seen-with-known-identifier', 'linked-by-staff', 'merged']),
    mergeId: z.withMeta(z.optional(z.string()), { description: 'For rule merged: the merge that brought it' }),
    mergedAt: z.optional(z.string()),
  }),
  { id: 'IdentifierProvenance' },
);

export const attachedIdentifierSchema = z.withMeta(z.extend(identifierSchema, { shared: z.boolean(), provenance: provenanceSchema }), {
  id: 'AttachedIdentifier',
});

export const linkedIdentifierSchema = z.withMeta(z.extend(attachedIdentifierSchema, { customerId: customerIdSchema }), { id: 'LinkedIdentifier' });

export const identifierListSchema = z.withMeta(
  z.object({
    customerId: customerIdSchema,
    mergedInto: z.withMeta(z.optional(customerIdSchema), { description: 'Set when the customer was merged away: the survivor holds its identifiers now' }),
    identifiers: z.array(attachedIdentifierSchema),
  }),
  { id: 'IdentifierList' },
);

export const mergeCandidateSchema = z.withMeta(
  z.object({
    candidateId: z.string(),
    customerIds: z.array(customerIdSchema).check(z.length(2)),
    identifiers: z.withMeta(z.array(identifierSchema), { description: 'The identifiers both claim' }),
    occurrences: z.number().check(z.int()),
    detectedAt: z.string(),
    lastSeenAt: z.string(),
    status: z.enum(['open', 'dismissed', 'merged']),
  }),
  { id: 'MergeCandidate' },
);

export const mergeCandidatePageSchema = z.withMeta(z.object({ items: z.array(mergeCandidateSchema), nextCursor: z.nullable(z.string()) }), {
  id: 'MergeCandidatePage',
});

export const dismissedCandidateSchema = z.withMeta(z.object({ candidateId: z.string(), status: z.literal('dismissed') }), { id: 'DismissedCandidate' });

export const mergeRecordSchema = z.withMeta(
  z.object({
    mergeId: z.string(),
    kind: z.enum(['merge', 'move']),
    targetCustomerId: z.string(),
    sourceCustomerId: z.string(),
    reason: z.string(),
    actor: z.string(),
    status: z.enum(['in_progress', 'completed', 'undoing', 'undone']),
    createdAt: z.string(),
    completedAt: z.nullable(z.string()),
    undoneAt: z.nullable(z.string()),
    undoneBy: z.nullable(z.string()),
    undoStartedAt: z.withMeta(z.optional(z.nullable(z.string())), { description: 'When an undo began (status undoing until it finishes)' }),
    movedIdentifiers: z.array(identifierSchema),
    identifierStates: z.withMeta(z.array(z.object({ identifier: identifierSchema, before: identifierOwnerSchema, after: identifierOwnerSchema })), {
      description: "Each moved identifier's owner and sharing before and after: what an undo restores",
    }),
    movedTouchpointCount: z.number().check(z.int()),
    touchpointId: z.withMeta(z.nullable(z.string()), { description: 'For a move: the touchpoint moved' }),
    targetBefore: z.withMeta(
      z.optional(
        z.nullable(
          z.object({
            preferences: z.nullable(z.record(z.string(), z.unknown())),
            identifierPermissions: z.record(z.string(), z.record(z.string(), z.unknown())),
          }),
        ),
      ),
      { description: 'In the answer to a merge or undo: the contact preferences the target had before the merge combined them' },
    ),
  }),
  { id: 'MergeRecord' },
);
