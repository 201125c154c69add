import type { LookupType } from './api.ts';

/** What the agent may search by; `auto` guesses from the text. */
export type SearchType = LookupType | 'auto';

/** The query parameters call-centre software (or a bookmark) may open the console with. */
export const searchParameters: readonly LookupType[] = ['phone', 'email', 'accountId', 'invoiceNumber', 'customerId'];

const phoneCharacters = /^[+()\d\s./-]+$/;

/**
 * The lookups to try for what was typed, in order. A phone number in any format goes to the API
 * as typed (the API normalises it); text that is neither a phone, an email nor a customer id may
 * be an account or an invoice number: both are tried, the account first.
 */
export function lookupsFor(text: string, type: SearchType): { type: LookupType; value: string }[] {
  const value = text.trim();
  if (!value) return [];
  if (type !== 'auto') return [{ type, value }];
  if (value.includes('@')) return [{ type: 'email', value }];
  if (/^cus_/i.test(value)) return [{ type: 'customerId', value }];
  if (phoneCharacters.test(value) && value.replace(/\D/g, '').length >= 6) return [{ type: 'phone', value }];
  if (/^inv/i.test(value))
    return [
      { type: 'invoiceNumber', value },
      { type: 'accountId', value },
    ];
  return [
    { type: 'accountId', value },
    { type: 'invoiceNumber', value },
  ];
}
