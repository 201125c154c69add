import { getCustomer } from '../../shared/domain/read-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { presentCustomerView } from '../../shared/http/presenters.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';

export async function getCustomerRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const view = await getCustomer(customerStore(), customerId);
  return { statusCode: 200, body: presentCustomerView(view) };
}

export const handler = apiHandler(getCustomerRoute, { readAudit: { operation: 'get-customer' } });
