import { byStrength } from '../../shared/domain/identifiers.ts';
import { listIdentifiers } from '../../shared/domain/identity.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';

/** "Why is this phone number on this customer?": every identifier with the touchpoint, system, rule or person that attached it. */
export async function listIdentifiersRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const profile = await listIdentifiers(customerStore(), customerId);
  return {
    statusCode: 200,
    body: {
      customerId,
      ...(profile.mergedInto ? { mergedInto: profile.mergedInto } : {}),
      identifiers: [...profile.identifiers]
        .sort(byStrength)
        .map(({ type, value, shared, provenance }) => ({ type, value, shared: shared ?? false, provenance })),
    },
  };
}

export const handler = apiHandler(listIdentifiersRoute, { readAudit: { operation: 'list-identifiers' } });
