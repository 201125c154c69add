import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { candidatesQuerySchema } from '../../shared/schemas/identity.ts';

/** Conflicts the core recorded (two customers claiming one identifier), newest first, for staff to merge or dismiss. */
export async function listMergeCandidatesRoute(event: ApiEvent): Promise<ApiResponse> {
  const query = parseWith(candidatesQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await customerStore().listMergeCandidates({ limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
  return { statusCode: 200, body: page };
}

export const handler = apiHandler(listMergeCandidatesRoute, { readAudit: { operation: 'list-merge-candidates' } });
