import type { Context } from 'aws-lambda';
import { authenticatedClient } from '../../shared/auth/client.ts';
import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { eraseCustomer } from '../../shared/privacy/erase-customer.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { eraseQuerySchema } from '../../shared/schemas/privacy.ts';

/** Time kept back from the Lambda deadline for the last page's deletes and the answer. */
const safetyMarginMs = 3_000;

/** 200 when erased; 202 when the deadline came first and 503 when the store gave way (repeat the request to finish); 404 when unknown; 409 while an undo holds the customer. */
export async function eraseCustomerRoute(event: ApiEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const { suppress } = parseWith(eraseQuerySchema, event.queryStringParameters ?? {}, 'query');
  const client = authenticatedClient(event);
  const result = await eraseCustomer(privacyStore(), customerId, {
    suppress,
    actor: client.clientName,
    outOfTime: () => (context ? context.getRemainingTimeInMillis() < safetyMarginMs : false),
  });
  return { statusCode: result.status === 'erased' ? 200 : 202, body: result };
}

export const handler = apiHandler(eraseCustomerRoute, { takesQuery: true });
