import { listMerges } from '../../shared/domain/identity.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';

export async function listMergesRoute(event: ApiEvent): Promise<ApiResponse> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  const items = await listMerges(customerStore(), customerId);
  return { statusCode: 200, body: { customerId, items: items.map(({ targetBefore: _restoredOnUndo, ...record }) => record) } };
}

export const handler = apiHandler(listMergesRoute, { readAudit: { operation: 'list-merges' } });
