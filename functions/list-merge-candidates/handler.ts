import { listMergeCandidates } from '../../shared/domain/merge-candidates.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';
import { type AuditedAnswer, auditedRoute } from '../../shared/privacy/read-audit.ts';
import { candidatesQuerySchema } from '../../shared/schemas/identity.ts';

/** Conflicts the core recorded (two customers claiming one identifier), newest first, for staff to merge or dismiss. */
export async function listMergeCandidatesRoute(event: ApiEvent): Promise<AuditedAnswer> {
  const query = parseWith(candidatesQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await listMergeCandidates(customerStore(), { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
  return { response: { statusCode: 200, body: page }, customersShown: page.items.flatMap((candidate) => candidate.customerIds) };
}

export const handler = apiHandler(auditedRoute('list-merge-candidates', accessLogStore, listMergeCandidatesRoute), { takesQuery: true });
