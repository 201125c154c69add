import * as z from '../../schemas/zod.ts';
import type { Identifier } from '../../domain/identifiers.ts';
import { mergeCandidateKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/** Two customers that claim one identifier (`CAND#<customerId>#<customerId>`), listed in GSI1 while open. */
export const mergeCandidateEntity = defineEntity({
  name: 'mergeCandidate',
  attributes: z.object({
    customerIds: z.tuple([z.string(), z.string()]),
    identifiers: z.array(z.custom<Identifier>(isRecord)),
    lastTouchpointId: z.optional(z.string()),
    occurrences: z._default(z.number(), 1),
    detectedAt: z.string(),
    lastSeenAt: z.string(),
    status: z.enum(['open', 'dismissed', 'merged']),
    resolvedAt: z.optional(z.string()),
  }),
  key: mergeCandidateKey,
});
