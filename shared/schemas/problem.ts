import * as z from 'zod';
import { type ProblemSlug, problemTypeBase, problemTypes } from './problem-types.ts';

const slugs = Object.keys(problemTypes) as ProblemSlug[];

export const problemSchema = z
  .object({
    type: z.enum(slugs.map((slug) => `${problemTypeBase}${slug}`) as [string, ...string[]]).meta({
      description: `One of:\n${slugs.map((slug) => `- \`${problemTypeBase}${slug}\`: ${problemTypes[slug]}`).join('\n')}`,
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong in this request, for a person to read' }),
    errors: z
      .array(z.object({ path: z.string().meta({ example: 'details.durationSeconds' }), message: z.string().meta({ example: 'is required' }) }))
      .optional()
      .meta({ description: 'validation-failed and invalid-cursor: each bad field or parameter' }),
    customerId: z.string().optional().meta({ description: 'conflict: the customer that holds the identifier, or the customer being merged or erased' }),
    mergedInto: z.string().nullable().optional().meta({ description: 'conflict: the survivor a customer was merged into' }),
    mergeId: z.string().optional().meta({ description: 'conflict: the merge that merged the customer away' }),
    blockingMergeId: z.string().optional().meta({ description: 'conflict on undo: the later merge to undo first' }),
    targetCustomerId: z.string().optional().meta({ description: 'conflict: a customer of the merge that is busy' }),
    sourceCustomerId: z.string().optional().meta({ description: 'conflict: a customer of the merge that is busy' }),
    identifierCount: z.number().int().optional().meta({ description: 'conflict on merge: the identifiers the two hold together' }),
    name: z.string().optional().meta({ description: 'conflict on key creation: the name another key has' }),
    keyId: z.string().optional().meta({ description: 'conflict on key creation: the key that has the name' }),
    requestId: z.string().optional().meta({ description: 'internal-error: the id to quote' }),
    retryAfter: z
      .number()
      .int()
      .optional()
      .meta({ description: 'A batch item that failed for a moment (store-unavailable): seconds to wait before sending the batch again' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; the members after `detail` appear only where their description says' });
