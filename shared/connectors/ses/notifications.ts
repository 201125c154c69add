import * as z from '../../schemas/zod.ts';
import { emailSchema } from '../../schemas/identifiers.ts';

/**
 * Amazon SES notifications (the Message of an SNS notification) as touchpoints and contact
 * permission changes, in the shapes of SES's "Amazon SNS notification contents" (feedback
 * notifications name their kind `notificationType`, event publishing names it `eventType`) and of
 * the receipt rule's SNS action ("Received"). Only what is mapped is checked: SES reserves the
 * right to add fields.
 */
const address = z.string().check(z.minLength(3), z.maxLength(1000));
const timestamp = z.iso.datetime({ offset: true });

const mailSchema = z.looseObject({
  timestamp,
  messageId: z.string().check(z.minLength(1), z.maxLength(200)),
  source: address,
  destination: z._default(z.array(address).check(z.maxLength(1000)), []),
  commonHeaders: z.optional(
    z.looseObject({
      from: z.optional(z.array(address).check(z.maxLength(100))),
      subject: z.optional(z.string().check(z.maxLength(998))),
      messageId: z.optional(z.string().check(z.maxLength(998))),
    }),
  ),
});

const recipientsOf = z.array(z.looseObject({ emailAddress: address })).check(z.minLength(1), z.maxLength(1000));

const kinds = {
  Received: z.looseObject({ mail: mailSchema, receipt: z.looseObject({ timestamp, recipients: z.array(address).check(z.minLength(1), z.maxLength(1000)) }) }),
  Delivery: z.looseObject({ mail: mailSchema, delivery: z.looseObject({ timestamp, recipients: z.array(address).check(z.minLength(1), z.maxLength(1000)) }) }),
  Bounce: z.looseObject({
    mail: mailSchema,
    bounce: z.looseObject({
      bounceType: z.string().check(z.maxLength(50)),
      feedbackId: z.string().check(z.minLength(1), z.maxLength(200)),
      timestamp,
      bouncedRecipients: recipientsOf,
    }),
  }),
  Complaint: z.looseObject({
    mail: mailSchema,
    complaint: z.looseObject({
      feedbackId: z.string().check(z.minLength(1), z.maxLength(200)),
      timestamp,
      complainedRecipients: recipientsOf,
      complaintFeedbackType: z.optional(z.string().check(z.maxLength(50))),
    }),
  }),
};

export type SesKind = keyof typeof kinds;

/** What a notification changes about an address: a hard bounce makes it unreachable, a complaint takes it out of marketing. */
export type PermissionChange = 'email-bounced' | 'marketing-complaint';

export type SesEffect =
  | { kind: 'touchpoint'; key: string; touchpoint: Record<string, unknown> }
  | { kind: 'permission'; key: string; address: string; change: PermissionChange; at: string };

export type SesMapping = { kind: 'ignored'; type: string } | { kind: 'unmappable'; detail: string } | { kind: 'effects'; type: SesKind; effects: SesEffect[] };

/** `Jane Doe <jane@example.com>` or a bare address, normalised; undefined when it holds no valid address. */
export function addressOf(raw: string): string | undefined {
  const bracketed = /<([^<>]+)>\s*$/.exec(raw);
  const parsed = emailSchema.safeParse((bracketed?.[1] ?? raw).trim());
  return parsed.success ? parsed.data : undefined;
}

function addresses(raws: readonly string[]): string[] {
  return [...new Set(raws.map(addressOf).filter((value): value is string => value !== undefined))];
}

function instant(at: string): string {
  return new Date(at).toISOString();
}

type Mail = z.infer<typeof mailSchema>;

function emailDetails(mail: Mail, direction: 'inbound' | 'outbound', from: string, to: string[]) {
  return {
    direction,
    // The message's own Message-ID header where SES passed the headers on; SES's id otherwise.
    messageId: mail.commonHeaders?.messageId?.trim() || mail.messageId,
    subject: mail.commonHeaders?.subject ?? '',
    from,
    to: to.slice(0, 100),
  };
}

