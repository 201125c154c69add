import type { PendingCallStore } from '../../domain/pending-calls.ts';
import { connectorClient, recordConnectorTouchpoint } from '../connector-request.ts';
import { type CtiEvent, callTouchpoint, factsOf, settleCall } from './call-events.ts';

export type CallEventReceipt = { recorded: false } | { recorded: true; touchpointId: string };

/**
 * Notes one verified event on the call's pending record; the hangup settles the call once and
 * records its one call touchpoint through the ingest, keyed on the call id. A redelivered hangup is
 * a replay of the first; an event arriving after the hangup is kept and changes nothing.
 */
export async function recordCallEvent(store: PendingCallStore, system: string, event: CtiEvent, phone: string, receivedAt: Date): Promise<CallEventReceipt> {
  const call = { system, callId: event.callId };
  const seen = await store.note(call, event.event, factsOf(event), receivedAt);
  if (event.event !== 'hangup' || !seen.hangup) return { recorded: false };
  const settled = seen.settled ?? (await store.settle(call, settleCall({ ...seen, hangup: seen.hangup }, event.direction)));
  const client = connectorClient(`cti-${system}`, ['call']);
  const answer = await recordConnectorTouchpoint(client, callTouchpoint(event, phone, settled), `call:${event.callId}`, receivedAt);
  return { recorded: true, touchpointId: answer.body.touchpointId };
}
