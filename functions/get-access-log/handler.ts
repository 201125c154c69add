import { accessLogStore, privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { readAccessLog } from '../../shared/privacy/access-log.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';
import { accessLogQuerySchema } from '../../shared/schemas/privacy.ts';

/** Who read the customer's data, newest first; not itself an audited read. */
export async function getAccessLogRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(accessLogQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await readAccessLog({ accessLog: accessLogStore(), privacy: privacyStore() }, customerId, {
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return {
    statusCode: 200,
    body: {
      customerId,
      items: page.items.map(({ customerId: _customerId, entryId: _entryId, ...entry }) => entry),
      nextCursor: page.nextCursor,
    },
  };
}

export const handler = apiHandler(getAccessLogRoute, { takesQuery: true });
