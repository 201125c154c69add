import { connectorSetting } from '../../shared/connectors/connector-config.ts';
import { connectorClient, parseJsonBody, rawBodyOf, recordConnectorTouchpoint, unverified } from '../../shared/connectors/connector-request.ts';
import {
  callOf,
  isWriteKey,
  type SegmentMessage,
  segmentMessageSchema,
  segmentRequestSchema,
  webVisitOf,
  writeKeyOf,
} from '../../shared/connectors/segment/tracking-api.ts';
import { IdempotencyConflictError, ValidationError } from '../../shared/domain/errors.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { HttpProblemError, problem } from '../../shared/http/problems.ts';
import { logger } from '../../shared/observability/logger.ts';

const segment = connectorClient('segment', ['web_visit']);

/**
 * A Segment-compatible tracking endpoint. As Segment does, it answers 200 `{"success": true}` for
 * every request it accepts, whatever it keeps of it: page calls become web visits (keyed on
 * messageId, so a client's retry is a replay); identify, track, alias, group and screen are
 * accepted and ignored. A message it cannot use (no user or anonymous id, a page without a URL) is
 * skipped; a request with no usable message at all is refused (400), as is invalid JSON.
 */
export async function receiveSegmentEventsRoute(event: ApiEvent): Promise<ApiResponse> {
  const receivedAt = new Date();
  const body = parseJsonBody(rawBodyOf(event));
  const request = segmentRequestSchema.safeParse(body);
  if (!request.success) throw badRequest('The body is not a Tracking API request.');
  if (!isWriteKey(writeKeyOf(request.data, header(event, 'authorization')), connectorSetting('segmentWriteKey'))) {
    throw unverified('segment', 'write key');
  }
  const call = callOf(event.pathParameters?.call);
  if (!call) throw new HttpProblemError(problem(404, 'not-found', 'Not found', 'No such Tracking API call.'));
  const raw = call === 'batch' ? (request.data.batch ?? []) : [{ ...request.data, type: call }];
  const messages = raw.flatMap((item) => {
    const parsed = segmentMessageSchema.safeParse(item);
    return parsed.success && parsed.data.type ? [parsed.data] : [];
  });
  if (messages.length === 0) throw badRequest('No message of the request has a type and a userId or anonymousId.');
  let skipped = raw.length - messages.length;
  for (const message of messages) {
    if (!(await recordPage(message, receivedAt))) skipped += message.type === 'page' ? 1 : 0;
  }
  if (skipped > 0) logger.info('Segment messages skipped', { skipped, received: raw.length });
  return { statusCode: 200, body: { success: true } };
}

/** Whether the message was a page that is now recorded (or replayed). */
async function recordPage(message: SegmentMessage, receivedAt: Date): Promise<boolean> {
  const visit = message.type === 'page' ? webVisitOf(message) : undefined;
  if (!visit) return false;
  try {
    await recordConnectorTouchpoint(segment, visit, message.messageId, receivedAt);
    return true;
  } catch (error) {
    // One message refused (an invalid URL, a reused messageId) leaves the rest of the batch standing.
    if (error instanceof ValidationError || error instanceof IdempotencyConflictError) return false;
    throw error;
  }
}

function badRequest(detail: string): HttpProblemError {
  return new HttpProblemError(problem(400, 'invalid-request', 'Invalid request', detail));
}

export const handler = apiHandler(receiveSegmentEventsRoute, { takesQuery: true });
