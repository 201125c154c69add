import { connectorSetting } from '../../shared/connectors/connector-config.ts';
import { connectorClient, parseJsonBody, rawBodyOf, recordConnectorTouchpoint, unverified } from '../../shared/connectors/connector-request.ts';
import { parseTrackEvents, trackEventsVariable, trackTouchpointOf } from '../../shared/connectors/segment/track-events.ts';
import {
  callOf,
  identifiersOf,
  isWriteKey,
  type SegmentMessage,
  segmentMessageSchema,
  segmentRequestSchema,
  webVisitOf,
  writeKeyOf,
} from '../../shared/connectors/segment/tracking-api.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { IdempotencyConflictError, ValidationError } from '../../shared/domain/errors.ts';
import { toIdentifierList } from '../../shared/domain/identifiers.ts';
import { joinAnonymousVisitor } from '../../shared/domain/join-anonymous-visitor.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';
import { HttpProblemError, problem } from '../../shared/http/problems.ts';
import { logger } from '../../shared/observability/logger.ts';
import { identifiersSchema } from '../../shared/schemas/identifiers.ts';

// Read once per cold start: a mapping that does not parse fails the function's start, loudly.
const trackEvents = parseTrackEvents(process.env[trackEventsVariable]);
const segment = connectorClient('segment', [...new Set(['web_visit' as const, ...Object.values(trackEvents).map((mapping) => mapping.channel)])]);

/**
 * A Segment-compatible tracking endpoint. As Segment does, it answers 200 `{"success": true}` for
 * every request it accepts, whatever it keeps of it: page calls become web visits and the track
 * events the configuration maps become their touchpoints (keyed on messageId, so a client's retry
 * is a replay); an identify joins the anonymous visitor to the customer its userId or email names;
 * other track events, alias, group and screen are accepted and ignored. A message it cannot use (no
 * user or anonymous id, a page without a URL) is skipped; a request with no usable message at all
 * is refused (400), as is invalid JSON.
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
    if (message.type === 'identify') await joinVisitor(message, receivedAt);
    else if ((await recordTouchpointOf(message, receivedAt)) === 'skipped') skipped += 1;
  }
  if (skipped > 0) logger.info('Segment messages skipped', { skipped, received: raw.length });
  return { statusCode: 200, body: { success: true } };
}

/** A page as a web visit, a mapped track event as its touchpoint; anything else is ignored. */
async function recordTouchpointOf(message: SegmentMessage, receivedAt: Date): Promise<'recorded' | 'ignored' | 'skipped'> {
  const touchpoint = message.type === 'page' ? webVisitOf(message) : message.type === 'track' ? trackTouchpointOf(message, trackEvents) : undefined;
  if (!touchpoint) return message.type === 'page' ? 'skipped' : 'ignored';
  try {
    await recordConnectorTouchpoint(segment, touchpoint, message.messageId, receivedAt);
    return 'recorded';
  } catch (error) {
    // One message refused (an invalid URL, a reused messageId, a mapped field missing) leaves the rest of the batch standing.
    if (error instanceof ValidationError || error instanceof IdempotencyConflictError) return 'skipped';
    throw error;
  }
}

/** An identify naming the visitor's anonymousId and their userId or email. */
async function joinVisitor(message: SegmentMessage, receivedAt: Date): Promise<void> {
  const identifiers = identifiersSchema.safeParse(identifiersOf(message));
  const { anonymousId, ...known } = identifiers.success ? identifiers.data : {};
  if (!anonymousId || Object.keys(known).length === 0) return;
  const outcome = await joinAnonymousVisitor(customerStore(), { anonymousId, known: toIdentifierList(known), source: 'segment' }, receivedAt);
  if (outcome === 'held-by-known-customer' || outcome === 'refused') logger.info('Segment identify not joined', { outcome });
}

function badRequest(detail: string): HttpProblemError {
  return new HttpProblemError(problem(400, 'invalid-request', 'Invalid request', detail));
}

export const handler = apiHandler(receiveSegmentEventsRoute, { takesQuery: true });
