import * as z from '../../schemas/zod.ts';
import { accessLogKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** One read of a customer's data, in that customer's partition (`A#<at>#<entryId>`), expiring by TTL. */
export const accessLogEntity = defineEntity({
  name: 'readAudit',
  attributes: z.object({
    customerId: z.string(),
    entryId: z.string(),
    at: z.string(),
    clientId: z.string(),
    clientName: z.string(),
    /** What was read: `lookup`, `get-customer`, `timeline`, `export`, ... */
    operation: z.string(),
    /** How the customer was found, for a lookup: the identifier type (never its value). */
    via: z.nullish(z.string()),
    requestId: z.string(),
    expiresAt: z.optional(z.number()),
  }),
  key: accessLogKey,
});
