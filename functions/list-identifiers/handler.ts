import { byStrength } from '../../shared/domain/identifiers.ts';
import { listIdentifiers } from '../../shared/domain/identity-history.ts';
import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';

/** "Why is this phone number on this customer?": every identifier with the touchpoint, system, rule or person that attached it. */
export async function listIdentifiersRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  reads.reading(customerId);
  const profile = await listIdentifiers(customerStore(), customerId);
  return {
    response: {
      statusCode: 200,
      body: {
        customerId,
        ...(profile.mergedInto ? { mergedInto: profile.mergedInto } : {}),
        identifiers: [...profile.identifiers]
          .sort(byStrength)
          .map(({ type, value, shared, provenance }) => ({ type, value, shared: shared ?? false, provenance })),
      },
    },
    customersShown: [customerId],
  };
}

export const handler = apiHandler(auditedRoute('list-identifiers', accessLogStore, listIdentifiersRoute));
