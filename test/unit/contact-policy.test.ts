import { describe, expect, it } from 'vitest';
import { emptyCard } from '../../shared/domain/card.ts';
import { decideContact, isWithinQuietHours, strictest } from '../../shared/domain/contact-policy.ts';
import type { Identifier } from '../../shared/domain/identifiers.ts';
import type { ContactPreferences, Customer, IdentifierPermissions } from '../../shared/domain/model.ts';

const provenance = { attachedAt: '2026-01-01T00:00:00.000Z', source: 'unit-test', rule: 'first-contact' as const };
const mobile: Identifier = { type: 'phone', value: '+447700900123' };
const landline: Identifier = { type: 'phone', value: '+442079460123' };
const personalEmail: Identifier = { type: 'email', value: 'ada@example.com' };
const workEmail: Identifier = { type: 'email', value: 'ada.lovelace@work.example.org' };
/** 10:00 in London in summer: outside any night-time quiet hours. */
const middayInLondon = new Date('2026-07-01T09:00:00.000Z');

function customer(
  options: { identifiers?: Identifier[]; preferences?: Partial<ContactPreferences>; permissions?: Array<[Identifier, IdentifierPermissions]> } = {},
): Customer {
  return {
    customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    identifiers: (options.identifiers ?? [mobile, personalEmail]).map((identifier) => ({ ...identifier, provenance })),
    card: emptyCard(),
    displayName: null,
    traits: {},
    preferences: options.preferences
      ? { channels: {}, preferredChannel: null, quietHours: null, updatedAt: '2026-01-01T00:00:00.000Z', ...options.preferences }
      : null,
    identifierPermissions: Object.fromEntries(
      (options.permissions ?? []).map(([identifier, permissions]) => [`${identifier.type}#${identifier.value}`, permissions]),
    ),
  };
}

const service = (channel: 'phone' | 'email' | 'sms' | 'mail', extra: { at?: Date; to?: Identifier } = {}) => ({
  channel,
  at: extra.at ?? middayInLondon,
  purpose: 'service' as const,
  ...(extra.to ? { to: extra.to } : {}),
});
const marketing = (channel: 'phone' | 'email' | 'sms' | 'mail', extra: { at?: Date; to?: Identifier } = {}) => ({
  ...service(channel, extra),
  purpose: 'marketing' as const,
});

describe('decideContact: unknown and unconstrained customers', () => {
  it('refuses an unknown customer with the reason unknown_customer', () => {
    const decision = decideContact(undefined, service('phone'));

    expect(decision).toEqual({ allowed: false, reasons: ['unknown_customer'], usableIdentifiers: [] });
  });

  it('allows a service call to a customer who stated nothing, on their phone numbers', () => {
    const decision = decideContact(customer({ identifiers: [mobile, landline] }), service('phone'));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [mobile, landline] });
  });
});

describe('decideContact: opt-out', () => {
  it('refuses a channel the customer opted out of', () => {
    const decision = decideContact(customer({ preferences: { channels: { email: 'opted_out' } } }), service('email'));

    expect(decision).toMatchObject({ allowed: false, reasons: ['opted_out'], usableIdentifiers: [] });
  });

  it('lets a customer-level opt-out win over an opt-in on the identifier', () => {
    const opted = customer({
      preferences: { channels: { sms: 'opted_out' } },
      permissions: [[mobile, { channels: { sms: 'opted_in' }, marketing: 'opted_in' }]],
    });

    const decision = decideContact(opted, service('sms'));

    expect(decision).toEqual({ allowed: false, reasons: ['opted_out'], usableIdentifiers: [] });
  });

  it('lets an identifier-level opt-out win over a customer-level opt-in', () => {
    const opted = customer({
      identifiers: [mobile],
      preferences: { channels: { sms: 'opted_in' } },
      permissions: [[mobile, { channels: { sms: 'opted_out' }, marketing: null }]],
    });

    const decision = decideContact(opted, service('sms'));

    expect(decision).toEqual({ allowed: false, reasons: ['identifier_opted_out'], usableIdentifiers: [] });
  });

  it('refuses SMS to the mobile that opted out of SMS but offers the customer’s other number', () => {
    const opted = customer({ identifiers: [mobile, landline], permissions: [[mobile, { channels: { sms: 'opted_out' }, marketing: null }]] });

    const decision = decideContact(opted, service('sms'));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [landline] });
  });

  it('refuses SMS addressed to the very mobile that opted out, even when another number may be used', () => {
    const opted = customer({ identifiers: [mobile, landline], permissions: [[mobile, { channels: { sms: 'opted_out' }, marketing: null }]] });

    const decision = decideContact(opted, service('sms', { to: mobile }));

    expect(decision).toMatchObject({ allowed: false, reasons: ['identifier_opted_out'] });
  });

  it('does not allow contact on a number that is not the customer’s', () => {
    const stranger: Identifier = { type: 'phone', value: '+447700900999' };

    const decision = decideContact(customer({ identifiers: [mobile] }), service('phone', { to: stranger }));

    expect(decision).toEqual({ allowed: false, reasons: ['not_customer_identifier'], usableIdentifiers: [] });
  });

  it('still allows a call to the mobile that opted out of SMS only', () => {
    const opted = customer({ identifiers: [mobile], permissions: [[mobile, { channels: { sms: 'opted_out' }, marketing: null }]] });

    const decision = decideContact(opted, service('phone', { to: mobile }));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [mobile] });
  });
});

