import type { ContactChannel, Customer, IdentifierPermissions, Permission } from './model.ts';
import { identifierKey, type Identifier } from './identifiers.ts';

/**
 * May we contact this customer now? Opt-out always wins: a channel opted out at customer level, or
 * on the very phone number or address, is a no whatever else says yes. Marketing by email or SMS
 * needs a stated opt-in (consent), as UK PECR and the EU ePrivacy rules require.
 */
export type ContactPurpose = 'service' | 'marketing';

export type ContactRefusal = 'unknown_customer' | 'not_customer_identifier' | 'opted_out' | 'identifier_opted_out' | 'no_marketing_consent' | 'quiet_hours';

export interface ContactDecision {
  allowed: boolean;
  reasons: ContactRefusal[];
  /** The customer's identifiers on which this channel may be used. */
  usableIdentifiers: Identifier[];
}

/** Quiet hours interrupt only channels that ring or buzz. */
const interruptingChannels: ContactChannel[] = ['phone', 'sms'];
const consentRequiredForMarketing: ContactChannel[] = ['email', 'sms'];
const identifierTypeFor: Record<ContactChannel, Identifier['type'] | undefined> = {
  phone: 'phone',
  sms: 'phone',
  email: 'email',
  mail: undefined,
};

export function decideContact(
  customer: Customer | undefined,
  request: { channel: ContactChannel; at: Date; purpose: ContactPurpose; to?: Identifier },
): ContactDecision {
  if (!customer) return { allowed: false, reasons: ['unknown_customer'], usableIdentifiers: [] };
  const reasons: ContactRefusal[] = [];
  const stated = customer.preferences?.channels[request.channel];
  if (stated === 'opted_out') reasons.push('opted_out');

  const type = identifierTypeFor[request.channel];
  const candidates = customer.identifiers
    .filter((identifier) => identifier.type === type)
    .filter((identifier) => !request.to || identifierKey(identifier) === identifierKey(request.to));
  const usableIdentifiers = candidates
    .filter((identifier) => !refusesOn(customer.identifierPermissions[identifierKey(identifier)], request))
    .map(({ type: identifierType, value }) => ({ type: identifierType, value }));
  if (request.to && candidates.length === 0) reasons.push('not_customer_identifier');
  if (candidates.length > 0 && usableIdentifiers.length === 0) {
    const marketingOnly = candidates.every(
      (identifier) => customer.identifierPermissions[identifierKey(identifier)]?.channels[request.channel] !== 'opted_out',
    );
    reasons.push(marketingOnly ? 'no_marketing_consent' : 'identifier_opted_out');
  }

  if (request.purpose === 'marketing' && consentRequiredForMarketing.includes(request.channel) && stated !== 'opted_in') {
    if (!reasons.includes('no_marketing_consent')) reasons.push('no_marketing_consent');
  }
  const quietHours = customer.preferences?.quietHours;
  if (quietHours && interruptingChannels.includes(request.channel) && isWithinQuietHours(quietHours, request.at)) {
    reasons.push('quiet_hours');
  }
  return { allowed: reasons.length === 0, reasons, usableIdentifiers: stated === 'opted_out' ? [] : usableIdentifiers };
}

function refusesOn(permissions: IdentifierPermissions | undefined, request: { channel: ContactChannel; purpose: ContactPurpose }): boolean {
  if (!permissions) return false;
  if (permissions.channels[request.channel] === 'opted_out') return true;
  return request.purpose === 'marketing' && permissions.marketing === 'opted_out';
}

/** `start`-`end` in the customer's own time zone; a window past midnight (22:00-07:00) wraps. */
export function isWithinQuietHours(quietHours: { start: string; end: string; timeZone: string }, at: Date): boolean {
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: quietHours.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  const { start, end } = quietHours;
  return start <= end ? local >= start && local < end : local >= start || local < end;
}

/** On a merge the strictest permission wins, never the union: an opt-out on either side stays an opt-out. */
export function strictest(a: Permission | undefined, b: Permission | undefined): Permission | undefined {
  if (a === 'opted_out' || b === 'opted_out') return 'opted_out';
  return a ?? b;
}
