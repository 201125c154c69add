import { connectorSetting } from '../../shared/connectors/connector-config.ts';
import { connectorClient, parseJsonBody, rawBodyOf, recordConnectorTouchpoint, unmappable, unverified } from '../../shared/connectors/connector-request.ts';
import { verifyStripeSignature } from '../../shared/connectors/stripe/signature.ts';
import { mapStripeEvent, stripeEventSchema } from '../../shared/connectors/stripe/invoice-events.ts';
import { type ApiEvent, type ApiResponse, apiHandler, header } from '../../shared/http/api-handler.ts';

const stripe = connectorClient('stripe', ['invoice_query']);

/**
 * A Stripe webhook endpoint. Stripe retries anything but a 2xx for up to three days, so every
 * verified event this connector does not map (another type) is acknowledged with 200, and only a
 * forged or stale signature (401) or a mapped type it cannot place (422) is refused.
 */
export async function receiveStripeWebhookRoute(event: ApiEvent): Promise<ApiResponse> {
  const receivedAt = new Date();
  const raw = rawBodyOf(event);
  const check = verifyStripeSignature(raw, header(event, 'stripe-signature'), connectorSetting('stripeWebhookSecret'), receivedAt);
  if (!check.valid) throw unverified('stripe', check.reason);
  const parsed = stripeEventSchema.safeParse(parseJsonBody(raw));
  if (!parsed.success) throw unmappable('stripe', 'The body is not a Stripe event.');
  const mapping = mapStripeEvent(parsed.data);
  if (mapping.kind === 'ignored') return { statusCode: 200, body: { received: true, recorded: false } };
  if (mapping.kind === 'unmappable') throw unmappable('stripe', mapping.detail, { eventId: parsed.data.id, type: parsed.data.type });
  const answer = await recordConnectorTouchpoint(stripe, mapping.touchpoint, parsed.data.id, receivedAt);
  return { statusCode: 200, body: { received: true, recorded: true, touchpointId: answer.body.touchpointId } };
}

export const handler = apiHandler(receiveStripeWebhookRoute, { takesQuery: true });
