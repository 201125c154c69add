import { connectorClient, recordConnectorTouchpoint } from '../../shared/connectors/connector-request.ts';
import { verifiedTwilioParameters } from '../../shared/connectors/twilio/twilio-request.ts';
import { callStatusSchema, callTouchpoint, isFinal } from '../../shared/connectors/twilio/voice-and-sms.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';

const twilio = connectorClient('twilio', ['call']);

/**
 * A Twilio voice StatusCallback. The call's final status becomes one call touchpoint, keyed on the
 * CallSid and that status; the callbacks before it (ringing, answered) are acknowledged and kept
 * nowhere. 204: Twilio reads nothing from a status callback's answer.
 */
export async function receiveTwilioCallStatusRoute(event: ApiEvent): Promise<ApiResponse> {
  const receivedAt = new Date();
  const callback = verifiedTwilioParameters(event, callStatusSchema);
  if (isFinal(callback)) {
    await recordConnectorTouchpoint(twilio, callTouchpoint(callback, receivedAt), `${callback.CallSid}:${callback.CallStatus}`, receivedAt);
  }
  return { statusCode: 204 };
}

export const handler = apiHandler(receiveTwilioCallStatusRoute, { takesQuery: true });
