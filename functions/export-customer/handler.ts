import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { accessLogStore, privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { exportCustomer } from '../../shared/privacy/export-customer.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { exportQuerySchema } from '../../shared/schemas/privacy.ts';

export async function exportCustomerRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(exportQuerySchema, event.queryStringParameters ?? {}, 'query');
  reads.reading(customerId);
  const page = await exportCustomer(privacyStore(), customerId, {
    ...(query.cursor ? { cursor: query.cursor } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
  });
  // An export shows the whole person: every customer merged into it.
  return { response: { statusCode: 200, body: page, headers: { 'cache-control': 'no-store' } }, customersShown: page.customerIds };
}

export const handler = apiHandler(auditedRoute('export', accessLogStore, exportCustomerRoute), { takesQuery: true });
