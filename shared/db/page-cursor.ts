import { InvalidCursorError } from '../domain/errors.ts';

/**
 * The one cursor codec of every paged list: base64url JSON of the DynamoDB key to start after,
 * with a version, the list it pages and the request it continues (customer, tier, filter).
 *
 * Cursors are strictly validated rather than signed: a signing key would have to reach every
 * function that pages (the scheduled tier sweep too), and a signature would protect nothing a
 * caller cannot already read by asking for it. What must hold is that no cursor a client makes up
 * reaches DynamoDB as a key it refuses (a 500): so a cursor opens only the list and request it was
 * issued for, and each key attribute must have the exact shape the list's keys have (a sort key
 * inside the range the query asks for, nothing longer than a key can be). Anything else is a 400.
 */
export const pageCursorVersion = 2;

/** What a list's cursors are bound to: one list's or one request's cursor never continues another. */
export interface CursorBinding {
  list: 'timeline' | 'tier' | 'merge-candidates' | 'api-keys' | 'export' | 'access-log';
  /** The request the cursor continues, e.g. `{ customerId, channels, from, to }`; absent parts as ''. */
  scope: Readonly<Record<string, string>>;
}

/** The attributes of the key a list's query starts after, each with the shape it must have. */
export type KeyShape = Readonly<Record<string, (value: string) => boolean>>;

/** The longest string any of our key attributes holds (DynamoDB allows 1024 bytes for a sort key, 2048 for a partition key). */
const maxKeyAttributeBytes = 1024;
/** A cursor is a short key; anything longer is not one of ours (the query schemas cap it at the same length). */
export const maxCursorLength = 2048;

export function encodePageCursor(binding: CursorBinding, key: Record<string, unknown> | undefined): string | null {
  if (!key) return null;
  return Buffer.from(JSON.stringify({ v: pageCursorVersion, list: binding.list, scope: binding.scope, key })).toString('base64url');
}

/** The key a cursor starts after, or an InvalidCursorError (400) for anything this API did not issue for this very request. */
export function decodePageCursor(cursor: string, binding: CursorBinding, shape: KeyShape): Record<string, string> {
  const decoded = parse(cursor);
  if (!decoded || decoded.v !== pageCursorVersion) throw new InvalidCursorError('is not a cursor this API issued');
  if (decoded.list !== binding.list) throw new InvalidCursorError('was issued for another list');
  if (!sameScope(decoded.scope, binding.scope)) {
    throw new InvalidCursorError('was issued for another request of this list (another customer, tier or filter)');
  }
  const key = decoded.key;
  const names = Object.keys(shape);
  if (
    !isPlainRecord(key) ||
    Object.keys(key).length !== names.length ||
    !names.every((name) => {
      const value = key[name];
      return typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= maxKeyAttributeBytes && (shape[name] as (v: string) => boolean)(value);
    })
  ) {
    throw new InvalidCursorError('does not hold a position in this list');
  }
  return key as Record<string, string>;
}

function parse(cursor: string): Record<string, unknown> | undefined {
  // Buffer.from skips characters outside the alphabet: check them first, so a cursor decodes one way only.
  if (cursor.length === 0 || cursor.length > maxCursorLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return isPlainRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameScope(given: unknown, expected: Readonly<Record<string, string>>): boolean {
  if (!isPlainRecord(given)) return false;
  const names = Object.keys(expected);
  return Object.keys(given).length === names.length && names.every((name) => Object.hasOwn(given, name) && given[name] === expected[name]);
}

const ulid = '[0-9A-HJKMNP-TV-Z]{26}';
const isoDay = '\\d{4}-\\d{2}-\\d{2}';
const isoInstant = `${isoDay}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z`;

/** Shapes of the key attributes our lists start after (the key builders in keys.ts make them so). */
export const keyPatterns = {
  customerId: new RegExp(`^cus_${ulid}$`),
  customerPartition: new RegExp(`^CUST#cus_${ulid}$`),
  timelineSortKey: new RegExp(`^T#${isoInstant}#tp_${ulid}$`),
  accessLogSortKey: new RegExp(`^A#${isoInstant}#[A-Za-z0-9_-]{1,64}$`),
  /** Any sort key of a customer's partition: printable ASCII, as every key builder makes. */
  partitionSortKey: /^[A-Z]#[\x21-\x7e]{1,300}$/,
  /** The day of the last contact, or its instant as tables written before the day keys hold it. */
  tierIndexSortKey: new RegExp(`^(?:${isoDay}|${isoInstant})?#cus_${ulid}$`),
  mergeCandidatePartition: new RegExp(`^CAND#cus_${ulid}#cus_${ulid}$`),
  mergeCandidateIndexSortKey: new RegExp(`^${isoInstant}#cus_${ulid}#cus_${ulid}$`),
  apiKeyPartition: /^APIKEY#[A-Za-z0-9_-]{1,128}$/,
  apiKeyIndexSortKey: new RegExp(`^${isoInstant}#[A-Za-z0-9_-]{1,128}$`),
} as const;

export const matches = (pattern: RegExp) => (value: string) => pattern.test(value);
export const equals = (expected: string) => (value: string) => value === expected;
