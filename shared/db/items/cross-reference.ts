import * as z from '../../schemas/zod.ts';
import { candidateHalfKey, identifierClaimKey, mentionKey, mergeSharerKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** The customer may be named by this identifier's item (`CUST#<customerId>` / `I#<type>#<value>`). */
export const identifierClaimEntity = defineEntity({
  name: 'identifierClaim',
  attributes: z.object({ type: z.string(), value: z.string() }),
  key: identifierClaimKey,
});

/** Another customer's touchpoint mentions this one (`R#<touchpointId>`); it holds no other customer's id. */
export const mentionEntity = defineEntity({
  name: 'mention',
  attributes: z.object({ touchpointId: z.string() }),
  key: mentionKey,
});

/** One half of a merge candidate, in each customer's partition (`C#<otherCustomerId>`), naming the other. */
export const candidateHalfEntity = defineEntity({
  name: 'candidateHalf',
  attributes: z.object({ otherCustomerId: z.string() }),
  key: candidateHalfKey,
});

/** A merge between two other customers names this one as a holder of a shared identifier (`S#<mergeId>`); it holds the merge id only. */
export const mergeSharerEntity = defineEntity({
  name: 'mergeSharer',
  attributes: z.object({ mergeId: z.string() }),
  key: mergeSharerKey,
});
