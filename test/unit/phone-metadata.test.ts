import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { type CountryCode, parsePhoneNumberFromString as parseWithMinMetadata } from 'libphonenumber-js';
import examples from 'libphonenumber-js/examples.mobile.json';
import { getCountries, getExampleNumber, parsePhoneNumberFromString as parseWithMaxMetadata } from 'libphonenumber-js/max';
import min from 'libphonenumber-js/metadata.min.json';
import { describe, expect, it } from 'vitest';
import { parsingMetadata, parsingMetadataPath, serializeMetadata } from '../../dev/phone-metadata.ts';
import { normalisePhone } from '../../shared/domain/phone-numbers.ts';

/**
 * The API parses phone numbers with libphonenumber-js's min metadata (its default entry, 81 KiB;
 * the mobile build is 97 KiB, the max build 153 KiB), less the formats, which parsing never reads
 * (dev/phone-metadata.ts; 33 KiB). Min knows no number types, which nothing here asks for, and
 * should read every country's numbers as the max metadata does: checked on each country's example
 * mobile number, written internationally and nationally. Without the formats it must answer
 * exactly as the whole min metadata does, for every country and any input near a real number.
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

/** What normalisePhone answers, with libphonenumber-js's whole min metadata. */
function withWholeMinMetadata(raw: string, region: string): string | undefined {
  const parsed = parseWithMinMetadata(raw.trim(), region as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}

const regions = getCountries();
/** Defaults that share a calling code with others (NANP, the UK and its islands, Russia and Kazakhstan, Italy and the Vatican, Finland and Åland, ...) or read trunk prefixes differently. */
const defaultsToTry = ['GB', 'GG', 'US', 'CA', 'RU', 'KZ', 'IT', 'VA', 'FI', 'AX', 'NO', 'AU', 'IN', 'BR', 'CN', 'DE'];

describe('the parsing metadata (the min metadata without its formats)', () => {
  it('is what dev/phone-metadata.ts derives from the installed libphonenumber-js (else: npm run generate:phone-metadata)', () => {
    expect(readFileSync(parsingMetadataPath, 'utf8')).toBe(serializeMetadata(parsingMetadata(min)));
  });

  it("normalises every country's example, written every common way, with its own country and others as the default, as the whole metadata does", () => {
    const differences: string[] = [];
    let valid = 0;
    for (const { country, example } of countryExamples) {
      const forms = [
        example.number,
        example.formatInternational(),
        example.formatNational(),
        example.nationalNumber,
        `00${example.countryCallingCode}${example.nationalNumber}`,
        example.getURI(),
      ];
      for (const form of forms) {
        for (const region of [country, ...defaultsToTry]) {
          const expected = withWholeMinMetadata(form, region);
          if (expected !== undefined) valid += 1;
          if (normalisePhone(form, region) !== expected) differences.push(`${form} (default ${region}): ${normalisePhone(form, region)} against ${expected}`);
        }
      }
    }

    expect(differences).toEqual([]);
    // Each example in E.164 and international form is valid whatever the default.
    expect(valid).toBeGreaterThan(countryExamples.length * (defaultsToTry.length + 1) * 2);
  });

  it('answers as the whole metadata does for numbers near a real one: digits changed, dropped or added, prefixes and separators', () => {
    const nearNumber = fc
      .record({
        at: fc.constantFrom(...countryExamples),
        change: fc.constantFrom('replace', 'drop', 'add', 'none'),
        position: fc.nat(),
        digit: fc.constantFrom(...'0123456789'),
        prefix: fc.constantFrom('', '+', '00', '0', '+0', '011', '(0)'),
        separator: fc.constantFrom('', ' ', '-', '.', ') '),
        region: fc.constantFrom(...regions),
      })
      .map(({ at, change, position, digit, prefix, separator, region }) => {
        const digits = [...`${at.example.countryCallingCode}${at.example.nationalNumber}`];
        const index = position % digits.length;
        if (change === 'replace') digits[index] = digit;
        if (change === 'drop') digits.splice(index, 1);
        if (change === 'add') digits.splice(index, 0, digit);
        const cut = position % (digits.length + 1);
        return { raw: `${prefix}${digits.slice(0, cut).join('')}${separator}${digits.slice(cut).join('')}`, region };
      });

    fc.assert(
      fc.property(nearNumber, ({ raw, region }) => {
        expect(normalisePhone(raw, region)).toBe(withWholeMinMetadata(raw, region));
      }),
      { numRuns: 20_000, seed: 20261203 },
    );
  });
});
