import type { Channel } from './api.ts';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export function when(iso: string): string {
  return dateTime.format(new Date(iso));
}

export function money(amount: { value: number; currency: string } | null): string {
  if (!amount) return 'amount not given';
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency: amount.currency }).format(amount.value);
}

export function days(count: number): string {
  return count === 1 ? '1 day' : `${count} days`;
}

const channelNames: Record<Channel, string> = {
  call: 'Call',
  email: 'Email',
  invoice_query: 'Invoice query',
  web_visit: 'Web visit',
  letter: 'Letter',
  chat: 'Chat',
  sms: 'SMS',
  in_person: 'In person',
};

export function channelName(channel: Channel): string {
  return channelNames[channel];
}

/** A details value for reading, not for parsing: nested objects stay JSON. */
export function plain(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
