import * as z from '../../schemas/zod.ts';
import type { CallEventFacts, CallOutcome, CallSeen, SettledCall } from '../../domain/pending-calls.ts';
import { callEventKinds } from '../../domain/pending-calls.ts';
import { phoneSchema } from '../../schemas/identifiers.ts';

/**
 * The generic CTI webhook's event (docs/connectors.md, "Generic CTI webhook"): the shape small
 * telephony systems push per call event (sipgate.io's newCall / answer / hangup, Placetel's
 * IncomingCall / CallAccepted / HungUp), one JSON object per event. Fields beyond these pass.
 */
export const hangupCauses = ['normalClearing', 'busy', 'cancel', 'noAnswer', 'congestion', 'notFound', 'forwarded'] as const;

export const ctiEventSchema = z.looseObject({
  event: z.enum(callEventKinds),
  callId: z.string().check(z.regex(/^[\w.:@+-]{1,200}$/, 'must be 1-200 letters, digits or . : @ + - _')),
  direction: z.enum(['in', 'out']),
  from: z.string().check(z.minLength(1), z.maxLength(40)),
  to: z.string().check(z.minLength(1), z.maxLength(40)),
  timestamp: z.iso.datetime({ offset: true }),
  user: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
  queue: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
  cause: z.optional(z.enum(hangupCauses)),
});

export type CtiEvent = z.infer<typeof ctiEventSchema>;

/** The customer's end of the call: the caller of an inbound call, whom we called on an outbound one; undefined when it is no phone number (withheld, an extension). */
export function farEndOf(event: CtiEvent): string | undefined {
  const parsed = phoneSchema.safeParse(event.direction === 'in' ? event.from : event.to);
  return parsed.success ? parsed.data : undefined;
}

export function factsOf(event: CtiEvent): CallEventFacts {
  return {
    at: new Date(event.timestamp).toISOString(),
    ...(event.user ? { user: event.user } : {}),
    ...(event.queue ? { queue: event.queue } : {}),
    ...(event.cause ? { cause: event.cause } : {}),
  };
}

const seconds = (from: string, to: string) => Math.min(86_400, Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)));

function outcomeOf(seen: CallSeen, hangup: CallEventFacts, direction: CtiEvent['direction']): CallOutcome {
  if (seen.answer) return 'answered';
  switch (hangup.cause) {
    // Cleared normally: it was answered, and the answer event is late or was never sent.
    case 'normalClearing':
      return 'answered';
    case 'forwarded':
      return 'transferred';
    case 'cancel':
      return direction === 'in' ? 'abandoned' : 'missed';
    default:
      return 'missed';
  }
}

/**
 * The call as the events seen by its hangup tell it. Talk time runs from the answer to the hangup;
 * ringing from the start (newCall, else the first event seen) to the answer, or to the hangup of a
 * call nobody took. A call answered whose answer event has not arrived counts its whole length as
 * talk time: the closest figure the events allow.
 */
export function settleCall(seen: CallSeen & { hangup: CallEventFacts }, direction: CtiEvent['direction']): SettledCall {
  const { hangup, answer } = seen;
  const start = [seen.newCall?.at, answer?.at, hangup.at].filter((at): at is string => at !== undefined).sort()[0] ?? hangup.at;
  const outcome = outcomeOf(seen, hangup, direction);
  const agentId = answer?.user ?? hangup.user ?? seen.newCall?.user;
  const queue = seen.newCall?.queue ?? answer?.queue ?? hangup.queue;
  return {
    occurredAt: start,
    outcome,
    durationSeconds: answer ? seconds(answer.at, hangup.at) : outcome === 'answered' ? seconds(start, hangup.at) : 0,
    ringSeconds: answer ? seconds(start, answer.at) : outcome === 'answered' ? 0 : seconds(start, hangup.at),
    ...(agentId ? { agentId } : {}),
    ...(queue ? { queue } : {}),
  };
}

/** The one call touchpoint of a settled call; the numbers come from the hangup itself. */
export function callTouchpoint(hangup: CtiEvent, phone: string, settled: SettledCall): Record<string, unknown> {
  const direction = hangup.direction === 'in' ? 'inbound' : 'outbound';
  const ringing = settled.ringSeconds > 0 ? ` (rang ${settled.ringSeconds} s)` : '';
  return {
    channel: 'call',
    identifiers: { phone },
    occurredAt: settled.occurredAt,
    summary: `${direction === 'inbound' ? 'Inbound' : 'Outbound'} call, ${settled.outcome}${ringing}`,
    details: {
      direction,
      durationSeconds: settled.durationSeconds,
      outcome: settled.outcome,
      callId: hangup.callId,
      ...(settled.agentId ? { agentId: settled.agentId } : {}),
      ...(settled.queue ? { queue: settled.queue } : {}),
    },
  };
}
