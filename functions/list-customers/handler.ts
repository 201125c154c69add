import { cardView } from '../../shared/domain/card-view.ts';
import { listCustomersByTier } from '../../shared/domain/manage-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { listCustomersQuerySchema } from '../../shared/schemas/customer.ts';

export async function listCustomersRoute(event: ApiEvent): Promise<AuditedAnswer> {
  const query = parseWith(listCustomersQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await listCustomersByTier(customerStore(), query.tier, {
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  const now = new Date();
  return {
    response: {
      statusCode: 200,
      body: {
        items: page.items.map((customer) => ({ customerId: customer.customerId, card: cardView(customer, now) })),
        nextCursor: page.nextCursor,
      },
    },
    customersShown: page.items.map((customer) => customer.customerId),
  };
}

export const handler = apiHandler(auditedRoute('list-customers', accessLogStore, listCustomersRoute), { takesQuery: true });
