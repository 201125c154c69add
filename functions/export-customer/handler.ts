import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { exportCustomer } from '../../shared/privacy/export-customer.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { exportQuerySchema } from '../../shared/schemas/privacy.ts';

export async function exportCustomerRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(exportQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await exportCustomer(privacyStore(), customerId, {
    ...(query.cursor ? { cursor: query.cursor } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
  });
  return { statusCode: 200, body: page, headers: { 'cache-control': 'no-store' } };
}

export const handler = apiHandler(exportCustomerRoute, { readAudit: { operation: 'export' } });
