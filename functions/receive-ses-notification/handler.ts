import { connectorSetting } from '../../shared/connectors/connector-config.ts';
import { parseJsonBody, rawBodyOf, unverified } from '../../shared/connectors/connector-request.ts';
import { recordSesNotification } from '../../shared/connectors/ses/record-notification.ts';
import { type FetchText, fetchText, regionOfTopic, type SnsMessage, snsMessageSchema, snsUrl, snsVerifier } from '../../shared/connectors/ses/sns-message.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { HttpProblemError, problem } from '../../shared/http/problems.ts';
import { logger } from '../../shared/observability/logger.ts';

function topicAllowed(topicArn: string): boolean {
  return connectorSetting('sesTopicArns').split(',').includes(topicArn);
}

/**
 * Amazon SES notifications delivered by an SNS HTTPS subscription. SNS retries whatever is not a
 * 2xx, so everything verified and accepted (a notification mapped or deliberately ignored, a
 * confirmed or ended subscription) answers 200; a forged message 401, another topic 403, and a
 * verified notification that is not SES's documented shape 422. `fetchDocument` is injected for
 * tests; it is only ever given URLs on SNS hosts of the topic's region.
 */
export function receiveSesNotificationRoute(fetchDocument: FetchText) {
  const verify = snsVerifier(fetchDocument);
  return async (event: ApiEvent): Promise<ApiResponse> => {
    const receivedAt = new Date();
    const parsed = snsMessageSchema.safeParse(parseJsonBody(rawBodyOf(event)));
    if (!parsed.success) throw unverified('sns', 'not-an-sns-message');
    const message = parsed.data;
    // Checked before the signature, so a stranger's topic never makes us fetch a certificate.
    if (!topicAllowed(message.TopicArn)) {
      logger.warn('SNS message from a topic not allowed', { connector: 'ses', topicArn: message.TopicArn });
      throw new HttpProblemError(problem(403, 'topic-not-allowed', 'Topic not allowed', 'Messages from this SNS topic are not accepted here.'));
    }
    const check = await verify(message, receivedAt);
    if (!check.valid) throw unverified('sns', check.reason);

    if (message.Type === 'SubscriptionConfirmation') return confirm(message, fetchDocument);
    if (message.Type === 'UnsubscribeConfirmation') return { statusCode: 200, body: { received: true, recorded: 0 } };
    return { statusCode: 200, body: { received: true, recorded: await recordSesNotification(message, receivedAt) } };
  };
}

async function confirm(message: SnsMessage & { SubscribeURL: string }, fetchDocument: FetchText): Promise<ApiResponse> {
  const url = snsUrl(message.SubscribeURL, regionOfTopic(message.TopicArn));
  if (!url) throw unverified('sns', 'subscribe-url');
  try {
    await fetchDocument(url);
  } catch (error) {
    logger.warn('SNS subscription not confirmed', { connector: 'ses', topicArn: message.TopicArn, error: String(error) });
    // SNS resends the confirmation on a 5xx: a passing failure of its endpoint is retried.
    throw new HttpProblemError(problem(502, 'confirmation-failed', 'Subscription not confirmed', 'SNS did not accept the confirmation; send it again.'));
  }
  logger.info('SNS subscription confirmed', { connector: 'ses', topicArn: message.TopicArn });
  return { statusCode: 200, body: { received: true, confirmed: true } };
}

export const handler = apiHandler(receiveSesNotificationRoute(fetchText));
