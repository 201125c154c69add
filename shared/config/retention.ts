import type { Channel } from '../domain/channels.ts';

/**
 * How long a touchpoint is kept, by channel, counted from when it happened (`occurredAt`).
 * Enforced by DynamoDB TTL: the touchpoint and its locator carry `expiresAt` from the moment they
 * are written, and DynamoDB deletes them some time (typically within days) after it passes. The
 * customer's card keeps its lifetime counters: they live on the profile, which has no TTL.
 * Change the numbers here; the README lists the defaults.
 */
export const retentionConfig = {
  /** Page views are the least valuable and most numerous: 13 months, a year-on-year comparison. */
  web_visit: { months: 13 },
  /** Everything else: 7 years, the usual statutory retention for customer correspondence and billing. */
  default: { months: 7 * 12 },
} as const satisfies Partial<Record<Channel, { months: number }>> & { default: { months: number } };

/** Read-audit entries: 400 days, long enough to answer "who looked at me this past year". */
export const accessLogRetentionDays = 400;

export function retentionMonths(channel: Channel): number {
  return (retentionConfig as Partial<Record<string, { months: number }>>)[channel]?.months ?? retentionConfig.default.months;
}

/** The TTL (epoch seconds) of a touchpoint of this channel that happened at `occurredAt`. */
export function touchpointExpiresAt(channel: Channel, occurredAt: string): number {
  const when = new Date(occurredAt);
  const expiry = addMonthsUtc(when, retentionMonths(channel));
  return Math.floor(expiry.getTime() / 1000);
}

/** Calendar months in UTC; the 31st of a shorter month becomes its last day. */
function addMonthsUtc(date: Date, months: number): Date {
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      target.getUTCFullYear(),
      target.getUTCMonth(),
      Math.min(date.getUTCDate(), lastDay),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    ),
  );
}

export function accessLogExpiresAt(at: Date): number {
  return Math.floor(at.getTime() / 1000) + accessLogRetentionDays * 24 * 60 * 60;
}
