import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { getTimeline } from '../../shared/domain/read-customers.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema, timelineQuerySchema } from '../../shared/schemas/customer.ts';

export async function getTimelineRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseWith(timelineQuerySchema, event.queryStringParameters ?? {}, 'query');
  reads.reading(customerId);
  const page = await getTimeline(customerStore(), customerId, {
    limit: query.limit,
    ...(query.channel ? { channels: query.channel } : {}),
    ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  // Each touchpoint shown is the data of the customer holding it (the survivor, or one a merge is still moving).
  const customersShown = new Set(page.items.map((touchpoint) => touchpoint.customerId));
  if (page.customerId) customersShown.add(page.customerId);
  return { response: { statusCode: 200, body: page }, customersShown };
}

export const handler = apiHandler(auditedRoute('timeline', accessLogStore, getTimelineRoute), { takesQuery: true });
