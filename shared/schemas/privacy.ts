import * as z from 'zod';
import { optionalCursor, customerIdSchema } from './common.ts';

/** Partition items per export page by default; DynamoDB's 1 MB per Query caps a page's size too. */
export const defaultExportPageSize = 500;
export const maxExportPageSize = 1000;

export const eraseQuerySchema = z
  .object({
    suppress: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true')
      .meta({ description: 'true: keep keyed hashes of the identifiers and refuse new touchpoints carrying them (409)' }),
  })
  .strict();

export const eraseResultSchema = z
  .object({
    status: z.enum(['erased', 'in_progress']).meta({ description: 'in_progress: repeat the request to finish (202)' }),
    customerIds: z
      .array(customerIdSchema)
      .optional()
      .meta({ description: 'The customer and any customer merged into it; absent on a replay (the receipt keeps no customer id)' }),
    replayed: z
      .literal(true)
      .optional()
      .meta({ description: 'A repeat of an erase that had finished: its receipt (kept 30 days), with the counts and suppressions it answered' }),
    itemsDeleted: z.number().int(),
    itemsRedacted: z.number().int().meta({ description: "Other customers' records that mentioned the person, kept with the mention taken out" }),
    identifiersReleased: z.number().int(),
    suppressions: z.array(z.object({ type: z.string(), hash: z.string() })),
  })
  .meta({ id: 'EraseResult' });

export const suppressionPathSchema = z
  .object({
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a suppression hash (64 hex digits) from an erase')
      .meta({ description: 'A hash from the suppressions of an erase answer' }),
  })
  .strict();

export const accessLogQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'Entries per page, 1 to 200 (default 50)' }),
    cursor: optionalCursor,
  })
  .strict();

export const accessLogEntrySchema = z
  .object({
    at: z.string(),
    clientId: z.string(),
    clientName: z.string(),
    operation: z.string().meta({ example: 'lookup' }),
    via: z.string().nullable().meta({ description: 'For a lookup, the identifier type used (never its value)' }),
    requestId: z.string(),
  })
  .meta({ id: 'AccessLogEntry' });

export const accessLogPageSchema = z
  .object({ customerId: customerIdSchema, items: z.array(accessLogEntrySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AccessLogPage' });

export const exportQuerySchema = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(maxExportPageSize)
      .optional()
      .meta({ description: `Stored items per page, 1 to ${maxExportPageSize} (default ${defaultExportPageSize})` }),
    cursor: optionalCursor,
  })
  .strict();

export const exportPageSchema = z
  .object({
    customerId: customerIdSchema,
    exportedAt: z.string(),
    redirectedFrom: customerIdSchema.optional(),
    customerIds: z.array(customerIdSchema).meta({ description: 'Every customer that is this person: the survivor first, then those merged into it' }),
    customer: z.record(z.string(), z.unknown()).optional().meta({ description: 'First page only: the profile as stored' }),
    identifiers: z.array(z.record(z.string(), z.unknown())).optional().meta({ description: 'First page only, with provenance' }),
    card: z.unknown().optional(),
    preferences: z.unknown().optional(),
    touchpoints: z.array(z.record(z.string(), z.unknown())),
    merges: z.array(z.record(z.string(), z.unknown())),
    accessLog: z.array(z.record(z.string(), z.unknown())),
    mergedProfiles: z.array(z.record(z.string(), z.unknown())).meta({ description: 'Profiles of customers merged into this one, as stored' }),
    identifierClaims: z.array(z.record(z.string(), z.unknown())).meta({ description: 'Identifiers the person holds or held' }),
    mentions: z
      .array(z.record(z.string(), z.unknown()))
      .meta({ description: "Other customers' touchpoints that carried the person's identifiers or named it: only what is the person's" }),
    mergeCandidates: z.array(z.record(z.string(), z.unknown())).meta({ description: 'Merge candidates pairing the person with another customer' }),
    other: z.array(z.record(z.string(), z.unknown())),
    nextCursor: z.string().nullable().meta({ description: 'Next page: the same path (with the customerId of this document) and ?cursor=; null on the last' }),
  })
  .meta({ id: 'CustomerExport' });
