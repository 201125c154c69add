import { lookupCustomer } from '../../shared/domain/read-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { presentCustomerView } from '../../shared/http/presenters.ts';
import { parseWith } from '../../shared/http/validation.ts';
import type { Identifier } from '../../shared/domain/identifiers.ts';
import { lookupQuerySchema } from '../../shared/schemas/customer.ts';

export async function lookupCustomerRoute(event: ApiEvent): Promise<ApiResponse> {
  const query = parseWith(lookupQuerySchema, event.queryStringParameters ?? {}, 'query');
  const [type, value] = Object.entries(query).find(([, given]) => given !== undefined) as [Identifier['type'], string];
  const result = await lookupCustomer(customerStore(), { type, value });
  if (result.kind === 'ambiguous') {
    return {
      statusCode: 300,
      body: {
        detail: `This ${type} is shared by several customers; choose one.`,
        candidates: result.candidates,
      },
    };
  }
  return { statusCode: 200, body: presentCustomerView(result.view) };
}

export const handler = apiHandler(lookupCustomerRoute, { readAudit: { operation: 'lookup' } });
