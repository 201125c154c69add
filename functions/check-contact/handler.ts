import { checkContact } from '../../shared/domain/manage-customers.ts';
import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema, contactCheckQuerySchema } from '../../shared/schemas/customer.ts';
import { emailSchema, phoneSchema } from '../../shared/schemas/identifiers.ts';
import type { Identifier } from '../../shared/domain/identifiers.ts';

export async function checkContactRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(contactCheckQuerySchema, event.queryStringParameters ?? {}, 'query');
  reads.reading(customerId);
  const at = query.at ? new Date(query.at) : new Date();
  const decision = await checkContact(customerStore(), customerId, {
    channel: query.channel,
    at,
    purpose: query.purpose,
    ...(query.to ? { to: addressOf(query.to) } : {}),
  });
  return {
    response: {
      statusCode: 200,
      body: { customerId, channel: query.channel, purpose: query.purpose, at: at.toISOString(), ...decision },
    },
    // The answer about an id nobody has shows no one's data.
    customersShown: decision.reasons.includes('unknown_customer') ? [] : [customerId],
  };
}

/** `to` is a phone number or an email address, told apart by the `@`. */
function addressOf(to: string): Identifier {
  return to.includes('@') ? { type: 'email', value: parseWith(emailSchema, to, 'query.to') } : { type: 'phone', value: parseWith(phoneSchema, to, 'query.to') };
}

export const handler = apiHandler(auditedRoute('contact-check', accessLogStore, checkContactRoute), { takesQuery: true });
