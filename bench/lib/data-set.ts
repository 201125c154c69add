/**
 * A synthetic but realistic customer base, derived from a seed so every run is the same: phone
 * numbers in valid UK mobile ranges, emails, account numbers, website cookies, invoice numbers,
 * and touchpoints over a year on every channel, as the systems of issue 2 would post them.
 */
import type { Channel } from '../../shared/schemas/touchpoint.ts';

export type Random = () => number;

/** UK mobile ranges (`+44 74x`), one per population, so runs never collide on a phone number. */
export const phoneRanges = {
  seeded: '740',
  apiNewCustomers: '741',
  rawNewCustomers: '742',
  faults: '743',
  faultTests: '744',
} as const;

export interface CustomerIdentity {
  index: number;
  phone: string;
  email: string;
  accountId?: string;
  anonymousId: string;
}

/** A seeded customer as the load generators need it: what to look it up by, and its id. */
export interface SeededCustomer extends CustomerIdentity {
  customerId: string;
  touchpointCount: number;
}

/** A touchpoint as a posting system sends it (the body of `POST /v1/touchpoints`). */
export interface TouchpointBody {
  channel: Channel;
  identifiers: Record<string, unknown>;
  occurredAt?: string;
  source: string;
  summary?: string;
  value?: number;
  details: Record<string, unknown>;
}

/** How the seeded history spreads over the channels (web traffic dominates, letters are rare). */
const seedChannelWeights: [Channel, number][] = [
  ['web_visit', 0.5],
  ['call', 0.15],
  ['email', 0.15],
  ['invoice_query', 0.07],
  ['chat', 0.05],
  ['sms', 0.04],
  ['letter', 0.02],
  ['in_person', 0.02],
];

/** The mixed-traffic benchmark's blend, as issue 5 asks: 70 % web visits, 15 % calls, 10 % emails, 5 % invoice queries. */
export const mixedTrafficWeights: [Channel, number][] = [
  ['web_visit', 0.7],
  ['call', 0.15],
  ['email', 0.1],
  ['invoice_query', 0.05],
];

export const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** E.164 for the `index`-th number of a range: `+44 74r nnnnnnn`, a valid UK mobile number. */
export function phoneNumber(range: string, index: number): string {
  return `+44${range}${pad(index, 7)}`;
}

/** The same number as a UK caller would type it (`07400 000123`), to exercise normalisation. */
export function nationalFormat(e164: string): string {
  const national = `0${e164.slice(3)}`;
  return `${national.slice(0, 5)} ${national.slice(5)}`;
}

export function identityOf(index: number, range: string = phoneRanges.seeded, tag = 'c'): CustomerIdentity {
  return {
    index,
    phone: phoneNumber(range, index),
    email: `${tag}${index}@example.com`,
    // Six in ten customers have an account with billing.
    ...(index % 5 < 3 ? { accountId: `ACC-${tag.toUpperCase()}${pad(index, 7)}` } : {}),
    anonymousId: `anon-${tag}-${pad(index, 7)}`,
  };
}

export function pickWeighted<T>(random: Random, weights: readonly [T, number][]): T {
  let roll = random() * weights.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of weights) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return (weights[weights.length - 1] as [T, number])[0];
}

export function pickOne<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

