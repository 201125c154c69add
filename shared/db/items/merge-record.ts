import * as z from '../../schemas/zod.ts';
import type { Identifier } from '../../domain/identifiers.ts';
import type { IdentifierState, MergeRecord } from '../../domain/identity-store.ts';
import type { ContactPreferences, IdentifierPermissions } from '../../domain/model.ts';
import { mergeAuditKey, mergeRecordKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/** A merge of two customers, or one touchpoint moved between them (`MERGE#<mergeId>`), with its undo. */
export const mergeRecordEntity = defineEntity({
  name: 'merge',
  attributes: z.object({
    mergeId: z.string(),
    /** `move` records one touchpoint moved between customers, not a merge of customers. */
    kind: z._default(z.enum(['merge', 'move']), 'merge'),
    targetCustomerId: z.string(),
    sourceCustomerId: z.string(),
    reason: z.string(),
    actor: z.string(),
    status: z.enum(['in_progress', 'completed', 'undoing', 'undone']),
    createdAt: z.string(),
    completedAt: z.nullable(z.string()),
    undoneAt: z.nullable(z.string()),
    undoneBy: z.nullable(z.string()),
    undoStartedAt: z.nullish(z.string()),
    movedIdentifiers: z.array(z.custom<Identifier>(isRecord)),
    identifierStates: z.array(z.custom<IdentifierState>(isRecord)),
    movedTouchpointCount: z.number(),
    touchpointId: z.nullable(z.string()),
    targetBefore: z.nullable(
      z.object({
        preferences: z.nullable(z.custom<ContactPreferences>(isRecord)),
        identifierPermissions: z.record(z.string(), z.custom<IdentifierPermissions>(isRecord)),
      }),
    ),
  }),
  key: (mergeId: string) => mergeRecordKey(mergeId),
}) satisfies { parse: (item: Record<string, unknown>) => MergeRecord };

/** A customer's pointer to a merge or move it took part in (`CUST#<customerId>` / `M#<mergeId>`). */
export const mergeAuditEntity = defineEntity({
  name: 'mergeAudit',
  attributes: z.object({ mergeId: z.string(), role: z.enum(['target', 'source']), kind: z.enum(['merge', 'move']) }),
  key: mergeAuditKey,
});
