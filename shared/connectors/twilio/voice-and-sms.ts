import * as z from '../../schemas/zod.ts';
import { phoneSchema } from '../../schemas/identifiers.ts';

/**
 * Twilio's voice status callback and incoming message webhook parameters (form-encoded), as
 * Twilio's "TwiML Voice: status callbacks" and "Messaging webhooks" pages list them. Only what is
 * mapped is checked; Twilio sends many more (caller city, SIP headers, media URLs).
 */
const sid = (prefix: string) => z.string().check(z.regex(new RegExp(`^${prefix}[0-9a-f]{32}$`)));

export const callStatusSchema = z.looseObject({
  CallSid: sid('CA'),
  AccountSid: sid('AC'),
  From: z.string().check(z.maxLength(200)),
  To: z.string().check(z.maxLength(200)),
  CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'canceled', 'failed']),
  Direction: z.string().check(z.maxLength(50)),
  CallDuration: z.optional(z.string().check(z.regex(/^\d{1,6}$/))),
  Timestamp: z.optional(z.string().check(z.maxLength(100))),
});

export const incomingMessageSchema = z.looseObject({
  MessageSid: z.string().check(z.regex(/^(SM|MM)[0-9a-f]{32}$/)),
  AccountSid: sid('AC'),
  From: z.string().check(z.maxLength(200)),
  To: z.string().check(z.maxLength(200)),
  Body: z._default(z.string().check(z.maxLength(1600)), ''),
  NumMedia: z.optional(z.string().check(z.regex(/^\d{1,3}$/))),
});

export type CallStatus = z.infer<typeof callStatusSchema>;
export type IncomingMessage = z.infer<typeof incomingMessageSchema>;

const finalStatuses = new Set(['completed', 'busy', 'no-answer', 'canceled', 'failed']);

/** Status callbacks before the end (initiated, ringing, answered) say nothing a call touchpoint keeps. */
export function isFinal(callback: CallStatus): boolean {
  return finalStatuses.has(callback.CallStatus);
}

/** Twilio's `inbound`; `outbound-api` and `outbound-dial` are calls we placed. */
export function directionOf(callback: Pick<CallStatus, 'Direction'>): 'inbound' | 'outbound' {
  return callback.Direction === 'inbound' ? 'inbound' : 'outbound';
}

function outcomeOf(callback: CallStatus): 'answered' | 'missed' | 'abandoned' {
  if (callback.CallStatus === 'completed') return 'answered';
  // An inbound call cancelled before anyone answered is the caller giving up.
  if (callback.CallStatus === 'canceled' && directionOf(callback) === 'inbound') return 'abandoned';
  return 'missed';
}

/** The touchpoint of a call's final status; the customer is the far end: the caller, or whom we called. */
export function callTouchpoint(callback: CallStatus, receivedAt: Date): Record<string, unknown> {
  const direction = directionOf(callback);
  const durationSeconds = Number(callback.CallDuration ?? '0');
  const endedAt = callback.Timestamp ? new Date(callback.Timestamp) : receivedAt;
  const startedAt = new Date((Number.isNaN(endedAt.getTime()) ? receivedAt : endedAt).getTime() - durationSeconds * 1000);
  return {
    channel: 'call',
    identifiers: { phone: direction === 'inbound' ? callback.From : callback.To },
    occurredAt: startedAt.toISOString(),
    summary: `${direction === 'inbound' ? 'Inbound' : 'Outbound'} call, ${callback.CallStatus}`,
    details: { direction, durationSeconds, outcome: outcomeOf(callback), callId: callback.CallSid },
  };
}

/** Our number may be a short code or an alphanumeric sender, which the sms details cannot hold: it is left out then. */
export function smsTouchpoint(message: IncomingMessage): Record<string, unknown> {
  const media = Number(message.NumMedia ?? '0');
  const to = phoneSchema.safeParse(message.To);
  return {
    channel: 'sms',
    identifiers: { phone: message.From },
    summary: media > 0 ? `Inbound message with ${media} attachment(s)` : 'Inbound message',
    details: { direction: 'inbound', messageId: message.MessageSid, body: message.Body, from: message.From, ...(to.success ? { to: to.data } : {}) },
  };
}
