import * as z from './zod.ts';
import { channels } from '../domain/channels.ts';

/** A trimmed, non-empty string of at most `max` characters. */
export const text = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));

/**
 * Whether a value survives as one segment of a URL path, as the identifier routes
 * (`/customers/{id}/identifiers/{type}/{value}`) need it to: `.` and `..` are dot segments, which
 * HTTP clients and API Gateway resolve before routing (encoded as `%2E` too), and API Gateway's
 * HTTP API decodes the path before it routes and splits it, so an encoded `/`, `?` or `#` becomes
 * a separator. An identifier that cannot be named in the path could be linked but never unlinked.
 */
export function fitsPathSegment(value: string): boolean {
  return value !== '.' && value !== '..' && !/[/?#]/.test(value);
}

export const notAPathSegment = 'cannot be named in a URL path (it is . or .., or holds / ? or #), so it could never be unlinked';

/** Text that identifies something the API later names in a path (identifier values). */
export const segmentText = (max: number) => text(max).check(z.refine(fitsPathSegment, notAPathSegment));

/** A date and time as ISO 8601 writes it but without the offset that says which moment it is. */
const localDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

export const isoDateTime = z.withMeta(
  z.iso.datetime({
    offset: true,
    error: (issue) => {
      if (issue.input === undefined) return undefined;
      return typeof issue.input === 'string' && localDateTime.test(issue.input)
        ? 'needs a UTC offset, Z or +01:00 for example (2026-11-23T09:15:00Z): without one the time is ambiguous'
        : 'must be an ISO 8601 date and time with a UTC offset, e.g. 2026-11-23T09:15:00+01:00';
    },
  }),
  {
    description: 'ISO 8601 date and time with a UTC offset, e.g. 2026-11-23T09:15:00+01:00',
    example: '2026-11-23T09:15:00Z',
  },
);

export const customerIdSchema = z.withMeta(
  z.string().check(z.regex(/^cus_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id issued by this API (cus_ followed by a ULID)')),
  { example: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB' },
);

export const touchpointIdSchema = z
  .string()
  .check(z.regex(/^tp_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a touchpoint id issued by this API (tp_ followed by a ULID)'));

/**
 * A paging cursor: opaque, checked by the one cursor codec (shared/db/page-cursor.ts), which
 * answers any cursor it did not issue for the request, however long, with a 400 invalid-cursor.
 */
export const cursorSchema = z.withMeta(z.string(), { description: 'The nextCursor of the previous page, unchanged' });

export const optionalCursor = z.withMeta(z.optional(cursorSchema), {
  description: 'The nextCursor of the previous page, unchanged; left out for the first page',
});

/**
 * The `source` of a posted touchpoint or preferences change. The handler fills it from the
 * credential's name before this schema parses the body, so it is required here yet optional to a
 * client: the document marks it so (shared/http/openapi.ts).
 */
export const credentialSource = z.withMeta(text(100), {
  description: "The posting system. Leave it out: it is the credential's name. Only a credential holding touchpoints:relay may name another.",
  example: 'call-centre',
});

export const channelSchema = z.enum(channels);

export const idempotencyKeySchema = z.string().check(z.regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters without spaces'));

export const requestedBy = z.withMeta(z.optional(text(200)), { description: 'The staff member or process acting, for the audit trail' });
