import { connectorClient, recordConnectorTouchpoint } from '../../shared/connectors/connector-request.ts';
import { verifiedTwilioParameters } from '../../shared/connectors/twilio/twilio-request.ts';
import { incomingMessageSchema, smsTouchpoint } from '../../shared/connectors/twilio/voice-and-sms.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';

const twilio = connectorClient('twilio', ['sms']);

/**
 * A Twilio Messaging webhook ("A message comes in"): the message becomes an sms touchpoint keyed on
 * its MessageSid. 204 with no TwiML: Twilio sends no reply to the customer.
 */
export async function receiveTwilioSmsRoute(event: ApiEvent): Promise<ApiResponse> {
  const receivedAt = new Date();
  const message = verifiedTwilioParameters(event, incomingMessageSchema);
  await recordConnectorTouchpoint(twilio, smsTouchpoint(message), message.MessageSid, receivedAt);
  return { statusCode: 204 };
}

export const handler = apiHandler(receiveTwilioSmsRoute, { takesQuery: true });
