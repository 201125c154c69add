import examples from 'libphonenumber-js/examples.mobile.json';
import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { redactText, redactTouchpoint, redactedMark } from '../../shared/privacy/redaction.ts';

/**
 * What an erase redacts in other customers' free text (review finding F3): the person's values as
 * people write them, not only in the normalised form the API stores.
 */
const email = 'emx59.lee@example.com';
const mobile = '+447400671070';
const landline = '+442079460018';
const usPhone = '+12015550123';
const customerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';
const needles = [customerId, email, mobile, landline, usPhone];

describe('redacting an erased person in free text', () => {
  it.each([
    ['an email in its posted case', 'caller Emx59.Lee@Example.COM asked'],
    ['an email all capitals', 'EMX59.LEE@EXAMPLE.COM'],
    ['a customer id in lower case', `see ${customerId.toLowerCase()}`],
    ['a mobile in E.164', `ring ${mobile}`],
    ['a mobile in national format', 'ring 07400 671070'],
    ['a mobile in national digits', 'ring 07400671070'],
    ['a mobile in international format', 'ring +44 7400 671070'],
    ['a mobile with a 00 prefix', 'ring 0044 7400 671070'],
    ['a mobile with the country code, digits only', 'ring 447400671070'],
    ['a mobile with +44 (0)', 'ring +44 (0)7400 671070'],
    ['a mobile with dashes', 'ring 07400-671-070'],
    ['a mobile with dots', 'ring 07400.671.070'],
    ['a mobile as the bare national number', 'ring 7400671070'],
    ['a landline with the area code bracketed', 'ring (020) 7946 0018'],
    ['a landline in national format', 'ring 020 7946 0018'],
    ['a US number in national format', 'ring (201) 555-0123'],
    ['a US number with a 1', 'ring 1-201-555-0123'],
  ])('finds %s', (_kind, text) => {
    const found: Array<{ path: string; value: string }> = [];
    const redacted = redactText({ notes: text }, needles, found) as { notes: string };

    expect(redacted.notes).toContain(redactedMark);
    expect(redacted.notes).not.toMatch(/\d{4}/);
    expect(redacted.notes.toLowerCase()).not.toContain('emx59');
    expect(redacted.notes.toLowerCase()).not.toContain(customerId.toLowerCase());
    expect(found).toEqual([{ path: 'notes', value: text }]);
  });

  it.each(
    getCountries().flatMap((country) => {
      const example = getExampleNumber(country, examples);
      return example ? [{ country, e164: example.number, national: example.formatNational(), international: example.formatInternational() }] : [];
    }),
  )("finds $country's example mobile written nationally ($national) and internationally", ({ e164, national, international }) => {
    for (const written of [national, international]) {
      const redacted = redactText({ notes: `ring ${written} today` }, [e164]) as { notes: string };

      expect(redacted.notes).toContain(redactedMark);
      expect(redacted.notes).not.toMatch(/\d/);
    }
  });

  it.each([
    ['a longer run of digits holding the number', 'order 9074006710701'],
    ['another number', 'ring 07400 671071'],
    ['another email', 'mx59.lee@example.com'],
  ])('leaves %s alone', (_kind, text) => {
    const value = { notes: text };

    expect(redactText(value, needles)).toBe(value);
  });

  it('drops a map key holding a value in another case, and redacts a touchpoint summary in national format', () => {
    const touchpoint = {
      pk: 'CUST#cus_other',
      sk: 'T#x',
      touchpointId: 'tp_1',
      identifiers: { email: 'other@example.com' },
      summary: 'Caller on 07400 671070 (Emx59.Lee@example.com)',
      details: { permissions: { 'EMX59.LEE@EXAMPLE.COM': 'opt-in', 'other@example.com': 'opt-in' } },
    };

    const { redacted, removed } = redactTouchpoint(touchpoint, new Set([customerId]), () => false, needles);

    expect(redacted).toMatchObject({ summary: `Caller on ${redactedMark} (${redactedMark})`, details: { permissions: { 'other@example.com': 'opt-in' } } });
    expect(Object.keys((redacted?.details as { permissions: object } | undefined)?.permissions ?? {})).toEqual(['other@example.com']);
    expect(removed.text.map((entry) => entry.path).sort()).toEqual(['details.permissions.EMX59.LEE@EXAMPLE.COM[key]', 'summary']);
  });
});
