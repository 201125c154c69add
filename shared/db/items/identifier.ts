import * as z from 'zod';
import { identifierItemKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** Which customer an identifier belongs to (`IDENT#<type>#<value>`), and who else shares it. */
export const identifierEntity = defineEntity({
  name: 'identifier',
  attributes: z
    .object({
      type: z.string(),
      value: z.string(),
      customerId: z.string(),
      /** Customers besides the owner it is linked to (a household landline); absent when none ever were. */
      sharedWith: z.array(z.string()).optional(),
      shared: z.boolean().optional(),
      /** The provenance of its first claim (attachedAt, source, rule, ...), stored flat. */
      attachedAt: z.string(),
      lastMergeId: z.string().optional(),
    })
    .loose(),
  key: identifierItemKey,
});

export type IdentifierItem = z.output<typeof identifierEntity.attributes>;
