import { mergeCustomers } from '../../shared/domain/merge-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { actorOf } from '../../shared/http/actor.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { mergeRequestSchema } from '../../shared/schemas/identity.ts';

export async function mergeCustomersRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const body = parseWith(mergeRequestSchema, event.body);
  const record = await mergeCustomers(
    customerStore(),
    { targetCustomerId: customerId, sourceCustomerId: body.sourceCustomerId, reason: body.reason, actor: actorOf(event, body.requestedBy) },
    new Date(),
  );
  return { statusCode: 201, body: record };
}

export const handler = apiHandler(mergeCustomersRoute, { jsonBody: true });
