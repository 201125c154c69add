import { type CountryCode, type MetadataJson, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import metadata from './phone-parsing-metadata.json' with { type: 'json' };

// Apart from identifiers.ts, which most of the domain imports: only the functions that take phone
// numbers in should bundle libphonenumber-js. They bundle it with the parsing part of its metadata
// (dev/phone-metadata.ts: the smallest metadata without the formats, 33 of 83 KB), so these
// functions stay within their size budget; redaction, which writes numbers out, uses the whole.

/** E.164 for a valid number, `undefined` for anything that is not one. */
export function normalisePhone(raw: string, defaultRegion: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultRegion as CountryCode, metadata as MetadataJson);
  return parsed?.isValid() ? parsed.number : undefined;
}
