import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { lookupCustomer } from '../../shared/domain/read-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { presentCustomerView } from '../../shared/http/presenters.ts';
import { parseWith } from '../../shared/http/validation.ts';
import type { Identifier } from '../../shared/domain/identifiers.ts';
import { lookupQuerySchema } from '../../shared/schemas/identifier-requests.ts';

export async function lookupCustomerRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const query = parseWith(lookupQuerySchema, event.queryStringParameters ?? {}, 'query');
  const [type, value] = Object.entries(query).find(([, given]) => given !== undefined) as [Identifier['type'], string];
  const result = await lookupCustomer(customerStore(), { type, value }, reads);
  if (result.kind === 'ambiguous') {
    return {
      response: {
        statusCode: 300,
        body: {
          detail: `This ${type} is shared by several customers; choose one.`,
          candidates: result.candidates,
        },
      },
      customersShown: result.candidates.map((candidate) => candidate.customerId),
    };
  }
  return { response: { statusCode: 200, body: presentCustomerView(result.view) }, customersShown: [result.view.customer.customerId] };
}

export const handler = apiHandler(auditedRoute('lookup', accessLogStore, lookupCustomerRoute), { takesQuery: true });
