import { unlinkIdentifier } from '../../shared/domain/link-identifier.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { typedIdentifierSchema } from '../../shared/schemas/identifier-requests.ts';
import { identifierPathSchema } from '../../shared/schemas/identity.ts';

export async function unlinkIdentifierRoute(event: ApiEvent): Promise<ApiResponse> {
  const path = parseWith(identifierPathSchema, event.pathParameters ?? {}, 'path');
  const identifier = parseWith(typedIdentifierSchema, { type: path.type, value: path.value }, 'path');
  await unlinkIdentifier(customerStore(), path.customerId, identifier);
  return { statusCode: 204 };
}

export const handler = apiHandler(unlinkIdentifierRoute);
