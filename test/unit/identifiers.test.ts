import { describe, expect, it } from 'vitest';
import { byStrength, externalIdValue, identifierTypesByStrength, normaliseEmail, toIdentifierList } from '../../shared/domain/identifiers.ts';
import { normalisePhone } from '../../shared/domain/phone-numbers.ts';
import { emailSchema, identifiersSchema, phoneSchema } from '../../shared/schemas/identifiers.ts';

describe('phone normalisation', () => {
  it.each(['+44 20 7946 0018', '+44 (0)20 7946 0018', '020 7946 0018', '+442079460018', '  020 7946 0018  ', '020-7946-0018'])(
    'reads %j as the E.164 number +442079460018',
    (raw) => {
      expect(normalisePhone(raw, 'GB')).toBe('+442079460018');
    },
  );

  it('reads a national number with the default region it is given', () => {
    expect(normalisePhone('(202) 555-0143', 'US')).toBe('+12025550143');
  });

  it('keeps a number with a country code in its own country whatever the default region', () => {
    expect(normalisePhone('+1 202 555 0143', 'GB')).toBe('+12025550143');
  });

  it.each(['', 'not a phone', '12', '020 7946 001', '+44 20 7946 00189', '+999 1234 5678'])('rejects %j as not a valid number', (raw) => {
    expect(normalisePhone(raw, 'GB')).toBeUndefined();
  });

  it('turns every common format into the same value through the request schema', () => {
    const formats = ['+44 20 7946 0018', '+44 (0)20 7946 0018', '020 7946 0018', '+442079460018'];

    const parsed = formats.map((raw) => phoneSchema.parse(raw));

    expect(new Set(parsed)).toEqual(new Set(['+442079460018']));
  });

  it('rejects an invalid number in the request schema with a message naming the default region', () => {
    const result = phoneSchema.safeParse('020 7946 001');

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/not a valid phone number.*GB/);
  });
});

describe('email normalisation', () => {
  it('trims and lower-cases an address', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM \t')).toBe('ada.lovelace@example.com');
  });

  it('leaves an already normal address unchanged', () => {
    expect(normaliseEmail('ada@example.com')).toBe('ada@example.com');
  });

  it('normalises case and spaces in the request schema', () => {
    expect(emailSchema.parse(' ADA@Example.com ')).toBe('ada@example.com');
  });

  it.each(['not-an-email', 'ada@', '@example.com', 'ada example@example.com'])('rejects %j in the request schema', (raw) => {
    expect(emailSchema.safeParse(raw).success).toBe(false);
  });
});

describe('identifiers', () => {
  it('orders identifier types from strongest to weakest as the recognition rules say', () => {
    expect(identifierTypesByStrength).toEqual(['customerId', 'accountId', 'externalId', 'email', 'phone', 'invoiceNumber', 'anonymousId']);
  });

  it('sorts identifiers strongest first', () => {
    const sorted = [
      { type: 'anonymousId' as const, value: 'a' },
      { type: 'phone' as const, value: '+442079460018' },
      { type: 'accountId' as const, value: 'ACC-1' },
      { type: 'email' as const, value: 'ada@example.com' },
    ].sort(byStrength);

    expect(sorted.map((identifier) => identifier.type)).toEqual(['accountId', 'email', 'phone', 'anonymousId']);
  });

  it('writes an external id as system:id', () => {
    expect(externalIdValue('salesforce', '0031x00000AbCdE')).toBe('salesforce:0031x00000AbCdE');
  });

  it('trims account and invoice numbers', () => {
    const parsed = identifiersSchema.parse({ accountId: '  ACC-1  ', invoiceNumber: ' INV-9 ' });

    expect(parsed).toMatchObject({ accountId: 'ACC-1', invoiceNumber: 'INV-9' });
  });

  it('lists the normalised identifiers of a request, the external id as system:id', () => {
    const parsed = identifiersSchema.parse({
      phone: '020 7946 0018',
      email: ' Ada@Example.com ',
      externalId: { system: 'salesforce', id: '0031x' },
    });

    expect(toIdentifierList(parsed)).toEqual(
      expect.arrayContaining([
        { type: 'phone', value: '+442079460018' },
        { type: 'email', value: 'ada@example.com' },
        { type: 'externalId', value: 'salesforce:0031x' },
      ]),
    );
  });

  it('requires at least one identifier', () => {
    expect(identifiersSchema.safeParse({}).success).toBe(false);
  });

  it('rejects an identifier type it does not know', () => {
    expect(identifiersSchema.safeParse({ phone: '020 7946 0018', passport: 'X123' }).success).toBe(false);
  });

  it('rejects a customer id this API did not issue', () => {
    expect(identifiersSchema.safeParse({ customerId: 'customer-42' }).success).toBe(false);
  });
});
