import { beforeAll, describe, expect, it } from 'vitest';
import { handler as receiveCtiWebhook } from '../../functions/receive-cti-webhook/handler.ts';
import { handler as receiveSegmentEvents } from '../../functions/receive-segment-events/handler.ts';
import { handler as receiveSesNotification } from '../../functions/receive-ses-notification/handler.ts';
import { handler as receiveStripeWebhook } from '../../functions/receive-stripe-webhook/handler.ts';
import { handler as receiveTwilioSms } from '../../functions/receive-twilio-sms/handler.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { countItems, createTestTable } from '../helpers/dynamodb.ts';

// A stack (or npm start) on which nobody put a connector's secret or setting in place: the
// sender is told to come back later, and nothing of its request is read or stored.
for (const variable of ['STRIPE_WEBHOOK_SECRET', 'TWILIO_AUTH_TOKEN', 'SEGMENT_WRITE_KEY', 'SES_TOPIC_ARNS', 'CTI_WEBHOOK_SECRETS']) {
  delete process.env[variable];
}

beforeAll(async () => {
  await createTestTable();
});

const senders = [
  ['Stripe', receiveStripeWebhook, '/v1/connectors/stripe', { id: 'evt_1', type: 'invoice.paid' }, { 'stripe-signature': 't=1,v1=00' }],
  [
    'Twilio',
    receiveTwilioSms,
    '/v1/connectors/twilio/sms',
    'MessageSid=SM1&From=%2B447700900123&To=%2B442079460018&Body=hi',
    {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': 'AAAA',
    },
  ],
  ['Segment', receiveSegmentEvents, '/v1/connectors/segment/v1/{call}', { type: 'page', anonymousId: 'a1', writeKey: 'wk' }, {}],
  [
    'SES',
    receiveSesNotification,
    '/v1/connectors/ses',
    {
      Type: 'Notification',
      MessageId: 'm1',
      TopicArn: 'arn:aws:sns:eu-west-2:000000000000:ses',
      Message: '{}',
      Timestamp: '2026-12-02T10:00:00.000Z',
      SignatureVersion: '2',
      Signature: 'AAAA',
      SigningCertURL: 'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-0000.pem',
    },
    {},
  ],
  ['a CTI system', receiveCtiWebhook, '/v1/connectors/cti/{system}', { event: 'hangup', callId: 'c1' }, { 'x-cti-signature': 't=1,v1=00' }],
] as const;

describe('a connector whose secret or setting the stack lacks', () => {
  it.each(senders)('answers %s 503 connector-not-configured with Retry-After, and stores nothing', async (_sender, handler, routePath, body, headers) => {
    const before = await countItems();

    const answer = await invoke(
      handler,
      apiEvent({
        method: 'POST',
        routePath,
        path: routePath.replace('{call}', 'page').replace('{system}', 'sipgate'),
        pathParameters: routePath.includes('{call}') ? { call: 'page' } : routePath.includes('{system}') ? { system: 'sipgate' } : {},
        body,
        headers,
        authorizer: null,
      }),
    );

    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('300');
    expect(answer.body).toMatchObject({ type: 'urn:touchpoint-api:problem:connector-not-configured', status: 503 });
    expect(await countItems()).toBe(before);
  });
});
