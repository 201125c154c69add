import * as z from './zod.ts';
import { type ProblemSlug, problemTypeBase, problemTypes } from './problem-types.ts';

const slugs = Object.keys(problemTypes) as ProblemSlug[];

export const problemSchema = z.withMeta(
  z.object({
    type: z.withMeta(z.enum(slugs.map((slug) => `${problemTypeBase}${slug}`) as [string, ...string[]]), {
      description: `One of:\n${slugs.map((slug) => `- \`${problemTypeBase}${slug}\`: ${problemTypes[slug]}`).join('\n')}`,
    }),
    title: z.string(),
    status: z.number().check(z.int()),
    detail: z.withMeta(z.string(), { description: 'What went wrong in this request, for a person to read' }),
    errors: z.withMeta(
      z.optional(
        z.array(
          z.object({ path: z.withMeta(z.string(), { example: 'details.durationSeconds' }), message: z.withMeta(z.string(), { example: 'is required' }) }),
        ),
      ),
      { description: 'validation-failed and invalid-cursor: each bad field or parameter' },
    ),
    customerId: z.withMeta(z.optional(z.string()), { description: 'conflict: the customer that holds the identifier, or the customer being merged or erased' }),
    mergedInto: z.withMeta(z.optional(z.nullable(z.string())), { description: 'conflict: the survivor a customer was merged into' }),
    mergeId: z.withMeta(z.optional(z.string()), { description: 'conflict: the merge that merged the customer away' }),
    blockingMergeId: z.withMeta(z.optional(z.string()), { description: 'conflict on undo: the later merge to undo first' }),
    targetCustomerId: z.withMeta(z.optional(z.string()), { description: 'conflict: a customer of the merge that is busy' }),
    sourceCustomerId: z.withMeta(z.optional(z.string()), { description: 'conflict: a customer of the merge that is busy' }),
    identifierCount: z.withMeta(z.optional(z.number().check(z.int())), { description: 'conflict on merge: the identifiers the two hold together' }),
    name: z.withMeta(z.optional(z.string()), { description: 'conflict on key creation: the name another key has' }),
    keyId: z.withMeta(z.optional(z.string()), { description: 'conflict on key creation: the key that has the name' }),
    requestId: z.withMeta(z.optional(z.string()), { description: 'internal-error: the id to quote' }),
    retryAfter: z.withMeta(z.optional(z.number().check(z.int())), {
      description: 'A batch item that failed for a moment (store-unavailable): seconds to wait before sending the batch again',
    }),
  }),
  { id: 'Problem', description: 'RFC 9457 problem details; the members after `detail` appear only where their description says' },
);