function gaussian(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Splits `total` touchpoints over `customers` with a long tail (log-normal weights): most customers
 * have a handful, a few have hundreds, every one has at least one.
 */
export function touchpointCounts(random: Random, customers: number, total: number): number[] {
  if (total < customers) throw new Error(`Need at least one touchpoint per customer (${customers} customers, ${total} touchpoints)`);
  const weights = Array.from({ length: customers }, () => Math.exp(1.1 * gaussian(random)));
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  const spare = total - customers;
  const counts = weights.map((weight) => 1 + Math.floor((spare * weight) / weightSum));
  let missing = total - counts.reduce((sum, count) => sum + count, 0);
  for (let index = 0; missing > 0; index = (index + 1) % customers, missing -= 1) counts[index] = (counts[index] as number) + 1;
  return counts;
}

const queues = ['billing', 'support', 'sales', 'collections'];
const outcomes = ['answered', 'answered', 'answered', 'missed', 'voicemail', 'transferred'];
const pages = ['/', '/pricing', '/account', '/account/invoices', '/help/billing', '/help/moving-home', '/contact', '/offers/broadband'];
const agents = Array.from({ length: 40 }, (_, index) => `agent-${pad(index, 3)}`);
const reasons = ['Charged twice', 'Amount higher than expected', 'Missing discount', 'Wrong address', 'Payment not applied'];

export interface TouchpointContext {
  random: Random;
  /** Unique within the run: used for message, session and invoice numbers. */
  serial: string;
  occurredAt?: string;
}

/**
 * A customer's first contact: the online sign-up, which the website posts with every identifier
 * the form collected, so the customer is known by phone, email, account and cookie from then on.
 */
export function signUpFor(customer: CustomerIdentity, context: TouchpointContext): TouchpointBody {
  return {
    ...(context.occurredAt ? { occurredAt: context.occurredAt } : {}),
    channel: 'web_visit',
    identifiers: {
      anonymousId: customer.anonymousId,
      phone: customer.phone,
      email: customer.email,
      ...(customer.accountId ? { accountId: customer.accountId } : {}),
    },
    source: 'website',
    summary: 'Signed up online',
    details: {
      url: 'https://www.example.co.uk/signup/complete',
      title: 'Example Telecom: welcome',
      sessionId: `s-${context.serial}`,
    },
  };
}

/** A touchpoint a posting system would send for this customer on this channel. */
export function touchpointFor(customer: CustomerIdentity, channel: Channel, context: TouchpointContext): TouchpointBody {
  const { random, serial } = context;
  const base = { ...(context.occurredAt ? { occurredAt: context.occurredAt } : {}) };
  const inbound = random() < 0.8;
  switch (channel) {
    case 'call': {
      const outcome = pickOne(random, outcomes);
      return {
        ...base,
        channel,
        identifiers: { phone: customer.phone },
        source: 'call-centre',
        summary: `${inbound ? 'Inbound' : 'Outbound'} call, ${outcome}`,
        details: {
          direction: inbound ? 'inbound' : 'outbound',
          durationSeconds: outcome === 'answered' ? 30 + Math.floor(random() * 900) : Math.floor(random() * 40),
          outcome,
          agentId: pickOne(random, agents),
          queue: pickOne(random, queues),
          callId: `call-${serial}`,
        },
      };
    }
    case 'email':
      return {
        ...base,
        channel,
        identifiers: { email: customer.email },
        source: 'mail-gateway',
        summary: inbound ? 'Customer email' : 'Reply sent',
        details: {
          direction: inbound ? 'inbound' : 'outbound',
          messageId: `<${serial}@mail.example.com>`,
          subject: pickOne(random, ['Question about my bill', 'Moving home', 'Broadband speed', 'Re: your recent order']),
          from: inbound ? customer.email : 'support@example.co.uk',
          to: [inbound ? 'support@example.co.uk' : customer.email],
          threadId: `thread-${customer.index}-${Math.floor(random() * 5)}`,
        },
      };
    case 'invoice_query': {
      const invoiceNumber = `INV-${serial}`;
      return {
        ...base,
        channel,
        identifiers: customer.accountId ? { accountId: customer.accountId, invoiceNumber } : { email: customer.email, invoiceNumber },
        source: 'billing',
        summary: 'Invoice query raised',
        details: {
          invoiceNumber,
          queryId: `Q-${serial}`,
          status: pickOne(random, ['open', 'open', 'in_progress', 'resolved'] as const),
          reason: pickOne(random, reasons),
          amount: { value: Math.round(random() * 50_000) / 100, currency: 'GBP' },
        },
      };
    }
    case 'web_visit': {
      const loggedIn = random() < 0.1;
      const path = pickOne(random, pages);
      return {
        ...base,
        channel,
        identifiers: loggedIn ? { anonymousId: customer.anonymousId, email: customer.email } : { anonymousId: customer.anonymousId },
        source: 'website',
        details: {
          url: `https://www.example.co.uk${path}`,
          title: `Example Telecom: ${path === '/' ? 'home' : path.slice(1)}`,
          ...(random() < 0.4 ? { referrer: 'https://www.google.com/' } : {}),
          sessionId: `s-${serial}`,
          userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
        },
      };
    }
    case 'letter':
      return {
        ...base,
        channel,
        identifiers: customer.accountId ? { accountId: customer.accountId } : { email: customer.email },
        source: 'post-room',
        summary: 'Letter scanned',
        details: { direction: 'inbound', subject: 'Complaint about service', reference: `L-${serial}` },
      };
    case 'chat':
      return {
        ...base,
        channel,
        identifiers: { email: customer.email },
        source: 'web-chat',
        summary: 'Chat with an agent',
        details: {
          direction: 'inbound',
          conversationId: `conv-${serial}`,
          agentId: pickOne(random, agents),
          messageCount: 2 + Math.floor(random() * 30),
        },
      };
    case 'sms':
      return {
        ...base,
        channel,
        identifiers: { phone: customer.phone },
        source: 'sms-gateway',
        details: {
          direction: inbound ? 'inbound' : 'outbound',
          messageId: `sms-${serial}`,
          body: inbound ? 'When will the engineer arrive?' : 'Your engineer will arrive between 8am and 1pm.',
        },
      };
    case 'in_person':
      return {
        ...base,
        channel,
        identifiers: { phone: customer.phone },
        source: 'store',
        summary: 'Visited a shop',
        // A shop visit is often a purchase: its value feeds the customer's value tier.
        ...(random() < 0.6 ? { value: Math.round(2_000 + random() * 60_000) / 100 } : {}),
        details: {
          location: pickOne(random, ['Leeds', 'Bristol', 'Glasgow', 'London Oxford St']),
          staffId: 'staff-017',
          durationMinutes: 5 + Math.floor(random() * 40),
        },
      };
  }
}

/** A random seed-history channel. */
export const seedChannel = (random: Random) => pickWeighted(random, seedChannelWeights);
