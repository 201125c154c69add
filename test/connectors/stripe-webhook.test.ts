import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { stripeDisputeEvent, stripeInvoiceEvent } from './fixtures/stripe.ts';
import { unique, uniqueEmail } from '../fixtures/touchpoints.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';

const secret = `whsec_${unique()}${unique()}`;
process.env.STRIPE_WEBHOOK_SECRET = secret;
const { handler } = await import('../../functions/receive-stripe-webhook/handler.ts');

// Stripe's own library signs, so the verification is checked against Stripe's scheme, not against itself.
const stripe = new Stripe('sk_test_connectors');

beforeAll(async () => {
  await createTestTable();
});

function deliver(payload: string, signature: string | undefined) {
  return invoke(
    handler,
    apiEvent({
      method: 'POST',
      routePath: '/v1/connectors/stripe',
      body: payload,
      headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === undefined ? {} : { 'stripe-signature': signature }) },
      authorizer: null,
    }),
  );
}

function signed(event: Record<string, unknown>, options: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(event, null, 2);
  const header = stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? secret,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return deliver(payload, header);
}

function newInvoice() {
  return { id: `in_${unique()}`, number: `EE-${unique()}`, customer: `cus_${unique()}`, customerEmail: uniqueEmail() };
}

async function invoiceQueriesOf(email: string) {
  const found = await lookupCustomer({ email });
  expect(found.status).toBe(200);
  return { customerId: found.body.customer.customerId as string, card: found.body.card };
}

describe('Stripe webhook: verification', () => {
  it('refuses an unsigned event, a forged one and one signed with another secret (401), storing nothing', async () => {
    const invoice = newInvoice();
    const event = stripeInvoiceEvent('invoice.payment_failed', invoice);
    const payload = JSON.stringify(event);

    const unsigned = await deliver(payload, undefined);
    const otherSecret = await signed(event, { secret: `whsec_${unique()}${unique()}` });
    const tampered = await deliver(payload.replace(invoice.customerEmail, uniqueEmail()), stripe.webhooks.generateTestHeaderString({ payload, secret }));

    expect([unsigned.status, otherSecret.status, tampered.status]).toEqual([401, 401, 401]);
    expect(unsigned.body.type).toBe('urn:touchpoint-api:problem:unverified-sender');
    expect((await lookupCustomer({ email: invoice.customerEmail })).status).toBe(404);
  });

  it('refuses a replayed signature older than the 5-minute tolerance, and accepts one just inside it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await signed(stripeInvoiceEvent('invoice.payment_failed', newInvoice()), { timestamp: now - 301 });
    const fresh = await signed(stripeInvoiceEvent('invoice.payment_failed', newInvoice()), { timestamp: now - 240 });

    expect(stale.status).toBe(401);
    expect(fresh.status).toBe(200);
  });

  it('refuses a signature dated more than 5 minutes ahead: a captured request cannot be held back for later', async () => {
    const ahead = await signed(stripeInvoiceEvent('invoice.payment_failed', newInvoice()), { timestamp: Math.floor(Date.now() / 1000) + 360 });

    expect(ahead.status).toBe(401);
  });

  it('accepts a header with several v1 signatures while the signing secret is rolled', async () => {
    const event = stripeInvoiceEvent('invoice.payment_failed', newInvoice());
    const payload = JSON.stringify(event);
    const current = stripe.webhooks.generateTestHeaderString({ payload, secret });
    const [timestamp, signature] = current.split(',');
    const old = stripe.webhooks.generateTestHeaderString({ payload, secret: `whsec_${unique()}${unique()}`, timestamp: Number(timestamp?.slice(2)) });

    const response = await deliver(payload, `${timestamp},${old.split(',')[1]},${signature}`);

    expect(response.status).toBe(200);
  });
});