/**
 * Keys are SES's own ids (the message's id per recipient, the feedback's id per recipient), so an
 * SNS retry (the same MessageId) and a notification SES publishes twice (a new MessageId) are both
 * replays of the first.
 */
export function mapSesNotification(notification: unknown): SesMapping {
  const outline = z
    .looseObject({ notificationType: z.optional(z.string().check(z.maxLength(100))), eventType: z.optional(z.string().check(z.maxLength(100))) })
    .safeParse(notification);
  const type = outline.success ? (outline.data.notificationType ?? outline.data.eventType) : undefined;
  if (!type) return { kind: 'unmappable', detail: 'The SNS message is not an Amazon SES notification (no notificationType or eventType).' };
  switch (type) {
    case 'Received':
      return withParsed(type, kinds.Received.safeParse(notification), receivedEffects);
    case 'Delivery':
      return withParsed(type, kinds.Delivery.safeParse(notification), deliveryEffects);
    case 'Bounce':
      return withParsed(type, kinds.Bounce.safeParse(notification), ({ bounce }) =>
        // Transient and undetermined bounces (a full mailbox, an auto-reply) say nothing lasting about the address.
        bounce.bounceType === 'Permanent' ? permissionEffects(bounce.feedbackId, bounce.bouncedRecipients, 'email-bounced', instant(bounce.timestamp)) : [],
      );
    case 'Complaint':
      return withParsed(type, kinds.Complaint.safeParse(notification), ({ complaint }) =>
        // A feedback report of type "not-spam" withdraws a complaint rather than making one.
        complaint.complaintFeedbackType === 'not-spam'
          ? []
          : permissionEffects(complaint.feedbackId, complaint.complainedRecipients, 'marketing-complaint', instant(complaint.timestamp)),
      );
    default:
      return { kind: 'ignored', type };
  }
}

function withParsed<T>(type: SesKind, parsed: z.util.SafeParseResult<T>, effectsOf: (notification: T) => SesEffect[] | string): SesMapping {
  if (!parsed.success)
    return { kind: 'unmappable', detail: `The ${type} notification lacks what SES documents for it (${parsed.error.issues[0]?.path.join('.')}).` };
  const effects = effectsOf(parsed.data);
  return typeof effects === 'string' ? { kind: 'unmappable', detail: effects } : { kind: 'effects', type, effects };
}

function receivedEffects({ mail, receipt }: z.infer<typeof kinds.Received>): SesEffect[] | string {
  const from = addressOf(mail.commonHeaders?.from?.[0] ?? mail.source) ?? addressOf(mail.source);
  const to = addresses(receipt.recipients);
  if (!from || to.length === 0) return 'The received mail names no valid sender or recipient address.';
  const touchpoint = {
    channel: 'email',
    identifiers: { email: from },
    occurredAt: instant(receipt.timestamp),
    summary: 'Inbound email',
    details: emailDetails(mail, 'inbound', from, to),
  };
  return [{ kind: 'touchpoint', key: `received:${mail.messageId}`, touchpoint }];
}

function deliveryEffects({ mail, delivery }: z.infer<typeof kinds.Delivery>): SesEffect[] | string {
  const from = addressOf(mail.source);
  if (!from) return 'The delivered mail names no valid sender address.';
  return addresses(delivery.recipients).map((recipient) => ({
    kind: 'touchpoint',
    key: `delivery:${mail.messageId}:${recipient}`,
    touchpoint: {
      channel: 'email',
      identifiers: { email: recipient },
      occurredAt: instant(delivery.timestamp),
      summary: 'Outbound email delivered',
      details: emailDetails(mail, 'outbound', from, [recipient]),
    },
  }));
}

function permissionEffects(feedbackId: string, recipients: Array<{ emailAddress: string }>, change: PermissionChange, at: string): SesEffect[] {
  return addresses(recipients.map((recipient) => recipient.emailAddress)).map((recipient) => ({
    kind: 'permission',
    key: `${change}:${feedbackId}:${recipient}`,
    address: recipient,
    change,
    at,
  }));
}
