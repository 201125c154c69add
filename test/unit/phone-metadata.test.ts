import { parsePhoneNumberFromString as parseWithMinMetadata } from 'libphonenumber-js';
import examples from 'libphonenumber-js/examples.mobile.json';
import { getCountries, getExampleNumber, parsePhoneNumberFromString as parseWithMaxMetadata } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { normalisePhone } from '../../shared/domain/phone-numbers.ts';

/**
 * The API parses phone numbers with libphonenumber-js's min metadata (its default entry, 81 KiB;
 * the mobile build is 97 KiB, the max build 153 KiB). Min knows no number types, which nothing
 * here asks for, and should read every country's numbers as the max metadata does: checked on
 * each country's example mobile number, written internationally and nationally.
 */
const countryExamples = getCountries().flatMap((country) => {
  const example = getExampleNumber(country, examples);
  return example ? [{ country, example }] : [];
});

describe("libphonenumber-js's min metadata, for every country's example mobile number", () => {
  it('has an example for nearly every country', () => {
    expect(countryExamples.length).toBeGreaterThan(240);
  });

  it.each(countryExamples)('normalises $country written in national and international format to its E.164', ({ country, example }) => {
    expect(normalisePhone(example.formatNational(), country)).toBe(example.number);
    expect(normalisePhone(example.formatInternational(), 'GB')).toBe(example.number);
  });

  it.each(countryExamples)('reads $country as the max metadata does', ({ country, example }) => {
    const min = parseWithMinMetadata(example.formatNational(), country);
    const max = parseWithMaxMetadata(example.formatNational(), country);

    expect({ number: min?.number, valid: min?.isValid(), national: min?.format('NATIONAL') }).toEqual({
      number: max?.number,
      valid: max?.isValid(),
      national: max?.format('NATIONAL'),
    });
  });
});
