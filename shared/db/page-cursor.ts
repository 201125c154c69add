import { ValidationError } from '../domain/errors.ts';

/**
 * Opaque cursors for the lists of the access and privacy modules: the DynamoDB key to start after,
 * base64url JSON. A cursor is checked against the partition it was issued for, so it can neither
 * be forged to read another partition nor fail as a 500.
 */
export function encodePageCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | null {
  return lastEvaluatedKey ? Buffer.from(JSON.stringify({ v: 1, key: lastEvaluatedKey })).toString('base64url') : null;
}

export function decodePageCursor(
  cursor: string,
  expected: { names: readonly string[]; matches: (key: Record<string, string>) => boolean },
  path = 'query.cursor',
): Record<string, string> {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; key?: unknown };
    const key = decoded.key as Record<string, unknown> | undefined;
    if (
      decoded.v === 1 &&
      key !== null &&
      typeof key === 'object' &&
      Object.keys(key).length === expected.names.length &&
      expected.names.every((name) => typeof key[name] === 'string' && (key[name] as string).length <= 2048)
    ) {
      const typed = key as Record<string, string>;
      if (expected.matches(typed)) return typed;
    }
  } catch {
    // Falls through: a damaged cursor is the caller's mistake.
  }
  throw new ValidationError([{ path, message: 'is not a cursor this API issued for this list' }]);
}