describe('Stripe webhook: invoice queries', () => {
  it('opens an invoice query on payment_failed, on the customer found by Stripe customer id, with the amount in pounds', async () => {
    const invoice = newInvoice();

    const response = await signed(stripeInvoiceEvent('invoice.payment_failed', invoice));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: true, recorded: true, touchpointId: expect.stringMatching(/^tp_/) });
    const { card } = await invoiceQueriesOf(invoice.customerEmail);
    expect(card.openInvoiceQueries).toEqual([
      expect.objectContaining({ invoiceNumber: invoice.number, status: 'open', reason: 'Payment failed', amount: { value: 129.5, currency: 'GBP' } }),
    ]);
  });

  it('moves one query open -> in_progress -> resolved over payment_failed, marked_uncollectible and paid', async () => {
    const invoice = newInvoice();
    const start = Math.floor(Date.now() / 1000) - 120;

    await signed(stripeInvoiceEvent('invoice.payment_failed', invoice, start));
    await signed(stripeInvoiceEvent('invoice.marked_uncollectible', invoice, start + 30));
    const midway = await invoiceQueriesOf(invoice.customerEmail);
    await signed(stripeInvoiceEvent('invoice.paid', invoice, start + 60));
    const after = await invoiceQueriesOf(invoice.customerEmail);

    expect(midway.card.openInvoiceQueries.map((query: { status: string }) => query.status)).toEqual(['in_progress']);
    expect(after.card.openInvoiceQueries).toEqual([]);
    expect((await wholeTimeline(after.customerId)).map((touchpoint) => touchpoint.details)).toHaveLength(3);
  });

  it('keeps the newest status when Stripe delivers out of order: a late payment_failed does not reopen a paid invoice', async () => {
    const invoice = newInvoice();
    const start = Math.floor(Date.now() / 1000) - 120;

    await signed(stripeInvoiceEvent('invoice.paid', invoice, start + 60));
    await signed(stripeInvoiceEvent('invoice.payment_failed', invoice, start));

    const { card } = await invoiceQueriesOf(invoice.customerEmail);
    expect(card.openInvoiceQueries).toEqual([]);
  });

  it('records a redelivered event once (keyed on the event id), answering 200 each time', async () => {
    const invoice = newInvoice();
    const event = stripeInvoiceEvent('invoice.payment_failed', invoice);

    const first = await signed(event);
    const retry = await signed(event);
    const retryLater = await signed(event);

    expect([first.status, retry.status, retryLater.status]).toEqual([200, 200, 200]);
    expect(retry.body.touchpointId).toBe(first.body.touchpointId);
    const { customerId } = await invoiceQueriesOf(invoice.customerEmail);
    expect(await wholeTimeline(customerId)).toHaveLength(1);
  });

  it('finds the customer by email when the invoice has no Stripe customer, joining the one the API already knows', async () => {
    const email = uniqueEmail();
    const known = await recordTouchpoint({
      channel: 'email',
      identifiers: { email },
      source: 'mailbox',
      details: { direction: 'inbound', messageId: `<${unique()}@mail.example.com>`, subject: 'Bill', from: email, to: ['billing@example.org'] },
    });

    const response = await signed(stripeInvoiceEvent('invoice.voided', { ...newInvoice(), customer: null, customerEmail: email }));

    expect(response.status).toBe(200);
    const { customerId } = await invoiceQueriesOf(email);
    expect(customerId).toBe(known.customerId);
    const sources = (await wholeTimeline(customerId)).map((touchpoint) => touchpoint.source);
    expect(sources.sort()).toEqual(['mailbox', 'stripe']);
  });

  it('keeps a Japanese yen amount in whole yen (a zero-decimal currency)', async () => {
    const invoice = newInvoice();

    await signed(stripeInvoiceEvent('invoice.payment_failed', { ...invoice, amountDue: 5000, currency: 'jpy' }));

    const { card } = await invoiceQueriesOf(invoice.customerEmail);
    expect(card.openInvoiceQueries[0].amount).toEqual({ value: 5000, currency: 'JPY' });
  });
});

describe('Stripe webhook: disputes', () => {
  it('opens a query for a dispute and resolves it when the dispute closes', async () => {
    const email = uniqueEmail();
    const dispute = { id: `dp_${unique()}`, charge: `ch_${unique()}`, email };
    const start = Math.floor(Date.now() / 1000) - 60;

    await signed(stripeDisputeEvent('charge.dispute.created', dispute, start));
    const opened = await invoiceQueriesOf(email);
    await signed(stripeDisputeEvent('charge.dispute.closed', { ...dispute, status: 'won' }, start + 30));
    const closed = await invoiceQueriesOf(email);

    expect(opened.card.openInvoiceQueries).toEqual([expect.objectContaining({ queryId: dispute.id, status: 'open', amount: { value: 45, currency: 'GBP' } })]);
    expect(closed.card.openInvoiceQueries).toEqual([]);
  });

  it('refuses (422) a dispute that names no customer email, storing nothing', async () => {
    const response = await signed(stripeDisputeEvent('charge.dispute.created', { id: `dp_${unique()}`, charge: `ch_${unique()}`, email: null }));

    expect(response.status).toBe(422);
    expect(response.body.type).toBe('urn:touchpoint-api:problem:unmappable-payload');
  });
});

describe('Stripe webhook: what it does not map', () => {
  it('acknowledges (200) a verified event of a type it does not map, so Stripe stops retrying, and stores nothing', async () => {
    const invoice = newInvoice();
    const event = { ...stripeInvoiceEvent('invoice.finalized', invoice) };

    const response = await signed(event);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true, recorded: false });
    expect((await lookupCustomer({ email: invoice.customerEmail })).status).toBe(404);
  });

  it('refuses an invoice with neither a Stripe customer nor an email (422), and a signed body that is not JSON (400)', async () => {
    const orphan = await signed(stripeInvoiceEvent('invoice.payment_failed', { ...newInvoice(), customer: null, customerEmail: null }));
    const notJson = await deliver('not json', stripe.webhooks.generateTestHeaderString({ payload: 'not json', secret }));

    expect(orphan.status).toBe(422);
    expect(notJson.status).toBe(400);
  });
});
