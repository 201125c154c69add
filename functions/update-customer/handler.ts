import { updateCustomerProfile } from '../../shared/domain/manage-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { cardView } from '../../shared/domain/card-view.ts';
import { customerPathSchema, updateCustomerSchema } from '../../shared/schemas/customer.ts';

export async function updateCustomerRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const changes = parseWith(updateCustomerSchema, event.body);
  const customer = await updateCustomerProfile(customerStore(), customerId, changes);
  return { statusCode: 200, body: { customerId, card: cardView(customer, new Date()) } };
}

export const handler = apiHandler(updateCustomerRoute, { jsonBody: true });
