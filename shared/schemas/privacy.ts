import * as z from './zod.ts';
import { optionalCursor, customerIdSchema } from './common.ts';

/** Partition items per export page by default; DynamoDB's 1 MB per Query caps a page's size too. */
export const defaultExportPageSize = 500;
export const maxExportPageSize = 1000;

export const eraseQuerySchema = z.strictObject({
  suppress: z.withMeta(
    z.pipe(
      z._default(z.enum(['true', 'false']), 'false'),
      z.transform((value) => value === 'true'),
    ),
    { description: 'true: keep keyed hashes of the identifiers and refuse new touchpoints carrying them (409)' },
  ),
});

export const eraseResultSchema = z.withMeta(
  z.object({
    status: z.withMeta(z.enum(['erased', 'in_progress']), { description: 'in_progress: repeat the request to finish (202)' }),
    customerIds: z.withMeta(z.optional(z.array(customerIdSchema)), {
      description: 'The customer and any customer merged into it; absent on a replay (the receipt keeps no customer id)',
    }),
    replayed: z.withMeta(z.optional(z.literal(true)), {
      description: 'A repeat of an erase that had finished: its receipt (kept 30 days), with the counts and suppressions it answered',
    }),
    itemsDeleted: z.number().check(z.int()),
    itemsRedacted: z.withMeta(z.number().check(z.int()), {
      description: "Other customers' records that mentioned the person, kept with the mention taken out",
    }),
    identifiersReleased: z.number().check(z.int()),
    suppressions: z.array(z.object({ type: z.string(), hash: z.string() })),
  }),
  { id: 'EraseResult' },
);

export const suppressionPathSchema = z.strictObject({
  hash: z.withMeta(z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a suppression hash (64 hex digits) from an erase')), {
    description: 'A hash from the suppressions of an erase answer',
  }),
});

export const accessLogQuerySchema = z.strictObject({
  limit: z.withMeta(z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 50), { description: 'Entries per page, 1 to 200 (default 50)' }),
  cursor: optionalCursor,
});

export const accessLogEntrySchema = z.withMeta(
  z.object({
    at: z.string(),
    clientId: z.string(),
    clientName: z.string(),
    operation: z.withMeta(z.string(), { example: 'lookup' }),
    via: z.withMeta(z.nullable(z.string()), { description: 'For a lookup, the identifier type used (never its value)' }),
    requestId: z.string(),
  }),
  { id: 'AccessLogEntry' },
);

export const accessLogPageSchema = z.withMeta(
  z.object({ customerId: customerIdSchema, items: z.array(accessLogEntrySchema), nextCursor: z.nullable(z.string()) }),
  { id: 'AccessLogPage' },
);

export const exportQuerySchema = z.strictObject({
  limit: z.withMeta(z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(maxExportPageSize))), {
    description: `Stored items per page, 1 to ${maxExportPageSize} (default ${defaultExportPageSize})`,
  }),
  cursor: optionalCursor,
});

export const exportPageSchema = z.withMeta(
  z.object({
    customerId: customerIdSchema,
    exportedAt: z.string(),
    redirectedFrom: z.optional(customerIdSchema),
    customerIds: z.withMeta(z.array(customerIdSchema), { description: 'Every customer that is this person: the survivor first, then those merged into it' }),
    customer: z.withMeta(z.optional(z.record(z.string(), z.unknown())), { description: 'First page only: the profile as stored' }),
    identifiers: z.withMeta(z.optional(z.array(z.record(z.string(), z.unknown()))), { description: 'First page only, with provenance' }),
    card: z.optional(z.unknown()),
    preferences: z.optional(z.unknown()),
    touchpoints: z.array(z.record(z.string(), z.unknown())),
    merges: z.array(z.record(z.string(), z.unknown())),
    accessLog: z.array(z.record(z.string(), z.unknown())),
    mergedProfiles: z.withMeta(z.array(z.record(z.string(), z.unknown())), { description: 'Profiles of customers merged into this one, as stored' }),
    identifierClaims: z.withMeta(z.array(z.record(z.string(), z.unknown())), { description: 'Identifiers the person holds or held' }),
    mentions: z.withMeta(z.array(z.record(z.string(), z.unknown())), {
      description: "Other customers' touchpoints that carried the person's identifiers or named it: only what is the person's",
    }),
    mergeCandidates: z.withMeta(z.array(z.record(z.string(), z.unknown())), { description: 'Merge candidates pairing the person with another customer' }),
    sharedInMerges: z.withMeta(
      z.array(
        z.object({
          mergeId: z.string(),
          createdAt: z.string(),
          status: z.string(),
          identifiers: z.array(z.object({ type: z.string(), value: z.string() })),
        }),
      ),
      { description: 'Merges of other customers that moved identifiers the person shared with them (kept for their undo), and which' },
    ),
    other: z.array(z.record(z.string(), z.unknown())),
    nextCursor: z.withMeta(z.nullable(z.string()), {
      description: 'Next page: the same path (with the customerId of this document) and ?cursor=; null on the last',
    }),
  }),
  { id: 'CustomerExport' },
);
