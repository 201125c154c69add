/**
 * Email: the mail system logs every message in and out on the customer's timeline. The message's
 * RFC 5322 Message-ID is the Idempotency-Key, so a message the mail system hands over twice
 * (a redelivered notification, a retry after a timeout) is stored once.
 *
 *   TOUCHPOINT_API_URL=http://localhost:3000 TOUCHPOINT_API_KEY=tpk_... npx tsx examples/email-log.ts
 */
import { createTouchpointClient, type TouchpointClient, unwrap } from '../src/index.js';
import { isMain, requiredEnv } from './run.js';

export interface MailMessage {
  direction: 'inbound' | 'outbound';
  messageId: string;
  threadId?: string;
  from: string;
  to: string[];
  subject: string;
  sentAt: string;
}

/** What a key holding customers:read learns; a write-only key learns only the touchpoint id (202). */
export type LoggedMessage =
  | {
      touchpointId: string;
      customerId: string;
      /** True when this message had been logged before (nothing new was stored). */
      replayed: boolean;
    }
  | { touchpointId: string; customerId: null; replayed: null };

/** The customer's address is the sender of an inbound message and the first recipient of an outbound one. */
export async function logEmail(client: TouchpointClient, message: MailMessage): Promise<LoggedMessage> {
  const customerAddress = message.direction === 'inbound' ? message.from : message.to[0];
  if (!customerAddress) throw new Error(`Message ${message.messageId} has no recipient`);
  const logged = await unwrap(
    client.POST('/v1/touchpoints', {
      params: { header: { 'idempotency-key': message.messageId } },
      body: {
        channel: 'email',
        occurredAt: message.sentAt,
        identifiers: { email: customerAddress },
        summary: message.subject,
        details: {
          direction: message.direction,
          messageId: message.messageId,
          subject: message.subject,
          from: message.from,
          to: message.to,
          ...(message.threadId ? { threadId: message.threadId } : {}),
        },
      },
    }),
  );
  return 'customerId' in logged
    ? { touchpointId: logged.touchpointId, customerId: logged.customerId, replayed: logged.replayed }
    : { touchpointId: logged.touchpointId, customerId: null, replayed: null };
}

/** The conversation with one customer by email, newest first: what an agent reads before replying. */
export async function emailHistory(client: TouchpointClient, customerId: string): Promise<{ subject: string; direction: string }[]> {
  const history: { subject: string; direction: string }[] = [];
  for await (const touchpoint of client.timeline(customerId, { channel: 'email' })) {
    history.push({ subject: String(touchpoint.details.subject), direction: String(touchpoint.details.direction) });
  }
  return history;
}

if (isMain(import.meta.url)) {
  const client = createTouchpointClient({ baseUrl: requiredEnv('TOUCHPOINT_API_URL'), apiKey: requiredEnv('TOUCHPOINT_API_KEY') });
  const now = new Date().toISOString();
  const inbound = await logEmail(client, {
    direction: 'inbound',
    messageId: `<${Date.now()}@mail.example.com>`,
    from: 'ada@example.com',
    to: ['support@example.com'],
    subject: 'Where is my refund?',
    sentAt: now,
  });
  console.log(inbound, inbound.customerId ? await emailHistory(client, inbound.customerId) : []);
}
