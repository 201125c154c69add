/**
 * Call centre: the phone rings, the telephony system passes the caller's number, and the agent's
 * screen shows who is calling before they pick up. After the call, the call itself is recorded.
 *
 *   TOUCHPOINT_API_URL=http://localhost:3000 TOUCHPOINT_API_KEY=tpk_... npx tsx examples/screen-pop.ts '+44 20 7946 0018'
 */
import { createTouchpointClient, type TouchpointClient, unwrap } from '../src/index.js';
import { isMain, requiredEnv } from './run.js';

export interface RecentTouchpoint {
  channel: string;
  occurredAt: string;
  summary: string | null;
}

export type ScreenPop =
  | {
      kind: 'known';
      customerId: string;
      name: string | null;
      tier: string;
      openInvoiceQueries: { invoiceNumber: string; amount: string | null; ageDays: number }[];
      lastContact: string | null;
      /** False when the customer asked not to be called (or it is quiet hours for them). */
      mayCall: boolean;
      recent: RecentTouchpoint[];
    }
  | { kind: 'shared-number'; candidates: { customerId: string; name: string | null; lastContact: string | null }[] }
  | { kind: 'new-caller' };

export async function screenPop(client: TouchpointClient, phone: string): Promise<ScreenPop> {
  const found = await client.lookup({ phone });
  if (found.kind === 'not-found') return { kind: 'new-caller' };
  if (found.kind === 'candidates') {
    return {
      kind: 'shared-number',
      candidates: found.candidates.map((candidate) => ({
        customerId: candidate.customerId,
        name: candidate.displayName,
        lastContact: candidate.lastContact?.occurredAt ?? null,
      })),
    };
  }
  const { customer, card } = found.customer;
  const contact = await unwrap(
    client.GET('/v1/customers/{customerId}/contact-check', {
      params: { path: { customerId: customer.customerId }, query: { channel: 'phone', purpose: 'service' } },
    }),
  );
  const recent: RecentTouchpoint[] = [];
  // The newest five, whatever the page size: the iterator fetches the next page only if the loop asks.
  for await (const touchpoint of client.timeline(customer.customerId, { limit: 5 })) {
    recent.push({ channel: touchpoint.channel, occurredAt: touchpoint.occurredAt, summary: touchpoint.summary });
    if (recent.length === 5) break;
  }
  return {
    kind: 'known',
    customerId: customer.customerId,
    name: card.displayName,
    tier: card.valueTier.name,
    openInvoiceQueries: card.openInvoiceQueries.map((query) => ({
      invoiceNumber: query.invoiceNumber,
      amount: query.amount ? `${query.amount.value} ${query.amount.currency}` : null,
      ageDays: query.ageDays,
    })),
    lastContact: card.lastContact?.occurredAt ?? null,
    mayCall: contact.allowed,
    recent,
  };
}

/** After the call: the call on the customer's timeline (the phone number recognises them next time). */
export async function recordCall(
  client: TouchpointClient,
  call: { phone: string; callId: string; durationSeconds: number; agentId: string; summary: string },
): Promise<string> {
  const recorded = await unwrap(
    client.POST('/v1/touchpoints', {
      body: {
        channel: 'call',
        identifiers: { phone: call.phone },
        summary: call.summary,
        details: { direction: 'inbound', durationSeconds: call.durationSeconds, agentId: call.agentId, callId: call.callId, outcome: 'answered' },
      },
    }),
  );
  return recorded.touchpointId;
}

if (isMain(import.meta.url)) {
  const client = createTouchpointClient({ baseUrl: requiredEnv('TOUCHPOINT_API_URL'), apiKey: requiredEnv('TOUCHPOINT_API_KEY') });
  console.log(JSON.stringify(await screenPop(client, process.argv[2] ?? '+44 20 7946 0018'), null, 2));
}