describe('decideContact: marketing consent', () => {
  it('refuses marketing by email without a stated opt-in', () => {
    const decision = decideContact(customer(), marketing('email'));

    expect(decision).toMatchObject({ allowed: false, reasons: ['no_marketing_consent'] });
  });

  it('refuses marketing by SMS without a stated opt-in', () => {
    const decision = decideContact(customer(), marketing('sms'));

    expect(decision).toMatchObject({ allowed: false, reasons: ['no_marketing_consent'] });
  });

  it('allows marketing by email once the customer opted in', () => {
    const decision = decideContact(customer({ preferences: { channels: { email: 'opted_in' } } }), marketing('email'));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [personalEmail] });
  });

  it('allows a service email without any opt-in', () => {
    const decision = decideContact(customer(), service('email'));

    expect(decision.allowed).toBe(true);
  });

  it('does not require an opt-in for marketing by post', () => {
    const decision = decideContact(customer(), marketing('mail'));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [] });
  });

  it('refuses marketing to a work email the customer said may not receive it', () => {
    const opted = customer({
      identifiers: [workEmail],
      preferences: { channels: { email: 'opted_in' } },
      permissions: [[workEmail, { channels: {}, marketing: 'opted_out' }]],
    });

    const decision = decideContact(opted, marketing('email'));

    expect(decision).toEqual({ allowed: false, reasons: ['no_marketing_consent'], usableIdentifiers: [] });
  });

  it('still allows a service email to the work address that refuses marketing', () => {
    const opted = customer({ identifiers: [workEmail], permissions: [[workEmail, { channels: {}, marketing: 'opted_out' }]] });

    const decision = decideContact(opted, service('email'));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [workEmail] });
  });

  it('offers only the personal email for marketing when the work email refuses it', () => {
    const opted = customer({
      identifiers: [personalEmail, workEmail],
      preferences: { channels: { email: 'opted_in' } },
      permissions: [[workEmail, { channels: {}, marketing: 'opted_out' }]],
    });

    const decision = decideContact(opted, marketing('email'));

    expect(decision).toEqual({ allowed: true, reasons: [], usableIdentifiers: [personalEmail] });
  });
});

describe('decideContact: quiet hours', () => {
  const quietAtNight = { quietHours: { start: '21:00', end: '08:00', timeZone: 'Europe/London' } };

  it('refuses a call during the customer’s quiet hours', () => {
    const decision = decideContact(customer({ preferences: quietAtNight }), service('phone', { at: new Date('2026-07-01T21:30:00.000Z') }));

    expect(decision).toMatchObject({ allowed: false, reasons: ['quiet_hours'] });
  });

  it('allows an email during the customer’s quiet hours: email does not interrupt', () => {
    const decision = decideContact(customer({ preferences: quietAtNight }), service('email', { at: new Date('2026-07-01T21:30:00.000Z') }));

    expect(decision.allowed).toBe(true);
  });

  it('gives every reason that applies', () => {
    const preferences = { ...quietAtNight, channels: { sms: 'opted_out' as const } };

    const decision = decideContact(customer({ preferences }), marketing('sms', { at: new Date('2026-07-01T23:00:00.000Z') }));

    expect(decision.reasons).toEqual(['opted_out', 'no_marketing_consent', 'quiet_hours']);
  });
});

