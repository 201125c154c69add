import * as z from '../../schemas/zod.ts';
import { decideContact } from '../../domain/contact-policy.ts';
import { cardView } from '../../domain/card-view.ts';
import type { LookupResult } from '../../domain/read-customers.ts';
import { phoneSchema } from '../../schemas/identifiers.ts';

/**
 * The event of a contact flow's "Invoke AWS Lambda function" block (AWS: "Grant Amazon Connect
 * access to your AWS Lambda functions"). Only what the lookup reads is checked; Connect adds
 * fields over time, so the rest passes through.
 */
export const contactFlowEventSchema = z.looseObject({
  Name: z.literal('ContactFlowEvent'),
  Details: z.looseObject({
    ContactData: z.looseObject({
      ContactId: z.string().check(z.minLength(1), z.maxLength(256)),
      InstanceARN: z.string().check(z.minLength(1), z.maxLength(2048)),
      Channel: z.optional(z.string()),
      // Null or absent for a withheld number (and for chat contacts without a phone).
      CustomerEndpoint: z.nullish(z.looseObject({ Address: z.nullish(z.string().check(z.maxLength(256))), Type: z.nullish(z.string()) })),
    }),
    Parameters: z.optional(z.record(z.string(), z.unknown())),
  }),
});

export type ContactFlowEvent = z.infer<typeof contactFlowEventSchema>;

/**
 * The flat string map a contact flow reads as `$.External.<key>`: Connect refuses nested values,
 * so every value is a string, and every key is always there (a flow branches on `found` without
 * checking that the others exist).
 */
export type LookupAnswer = Record<
  'found' | 'ambiguous' | 'customerId' | 'displayName' | 'valueTier' | 'openInvoiceQueries' | 'doNotContact' | 'consoleUrl',
  string
>;

/** The caller's number in E.164, or undefined when it was withheld or is not a phone number. */
export function callerNumber(event: ContactFlowEvent): string | undefined {
  const endpoint = event.Details.ContactData.CustomerEndpoint;
  if (!endpoint?.Address || (endpoint.Type && endpoint.Type !== 'TELEPHONE_NUMBER')) return undefined;
  const parsed = phoneSchema.safeParse(endpoint.Address);
  return parsed.success ? parsed.data : undefined;
}

const unknownCaller: LookupAnswer = {
  found: 'false',
  ambiguous: 'false',
  customerId: '',
  displayName: '',
  valueTier: '',
  openInvoiceQueries: '0',
  doNotContact: 'false',
  consoleUrl: '',
};

/** The screen pop opens the console on the caller's number: a shared number shows its candidates there. */
function screenPopUrl(consoleUrl: string, phone: string): string {
  const url = new URL(consoleUrl);
  url.searchParams.set('phone', phone);
  return url.toString();
}

/**
 * The answer for a caller: unknown (or withheld), shared by several customers (the agent chooses in
 * the console), or one customer with the card's headline facts. "Do not contact" is the phone
 * channel's opt-out, of the customer or of this very number: what an agent must know before offering
 * a call back. Quiet hours are left out: the customer is the one calling.
 */
export function lookupAnswer(phone: string | undefined, result: LookupResult | undefined, options: { consoleUrl: string; now: Date }): LookupAnswer {
  if (phone === undefined || result === undefined) return unknownCaller;
  const consoleUrl = screenPopUrl(options.consoleUrl, phone);
  if (result.kind === 'ambiguous') return { ...unknownCaller, found: 'true', ambiguous: 'true', consoleUrl };
  const { customer } = result.view;
  const card = cardView(customer, options.now);
  const phoneDecision = decideContact(customer, {
    channel: 'phone',
    purpose: 'service',
    at: options.now,
    to: { type: 'phone', value: phone },
  });
  const optedOut = phoneDecision.reasons.some((reason) => reason === 'opted_out' || reason === 'identifier_opted_out');
  return {
    found: 'true',
    ambiguous: 'false',
    customerId: customer.customerId,
    displayName: customer.displayName ?? '',
    valueTier: card.valueTier.name,
    openInvoiceQueries: String(card.openInvoiceQueries.length),
    doNotContact: String(optedOut),
    consoleUrl,
  };
}
