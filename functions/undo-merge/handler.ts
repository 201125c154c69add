import { undoMerge } from '../../shared/domain/undo-merge.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { actorOf } from '../../shared/http/actor.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { mergeIdSchema, undoRequestSchema } from '../../shared/schemas/identity.ts';

export async function undoMergeRoute(event: ApiEvent): Promise<ApiResponse> {
  const mergeId = parseWith(mergeIdSchema, event.pathParameters?.mergeId, 'path.mergeId');
  const body = parseWith(undoRequestSchema, event.body ?? {});
  const record = await undoMerge(customerStore(), mergeId, actorOf(event, body.requestedBy), new Date());
  return { statusCode: 200, body: record };
}

export const handler = apiHandler(undoMergeRoute, { jsonBody: 'optional' });
