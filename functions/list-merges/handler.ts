import { listMerges } from '../../shared/domain/identity-history.ts';
import type { ReadObserver } from '../../shared/domain/read-observer.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { customerPathSchema } from '../../shared/schemas/customer.ts';

export async function listMergesRoute(event: ApiEvent, reads: ReadObserver): Promise<AuditedAnswer> {
  const { customerId } = parseWith(customerPathSchema, event.pathParameters ?? {}, 'path');
  reads.reading(customerId);
  const items = await listMerges(customerStore(), customerId);
  return {
    response: { statusCode: 200, body: { customerId, items: items.map(({ targetBefore: _restoredOnUndo, ...record }) => record) } },
    customersShown: [customerId],
  };
}

export const handler = apiHandler(auditedRoute('list-merges', accessLogStore, listMergesRoute));
