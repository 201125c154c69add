import { getTimeline } from '../../shared/domain/read-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema, timelineQuerySchema } from '../../shared/schemas/customer.ts';

export async function getTimelineRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(timelineQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await getTimeline(customerStore(), customerId, {
    limit: query.limit,
    ...(query.channel ? { channels: query.channel } : {}),
    ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return { statusCode: 200, body: page };
}

export const handler = apiHandler(getTimelineRoute, { readAudit: { operation: 'timeline' } });
