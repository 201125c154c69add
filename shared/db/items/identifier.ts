import * as z from '../../schemas/zod.ts';
import { identifierItemKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** Which customer an identifier belongs to (`IDENT#<type>#<value>`), and who else shares it. */
export const identifierEntity = defineEntity({
  name: 'identifier',
  attributes: z.looseObject({
    type: z.string(),
    value: z.string(),
    customerId: z.string(),
    /** Customers besides the owner it is linked to (a household landline); absent when none ever were. */
    sharedWith: z.optional(z.array(z.string())),
    shared: z.optional(z.boolean()),
    /** The provenance of its first claim (attachedAt, source, rule, ...), stored flat. */
    attachedAt: z.string(),
    lastMergeId: z.optional(z.string()),
  }),
  key: identifierItemKey,
});

export type IdentifierItem = z.output<typeof identifierEntity.attributes>;
