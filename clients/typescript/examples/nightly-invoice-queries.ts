/**
 * Billing: every night the billing system sends the day's invoice queries (opened, progressed,
 * resolved), 100 to a request on the batch route. Running the job twice (a crash, a rerun by
 * hand) stores nothing twice: each query event carries its own idempotency key, and each batch
 * one made from the run and its position.
 *
 *   TOUCHPOINT_API_URL=http://localhost:3000 TOUCHPOINT_API_KEY=tpk_... npx tsx examples/nightly-invoice-queries.ts
 */
import { type components, createTouchpointClient, type TouchpointClient, unwrap } from '../src/index.js';
import { isMain, requiredEnv } from './run.js';

type TouchpointInput = components['schemas']['TouchpointInput'];

/** A row of the billing system's export. */
export interface InvoiceQueryEvent {
  queryId: string;
  accountId: string;
  invoiceNumber: string;
  status: 'open' | 'in_progress' | 'resolved';
  reason: string;
  amount: number;
  currency: string;
  /** When the query changed, with its offset. */
  changedAt: string;
}

export interface NightlyReport {
  recorded: number;
  /** Sent before (an earlier run): answered from the first time, stored once. */
  alreadyRecorded: number;
  /** A write-only key (no customers:read) is told only that the item was taken, new or not. */
  accepted: number;
  failed: { queryId: string; status: number; detail: string }[];
}

/** The batch route takes up to 100 touchpoints a request. */
const batchSize = 100;

export async function sendNightlyBatch(client: TouchpointClient, runId: string, events: InvoiceQueryEvent[]): Promise<NightlyReport> {
  const report: NightlyReport = { recorded: 0, alreadyRecorded: 0, accepted: 0, failed: [] };
  for (let start = 0; start < events.length; start += batchSize) {
    const chunk = events.slice(start, start + batchSize);
    const items: TouchpointInput[] = chunk.map((event) => ({
      channel: 'invoice_query',
      // One key per state of one query: the same event sent again is a replay, a new status a new touchpoint.
      idempotencyKey: `${event.queryId}:${event.status}:${event.changedAt}`,
      occurredAt: event.changedAt,
      identifiers: { accountId: event.accountId, invoiceNumber: event.invoiceNumber },
      summary: `Invoice ${event.invoiceNumber}: ${event.reason} (${event.status})`,
      details: {
        invoiceNumber: event.invoiceNumber,
        queryId: event.queryId,
        status: event.status,
        reason: event.reason,
        amount: { value: event.amount, currency: event.currency },
      },
    }));
    const { results } = await unwrap(
      client.POST('/v1/touchpoints/batch', {
        params: { header: { 'idempotency-key': `${runId}:${start / batchSize}` } },
        body: { items },
      }),
    );
    results.forEach((result, index) => {
      const event = chunk[index];
      if (!event) return;
      // Each item succeeds or fails alone: a problem names what was wrong with that one.
      if ('detail' in result) report.failed.push({ queryId: event.queryId, status: result.status, detail: result.detail });
      else if (result.status === 201) report.recorded += 1;
      else if (result.status === 200) report.alreadyRecorded += 1;
      else report.accepted += 1;
    });
  }
  return report;
}

if (isMain(import.meta.url)) {
  const client = createTouchpointClient({ baseUrl: requiredEnv('TOUCHPOINT_API_URL'), apiKey: requiredEnv('TOUCHPOINT_API_KEY') });
  const today = new Date().toISOString().slice(0, 10);
  const events: InvoiceQueryEvent[] = [
    {
      queryId: 'Q-1001',
      accountId: 'ACC-1001',
      invoiceNumber: 'INV-2026-1001',
      status: 'open',
      reason: 'Charged twice',
      amount: 120,
      currency: 'GBP',
      changedAt: new Date().toISOString(),
    },
  ];
  console.log(await sendNightlyBatch(client, `billing-nightly-${today}`, events));
}
