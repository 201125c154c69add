import { NotFoundError } from '../../shared/domain/errors.ts';
import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { accessLogStore } from '../../shared/privacy/read-audit.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { accessLogQuerySchema } from '../../shared/schemas/privacy.ts';

/**
 * Who read the customer's data, newest first. Reading the log is not itself logged: it shows
 * clients and times, not the customer's data. An erased or unknown customer is a 404.
 */
export async function getAccessLogRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(accessLogQuerySchema, event.queryStringParameters ?? {}, 'query');
  const [page, profile] = await Promise.all([
    accessLogStore().list(customerId, { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) }),
    privacyStore().readProfile(customerId),
  ]);
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return {
    statusCode: 200,
    body: {
      customerId,
      items: page.items.map(({ customerId: _customerId, entryId: _entryId, ...entry }) => entry),
      nextCursor: page.nextCursor,
    },
  };
}

export const handler = apiHandler(getAccessLogRoute);