describe('isWithinQuietHours', () => {
  const nightInLondon = { start: '22:00', end: '07:00', timeZone: 'Europe/London' };

  it('counts a time after the start of a window that wraps past midnight', () => {
    expect(isWithinQuietHours(nightInLondon, new Date('2026-01-15T23:30:00.000Z'))).toBe(true);
  });

  it('counts a time after midnight and before the end of a wrapping window', () => {
    expect(isWithinQuietHours(nightInLondon, new Date('2026-01-15T06:59:00.000Z'))).toBe(true);
  });

  it('treats the end of the window as outside it', () => {
    expect(isWithinQuietHours(nightInLondon, new Date('2026-01-15T07:00:00.000Z'))).toBe(false);
  });

  it('treats the start of the window as inside it', () => {
    expect(isWithinQuietHours(nightInLondon, new Date('2026-01-15T22:00:00.000Z'))).toBe(true);
  });

  it('reads the clock in the customer’s time zone in summer time', () => {
    // 21:30 UTC is 22:30 BST in July but 21:30 GMT in January.
    expect(isWithinQuietHours(nightInLondon, new Date('2026-07-01T21:30:00.000Z'))).toBe(true);
    expect(isWithinQuietHours(nightInLondon, new Date('2026-01-15T21:30:00.000Z'))).toBe(false);
  });

  it('follows the clock change on the day summer time starts', () => {
    // On 29 March 2026 London moves to BST at 01:00 UTC: 06:30 UTC is 07:30 local, after the window.
    expect(isWithinQuietHours(nightInLondon, new Date('2026-03-29T06:30:00.000Z'))).toBe(false);
    expect(isWithinQuietHours(nightInLondon, new Date('2026-03-28T06:30:00.000Z'))).toBe(true);
  });

  it('handles a window that does not wrap, in a zone west of UTC', () => {
    const lunchInNewYork = { start: '12:00', end: '14:00', timeZone: 'America/New_York' };

    // 18:30 UTC is 13:30 EST in January and 14:30 EDT in July.
    expect(isWithinQuietHours(lunchInNewYork, new Date('2026-01-15T18:30:00.000Z'))).toBe(true);
    expect(isWithinQuietHours(lunchInNewYork, new Date('2026-07-15T18:30:00.000Z'))).toBe(false);
  });

  it('handles a zone with a half-hour offset', () => {
    // 16:45 UTC is 22:15 in Kolkata (UTC+05:30).
    expect(isWithinQuietHours({ start: '22:00', end: '07:00', timeZone: 'Asia/Kolkata' }, new Date('2026-05-01T16:45:00.000Z'))).toBe(true);
    expect(isWithinQuietHours({ start: '22:00', end: '07:00', timeZone: 'Asia/Kolkata' }, new Date('2026-05-01T16:15:00.000Z'))).toBe(false);
  });

  it('reads midnight as 00:00, inside a wrapping window', () => {
    expect(isWithinQuietHours(nightInLondon, new Date('2026-01-16T00:00:00.000Z'))).toBe(true);
  });
});

describe('strictest', () => {
  it.each([
    { a: 'opted_out', b: 'opted_in', expected: 'opted_out' },
    { a: 'opted_in', b: 'opted_out', expected: 'opted_out' },
    { a: undefined, b: 'opted_out', expected: 'opted_out' },
    { a: 'opted_out', b: undefined, expected: 'opted_out' },
    { a: 'opted_in', b: 'opted_in', expected: 'opted_in' },
    { a: 'opted_in', b: undefined, expected: 'opted_in' },
    { a: undefined, b: undefined, expected: undefined },
  ] as const)('combines $a and $b into $expected', ({ a, b, expected }) => {
    expect(strictest(a, b)).toBe(expected);
  });
});
