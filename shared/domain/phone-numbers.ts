import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

// Apart from identifiers.ts, which most of the domain imports: libphonenumber-js weighs 118 KiB,
// and only the functions that take phone numbers in should bundle it.

/** E.164 for a valid number, `undefined` for anything that is not one. */
export function normalisePhone(raw: string, defaultRegion: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultRegion as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}
