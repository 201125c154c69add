import { moveTouchpoint } from '../../shared/domain/move-touchpoint.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { actorOf } from '../../shared/http/actor.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { touchpointIdSchema } from '../../shared/schemas/common.ts';
import { moveTouchpointSchema } from '../../shared/schemas/identity.ts';

export async function moveTouchpointRoute(event: ApiEvent): Promise<ApiResponse> {
  const touchpointId = parseWith(touchpointIdSchema, event.pathParameters?.touchpointId, 'path.touchpointId');
  const body = parseWith(moveTouchpointSchema, event.body);
  const record = await moveTouchpoint(
    customerStore(),
    { touchpointId, customerId: body.customerId, reason: body.reason, actor: actorOf(event, body.requestedBy) },
    new Date(),
  );
  return { statusCode: 200, body: record };
}

export const handler = apiHandler(moveTouchpointRoute, { jsonBody: true });
