import * as z from '../../schemas/zod.ts';

/**
 * Stripe invoice and dispute events as invoice query touchpoints. Only what is mapped is checked;
 * Stripe adds fields with every API version, so the rest passes through.
 */
const stripeId = (prefix: string) => z.string().check(z.regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,250}$`)));

const invoiceSchema = z.looseObject({
  id: stripeId('in'),
  number: z.nullish(z.string().check(z.minLength(1), z.maxLength(100))),
  customer: z.nullish(z.union([stripeId('cus'), z.looseObject({ id: stripeId('cus') })])),
  customer_email: z.nullish(z.string().check(z.maxLength(320))),
  customer_name: z.nullish(z.string().check(z.maxLength(200))),
  amount_due: z.number().check(z.int(), z.gte(0)),
  amount_remaining: z.optional(z.number().check(z.int(), z.gte(0))),
  currency: z.string().check(z.regex(/^[a-z]{3}$/)),
  attempt_count: z.optional(z.number().check(z.int(), z.gte(0))),
});

const disputeSchema = z.looseObject({
  id: stripeId('dp'),
  charge: z.union([stripeId('ch'), z.looseObject({ id: stripeId('ch') })]),
  amount: z.number().check(z.int(), z.gte(0)),
  currency: z.string().check(z.regex(/^[a-z]{3}$/)),
  reason: z.string().check(z.maxLength(100)),
  status: z.string().check(z.maxLength(100)),
  // Stripe fills the evidence's email from the disputed payment where it has one.
  evidence: z.nullish(z.looseObject({ customer_email_address: z.nullish(z.string().check(z.maxLength(320))) })),
});

export const stripeEventSchema = z.looseObject({
  id: stripeId('evt'),
  object: z.literal('event'),
  type: z.string().check(z.minLength(1), z.maxLength(200)),
  created: z.number().check(z.int(), z.positive()),
  livemode: z.boolean(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

export type StripeEvent = z.infer<typeof stripeEventSchema>;

type QueryStatus = 'open' | 'in_progress' | 'resolved';

const invoiceStatuses: Record<string, { status: QueryStatus; reason: string }> = {
  'invoice.payment_failed': { status: 'open', reason: 'Payment failed' },
  'invoice.marked_uncollectible': { status: 'in_progress', reason: 'Marked uncollectible' },
  'invoice.voided': { status: 'resolved', reason: 'Invoice voided' },
  'invoice.paid': { status: 'resolved', reason: 'Invoice paid' },
};

const disputeStatuses: Record<string, QueryStatus> = {
  'charge.dispute.created': 'open',
  'charge.dispute.updated': 'in_progress',
  'charge.dispute.funds_withdrawn': 'in_progress',
  'charge.dispute.closed': 'resolved',
};

/** The event types this connector maps; every other type is acknowledged and ignored. */
export const mappedStripeEventTypes = [...Object.keys(invoiceStatuses), ...Object.keys(disputeStatuses)];

/** Currencies whose Stripe amounts are in whole units, and those in thousandths (Stripe: "Zero-decimal currencies"). */
const zeroDecimal = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const threeDecimal = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function amountOf(minorUnits: number, currency: string): { value: number; currency: string } {
  const divisor = zeroDecimal.has(currency) ? 1 : threeDecimal.has(currency) ? 1000 : 100;
  return { value: minorUnits / divisor, currency: currency.toUpperCase() };
}

export type StripeMapping =
  | { kind: 'ignored'; type: string }
  | { kind: 'unmappable'; detail: string }
  | { kind: 'touchpoint'; touchpoint: Record<string, unknown> };

/**
 * One event as a touchpoint: an invoice's queries are keyed on its number (so payment_failed,
 * marked_uncollectible and paid move one query along), a dispute's on its id. The card keeps the
 * status of the newest event, so a retry or an event delivered late never moves a query back.
 */
export function mapStripeEvent(event: StripeEvent): StripeMapping {
  const occurredAt = new Date(event.created * 1000).toISOString();
  const invoiceStatus = invoiceStatuses[event.type];
  if (invoiceStatus) {
    const invoice = invoiceSchema.safeParse(event.data.object);
    if (!invoice.success) return { kind: 'unmappable', detail: `The ${event.type} event does not hold an invoice object.` };
    const { number, customer_email: email } = invoice.data;
    const customerId = typeof invoice.data.customer === 'object' ? invoice.data.customer?.id : invoice.data.customer;
    if (!customerId && !email) {
      return { kind: 'unmappable', detail: 'The invoice names neither a Stripe customer nor a customer email: no customer to put it on.' };
    }
    const invoiceNumber = number ?? invoice.data.id;
    return {
      kind: 'touchpoint',
      touchpoint: {
        channel: 'invoice_query',
        identifiers: {
          ...(customerId ? { externalId: { system: 'stripe', id: customerId } } : {}),
          ...(email ? { email } : {}),
          invoiceNumber,
        },
        occurredAt,
        summary: `${invoiceStatus.reason}: invoice ${invoiceNumber}`,
        details: {
          invoiceNumber,
          status: invoiceStatus.status,
          reason: invoiceStatus.reason,
          amount: amountOf(invoice.data.amount_due, invoice.data.currency),
        },
      },
    };
  }
  const disputeStatus = disputeStatuses[event.type];
  if (disputeStatus) {
    const dispute = disputeSchema.safeParse(event.data.object);
    if (!dispute.success) return { kind: 'unmappable', detail: `The ${event.type} event does not hold a dispute object.` };
    const email = dispute.data.evidence?.customer_email_address;
    if (!email) {
      return { kind: 'unmappable', detail: 'The dispute carries no customer email (evidence.customer_email_address): no customer to put it on.' };
    }
    const chargeId = typeof dispute.data.charge === 'object' ? dispute.data.charge.id : dispute.data.charge;
    const closed = disputeStatus === 'resolved' ? ` (${dispute.data.status})` : '';
    return {
      kind: 'touchpoint',
      touchpoint: {
        channel: 'invoice_query',
        identifiers: { email },
        occurredAt,
        summary: `Card dispute${closed}: ${dispute.data.reason}`,
        details: {
          // A dispute is of a payment, not of an invoice: the disputed charge stands in for the number.
          invoiceNumber: chargeId,
          queryId: dispute.data.id,
          status: disputeStatus,
          reason: `Card dispute: ${dispute.data.reason}${closed}`,
          amount: amountOf(dispute.data.amount, dispute.data.currency),
        },
      },
    };
  }
  return { kind: 'ignored', type: event.type };
}
