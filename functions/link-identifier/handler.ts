import { linkIdentifier } from '../../shared/domain/link-identifier.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { actorOf } from '../../shared/http/actor.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { linkIdentifierSchema } from '../../shared/schemas/identifier-requests.ts';

export async function linkIdentifierRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const body = parseWith(linkIdentifierSchema, event.body);
  const attached = await linkIdentifier(
    customerStore(),
    { customerId, identifier: { type: body.type, value: body.value }, shared: body.shared, actor: actorOf(event, body.requestedBy) },
    new Date(),
  );
  return { statusCode: 201, body: { customerId, ...attached, shared: body.shared } };
}

export const handler = apiHandler(linkIdentifierRoute, { jsonBody: true });
