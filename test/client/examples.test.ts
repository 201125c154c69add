import { describe, expect, it } from 'vitest';
import { unwrap } from '../../clients/typescript/src/index.ts';
import { emailHistory, logEmail } from '../../clients/typescript/examples/email-log.ts';
import { type InvoiceQueryEvent, sendNightlyBatch } from '../../clients/typescript/examples/nightly-invoice-queries.ts';
import { recordCall, screenPop } from '../../clients/typescript/examples/screen-pop.ts';
import { uniqueEmail, uniquePhone, useClientStack } from './stack.ts';

/** The package's examples, run as each system would run them, with a key of that system's own. */
const stack = useClientStack();

const callCentre = () => stack.clientFor('call-centre', ['customers:read', 'touchpoints:write:call']);
const billing = () => stack.clientFor('billing', ['customers:read', 'touchpoints:write:invoice_query']);
const emailGateway = () => stack.clientFor('email-gateway', ['customers:read', 'touchpoints:write:email']);

async function signUp(identifiers: { phone?: string; email?: string; accountId?: string }): Promise<string> {
  const recorded = await unwrap(
    stack.client().POST('/v1/touchpoints', {
      body: { channel: 'web_visit', identifiers, details: { url: 'https://example.com/sign-up' } },
    }),
  );
  if (!('customerId' in recorded)) throw new Error('The test key reads customers');
  return recorded.customerId;
}

function invoiceQuery(index: number, overrides: Partial<InvoiceQueryEvent> = {}): InvoiceQueryEvent {
  return {
    queryId: `Q-${index}`,
    accountId: `ACC-EX-${index}`,
    invoiceNumber: `INV-EX-${index}`,
    status: 'open',
    reason: 'Charged twice',
    amount: 120,
    currency: 'GBP',
    changedAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    ...overrides,
  };
}

describe('examples/email-log.ts', () => {
  it('logs a message in and the reply out on one customer, each once however often it is handed over', async () => {
    const client = await emailGateway();
    const address = uniqueEmail('mail');
    const inbound = {
      direction: 'inbound' as const,
      messageId: `<in-${address}>`,
      from: address,
      to: ['support@example.com'],
      subject: 'Where is my refund?',
      sentAt: '2026-11-30T09:00:00Z',
    };

    const first = await logEmail(client, inbound);
    const redelivered = await logEmail(client, inbound);
    const reply = await logEmail(client, {
      direction: 'outbound',
      messageId: `<out-${address}>`,
      from: 'support@example.com',
      to: [address],
      subject: 'Re: Where is my refund?',
      sentAt: '2026-11-30T10:00:00Z',
    });
    const history = first.customerId ? await emailHistory(client, first.customerId) : [];

    expect(first.replayed).toBe(false);
    expect(redelivered).toEqual({ ...first, replayed: true });
    expect(reply.customerId).toBe(first.customerId);
    expect(history).toEqual([
      { subject: 'Re: Where is my refund?', direction: 'outbound' },
      { subject: 'Where is my refund?', direction: 'inbound' },
    ]);
  });
});

describe('examples/nightly-invoice-queries.ts', () => {
  it('records a night of 101 invoice queries in two batches, and a rerun stores nothing twice', async () => {
    const client = await billing();
    const events = Array.from({ length: 101 }, (_, index) => invoiceQuery(1000 + index));

    const night = await sendNightlyBatch(client, 'billing-nightly-2026-11-30', events);
    const rerun = await sendNightlyBatch(client, 'billing-nightly-2026-11-30', events);
    const byHand = await sendNightlyBatch(client, 'billing-rerun-by-hand', events);
    const sample = await client.lookup({ accountId: 'ACC-EX-1100' });
    const sampleTimeline = [];
    if (sample.kind === 'found') for await (const touchpoint of client.timeline(sample.customer.customer.customerId)) sampleTimeline.push(touchpoint);

    expect(night).toEqual({ recorded: 101, alreadyRecorded: 0, accepted: 0, failed: [] });
    expect(rerun).toEqual({ recorded: 0, alreadyRecorded: 101, accepted: 0, failed: [] });
    expect(byHand).toEqual({ recorded: 0, alreadyRecorded: 101, accepted: 0, failed: [] });
    expect(sampleTimeline.map((touchpoint) => touchpoint.channel)).toEqual(['invoice_query']);
  });

  it('reports an item the API refuses and records the rest of its batch', async () => {
    const client = await billing();
    const events = [invoiceQuery(2000), invoiceQuery(2001, { changedAt: '2026-11-30T10:00:00' }), invoiceQuery(2002)];

    const report = await sendNightlyBatch(client, 'billing-nightly-bad-row', events);

    expect(report.recorded).toBe(2);
    expect(report.failed).toEqual([{ queryId: 'Q-2001', status: 422, detail: expect.any(String) }]);
  });
});

describe('examples/screen-pop.ts', () => {
  it("pops a known caller's card: tier, open invoice queries, whether we may call, the latest touchpoints", async () => {
    const phone = uniquePhone();
    const customerId = await signUp({ phone, accountId: 'ACC-POP-1' });
    await sendNightlyBatch(await billing(), 'billing-pop', [invoiceQuery(1, { accountId: 'ACC-POP-1', invoiceNumber: 'INV-POP-1', queryId: 'Q-POP-1' })]);
    const agent = await callCentre();

    const pop = await screenPop(agent, phone);

    expect(pop).toMatchObject({
      kind: 'known',
      customerId,
      mayCall: true,
      openInvoiceQueries: [{ invoiceNumber: 'INV-POP-1', amount: '120 GBP', ageDays: 2 }],
    });
    expect(pop.kind === 'known' && pop.recent.map((touchpoint) => touchpoint.channel)).toEqual(['web_visit', 'invoice_query']);
  });

  it('records the call after it, and shows it on the next pop; a do-not-call shows as mayCall false', async () => {
    const phone = uniquePhone();
    const customerId = await signUp({ phone });
    const agent = await callCentre();

    await recordCall(agent, { phone, callId: `call-${phone}`, durationSeconds: 240, agentId: 'agent-7', summary: 'Asked about a refund' });
    await unwrap(
      stack.client().PUT('/v1/customers/{customerId}/preferences', {
        params: { path: { customerId } },
        body: { channels: { phone: 'opted_out' }, preferredChannel: null, quietHours: null, receivedVia: 'call' },
      }),
    );
    const pop = await screenPop(agent, phone);

    // The preference change is itself recorded (on the channel it came by), so the call is among the latest, not first.
    expect(pop.kind === 'known' && pop.recent).toContainEqual(expect.objectContaining({ channel: 'call', summary: 'Asked about a refund' }));
    expect(pop.kind === 'known' && pop.mayCall).toBe(false);
  });

  it('lists the customers sharing a household number instead of guessing, and says so for a new caller', async () => {
    const phone = uniquePhone();
    const caller = await signUp({ phone });
    const partner = await signUp({ email: uniqueEmail('partner') });
    await unwrap(
      stack.client().POST('/v1/customers/{customerId}/identifiers', {
        params: { path: { customerId: partner } },
        body: { type: 'phone', value: phone, shared: true },
      }),
    );
    const agent = await callCentre();

    const shared = await screenPop(agent, phone);
    const unknown = await screenPop(agent, uniquePhone());

    expect(shared.kind).toBe('shared-number');
    expect(shared.kind === 'shared-number' && shared.candidates.map((candidate) => candidate.customerId).sort()).toEqual([caller, partner].sort());
    expect(unknown).toEqual({ kind: 'new-caller' });
  });
});
