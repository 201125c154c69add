import { parseJsonBody, rawBodyOf, unmappable, unverified } from '../../shared/connectors/connector-request.ts';
import { ctiEventSchema, farEndOf } from '../../shared/connectors/cti/call-events.ts';
import { recordCallEvent } from '../../shared/connectors/cti/record-call-event.ts';
import { verifyCtiSignature } from '../../shared/connectors/cti/signature.ts';
import { pendingCallStore } from '../../shared/db/pending-call-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';

/**
 * A CTI system's call event. Every verified event is noted on the call's pending record; the
 * hangup settles the call once and records its one call touchpoint, keyed on the call id, so a
 * redelivered hangup is a replay and an event arriving after the hangup is acknowledged and
 * changes nothing. 200 for all of those; 401 for a bad signature or a system with no secret; 422
 * for an event that is not the documented shape or whose far end is no phone number.
 */
export async function receiveCtiWebhookRoute(event: ApiEvent): Promise<ApiResponse> {
  const receivedAt = new Date();
  const system = event.pathParameters?.system ?? '';
  const raw = rawBodyOf(event);
  const check = verifyCtiSignature(system, raw, header(event, 'x-cti-signature'), receivedAt);
  if (!check.valid) throw unverified('cti', check.reason);
  const parsed = ctiEventSchema.safeParse(parseJsonBody(raw));
  if (!parsed.success) {
    throw unmappable('cti', 'The body is not a CTI call event (see docs/connectors.md).', {
      system,
      fields: parsed.error.issues.map((issue) => issue.path.join('.')).join(','),
    });
  }
  const callEvent = parsed.data;
  const phone = farEndOf(callEvent);
  if (!phone) throw unmappable('cti', "The call's far end is no phone number (withheld, or an internal extension).", { system, event: callEvent.event });

  const receipt = await recordCallEvent(pendingCallStore(), system, callEvent, phone, receivedAt);
  return { statusCode: 200, body: { received: true, ...receipt } };
}

export const handler = apiHandler(receiveCtiWebhookRoute);
