import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { getCustomer } from '../../shared/domain/read-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { presentCustomerView } from '../../shared/http/presenters.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';

export async function getCustomerRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const view = await getCustomer(customerStore(), customerId, reads);
  return { response: { statusCode: 200, body: presentCustomerView(view) }, customersShown: [view.customer.customerId] };
}

export const handler = apiHandler(auditedRoute('get-customer', accessLogStore, getCustomerRoute));
