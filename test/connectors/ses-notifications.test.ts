import https from 'node:https';
import { PassThrough } from 'node:stream';
import MessageValidator from 'sns-validator';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  bounceNotification,
  complaintNotification,
  deliveryNotification,
  ourAddress,
  receivedNotification,
  sesMessageId,
} from './fixtures/ses/notifications.ts';
import { certificateUrl, type EnvelopeOptions, region, snsEnvelope, type TestSigner, testSigner, topicArn } from './fixtures/ses/sns.ts';
import { uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { contactCheck } from '../helpers/contact-check.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer, putPreferences, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';

process.env.SES_TOPIC_ARNS = `arn:aws:sns:${region}:111122223333:other-topic,${topicArn}`;
const { receiveSesNotificationRoute } = await import('../../functions/receive-ses-notification/handler.ts');
const { apiHandler } = await import('../../shared/http/api-handler.ts');

let signer: TestSigner;
/** Every URL the connector fetched, in order: the certificate and SubscribeURLs, nothing else. */
const fetched: string[] = [];
let confirmationAnswer: 'ok' | 'fails' = 'ok';

/** The connector with a fetcher of its own (and so a certificate cache of its own), serving the signer's certificate. */
function connector(served: () => TestSigner = () => signer) {
  return apiHandler(
    receiveSesNotificationRoute(async (url) => {
      fetched.push(url.href);
      if (url.href === certificateUrl) return served().certificatePem;
      if (url.searchParams.get('Action') === 'ConfirmSubscription' && confirmationAnswer === 'ok') return '<ConfirmSubscriptionResponse/>';
      throw new Error(`GET ${url.href} answered 404`);
    }),
  );
}

const handler = connector();

beforeAll(async () => {
  signer = await testSigner();
  await createTestTable();
});

afterEach(() => {
  fetched.length = 0;
  confirmationAnswer = 'ok';
  vi.restoreAllMocks();
});

function post(body: string, to = handler) {
  return invoke(
    to,
    apiEvent({
      method: 'POST',
      routePath: '/v1/connectors/ses',
      body,
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      authorizer: null,
    }),
  );
}

function deliver(notification: unknown, options: Partial<EnvelopeOptions> = {}) {
  return post(JSON.stringify(snsEnvelope(JSON.stringify(notification), { signer, ...options })));
}

async function customerOf(email: string) {
  const found = await lookupCustomer({ email });
  expect(found.status).toBe(200);
  return { customerId: found.body.customer.customerId as string, card: found.body.card };
}

describe('SES connector: SNS verification', () => {
  it('refuses a tampered message, one signed by another key and one without a signature (401), storing nothing', async () => {
    const email = uniqueEmail();
    const envelope = snsEnvelope(JSON.stringify(receivedNotification({ from: email })), { signer });
    const stranger = await testSigner();

    const tampered = await post(JSON.stringify({ ...envelope, Message: JSON.stringify(receivedNotification({ from: uniqueEmail() })) }));
    const otherKey = await deliver(receivedNotification({ from: email }), { signer: stranger });
    const { Signature: _dropped, ...unsigned } = envelope;
    const withoutSignature = await post(JSON.stringify(unsigned));

    expect([tampered.status, otherKey.status, withoutSignature.status]).toEqual([401, 401, 401]);
    expect(tampered.body.type).toBe('urn:touchpoint-api:problem:unverified-sender');
    expect((await lookupCustomer({ email })).status).toBe(404);
  });

  it('never fetches a certificate from anywhere but an SNS host of the topic region, and refuses the message', async () => {
    const urls = [
      'https://sns.evil.example.com/cert.pem',
      'http://sns.eu-west-2.amazonaws.com/cert.pem',
      'https://sns.us-east-1.amazonaws.com/cert.pem',
      'https://sns.eu-west-2.amazonaws.com.evil.example/cert.pem',
      'https://sns.eu-west-2.amazonaws.com:8443/cert.pem',
      'https://sns.eu-west-2.amazonaws.com/cert.txt',
    ];

    const answers = await Promise.all(urls.map((certUrl) => deliver(receivedNotification({ from: uniqueEmail() }), { certUrl })));

    expect(answers.map((answer) => answer.status)).toEqual(urls.map(() => 401));
    expect(fetched).toEqual([]);
  });

  it('refuses a topic outside the allow-list with 403 before fetching anything', async () => {
    const response = await deliver(receivedNotification({ from: uniqueEmail() }), { topic: `arn:aws:sns:${region}:999999999999:ses-notifications` });

    expect(response.status).toBe(403);
    expect(response.body.type).toBe('urn:touchpoint-api:problem:topic-not-allowed');
    expect(fetched).toEqual([]);
  });

  it('accepts SignatureVersion 1 and 2, fetching the certificate once for both', async () => {
    const fresh = connector();
    const envelope = (signatureVersion: '1' | '2', subject?: string) =>
      JSON.stringify(snsEnvelope(JSON.stringify(receivedNotification({ from: uniqueEmail() })), { signer, signatureVersion, ...(subject ? { subject } : {}) }));

    const v1 = await post(envelope('1'), fresh);
    const v2 = await post(envelope('2', 'Amazon SES Email Receipt Notification'), fresh);

    expect([v1.status, v2.status]).toEqual([200, 200]);
    expect(fetched).toEqual([certificateUrl]);
  });

  it('refuses a certificate out of its validity period', async () => {
    const expired = await testSigner('sns.amazonaws.com', {
      notAfterDate: new Date(Date.now() - 86_400_000),
      notBeforeDate: new Date(Date.now() - 2 * 86_400_000),
    });

    const response = await post(
      JSON.stringify(snsEnvelope(JSON.stringify(receivedNotification({ from: uniqueEmail() })), { signer: expired })),
      connector(() => expired),
    );

    expect(response.status).toBe(401);
  });

  it("signs as SNS does: AWS's own sns-validator accepts the test messages of both versions", async () => {
    // sns-validator fetches the certificate itself: its GET is answered with the test certificate.
    vi.spyOn(https, 'get').mockImplementation(((url: string, callback: (response: PassThrough & { statusCode: number }) => void) => {
      const response = Object.assign(new PassThrough(), { statusCode: url === certificateUrl ? 200 : 404 });
      callback(response);
      response.end(signer.certificatePem);
      return new PassThrough();
    }) as unknown as typeof https.get);
    const validator = new MessageValidator();
    const validate = (message: Record<string, string>) =>
      new Promise<void>((resolve, reject) => validator.validate(message, (error) => (error ? reject(error) : resolve())));

    await expect(validate(snsEnvelope('{}', { signer, signatureVersion: '1' }))).resolves.toBeUndefined();
    await expect(validate(snsEnvelope('{}', { signer, signatureVersion: '2', subject: 'A subject' }))).resolves.toBeUndefined();
    await expect(validate(snsEnvelope('{}', { signer, type: 'SubscriptionConfirmation' }))).resolves.toBeUndefined();
    await expect(validate({ ...snsEnvelope('{}', { signer }), Message: 'changed' })).rejects.toThrow(/invalid/);
  });
});

describe('SES connector: subscriptions', () => {
  it('confirms a subscription by fetching its SubscribeURL on the SNS host', async () => {
    const envelope = snsEnvelope('You have chosen to subscribe to the topic', { signer, type: 'SubscriptionConfirmation' });

    const response = await post(JSON.stringify(envelope));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ confirmed: true });
    expect(fetched).toContain(envelope.SubscribeURL);
  });

  it('answers 502 when SNS refuses the confirmation, so SNS sends it again', async () => {
    confirmationAnswer = 'fails';

    const response = await post(JSON.stringify(snsEnvelope('Subscribe', { signer, type: 'SubscriptionConfirmation' })));

    expect(response.status).toBe(502);
  });

  it('refuses a signed confirmation whose SubscribeURL is not an SNS host, without fetching it', async () => {
    const subscribeUrl = 'https://attacker.example/?Action=ConfirmSubscription';

    const response = await post(JSON.stringify(snsEnvelope('Subscribe', { signer, type: 'SubscriptionConfirmation', subscribeUrl })));

    expect(response.status).toBe(401);
    expect(fetched).not.toContain(subscribeUrl);
  });

  it('acknowledges an UnsubscribeConfirmation and fetches nothing but the certificate', async () => {
    const response = await post(JSON.stringify(snsEnvelope('Unsubscribed', { signer, type: 'UnsubscribeConfirmation' })));

    expect(response.status).toBe(200);
    expect(fetched.every((url) => url === certificateUrl)).toBe(true);
  });
});

describe('SES connector: received and delivered mail', () => {
  it('records a received mail as an inbound email touchpoint with its sender, subject and Message-ID', async () => {
    const from = uniqueEmail();
    const messageId = sesMessageId();

    const response = await deliver(receivedNotification({ from, messageId, subject: 'Where is my refund?' }));

    expect(response.status).toBe(200);
    const { customerId } = await customerOf(from);
    const [touchpoint] = await wholeTimeline(customerId);
    expect(touchpoint).toMatchObject({
      channel: 'email',
      source: 'ses',
      details: { direction: 'inbound', from, to: [ourAddress], subject: 'Where is my refund?', messageId: `<${messageId}@eu-west-2.amazonses.com>` },
    });
  });

  it('records a mail once whether SNS retries it (same MessageId) or SES publishes it twice (a new one)', async () => {
    const from = uniqueEmail();
    const notification = receivedNotification({ from });
    const envelope = snsEnvelope(JSON.stringify(notification), { signer });

    const answers = [await post(JSON.stringify(envelope)), await post(JSON.stringify(envelope)), await deliver(notification)];

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const { customerId } = await customerOf(from);
    expect(await wholeTimeline(customerId)).toHaveLength(1);
  });

  it('records a delivery as one outbound email touchpoint per recipient, in both SES shapes', async () => {
    const [first, second, third] = [uniqueEmail(), uniqueEmail(), uniqueEmail()];

    const feedback = await deliver(deliveryNotification({ recipients: [first, second], subject: 'Your invoice INV-7' }));
    const published = await deliver(deliveryNotification({ recipients: [third], eventPublishing: true }));

    expect([feedback.status, published.status]).toEqual([200, 200]);
    for (const recipient of [first, second, third]) {
      const { customerId } = await customerOf(recipient);
      const timeline = await wholeTimeline(customerId);
      expect(timeline).toEqual([
        expect.objectContaining({ channel: 'email', details: expect.objectContaining({ direction: 'outbound', from: ourAddress, to: [recipient] }) }),
      ]);
    }
  });

  it('acknowledges SES events it does not map (an open, a click) and stores nothing', async () => {
    const recipient = uniqueEmail();
    const open = { ...deliveryNotification({ recipients: [recipient], eventPublishing: true }), eventType: 'Open' };

    const response = await deliver(open);

    expect(response.status).toBe(200);
    expect((await lookupCustomer({ email: recipient })).status).toBe(404);
  });

  it('refuses with 422 a verified message that is not an SES notification, or one missing its documented parts', async () => {
    const notJson = await post(JSON.stringify(snsEnvelope('plain text, not JSON', { signer })));
    const noType = await deliver({ hello: 'world' });
    const { bounce: _bounce, ...bounceWithoutBounce } = bounceNotification({ recipients: [uniqueEmail()] });
    const incomplete = await deliver(bounceWithoutBounce);

    expect([notJson.status, noType.status, incomplete.status]).toEqual([422, 422, 422]);
  });
});

describe('SES connector: bounces and complaints', () => {
  async function knownCustomer() {
    const email = uniqueEmail();
    const phone = uniquePhone();
    const { customerId } = await recordTouchpoint({
      channel: 'email',
      identifiers: { email, phone: phone.e164 },
      details: { direction: 'outbound', messageId: `<${sesMessageId()}@x>`, subject: 'Hi', from: ourAddress, to: [email] },
    });
    return { customerId, email, phone };
  }

  it('makes a hard-bounced address not contactable by email, on the card and in the contact check, keeping what the customer said', async () => {
    const { customerId, email, phone } = await knownCustomer();
    expect(
      (await putPreferences(customerId, { channels: { sms: 'opted_out' }, identifiers: [{ type: 'phone', value: phone.e164, marketing: 'opted_out' }] }))
        .status,
    ).toBe(200);

    const response = await deliver(bounceNotification({ recipients: [email] }));

    expect(response.status).toBe(200);
    const check = await contactCheck(customerId, { channel: 'email', to: email });
    expect(check.body).toMatchObject({ allowed: false, reasons: ['identifier_opted_out'] });
    const { card } = await customerOf(email);
    expect(card.contactPermissions.channels.sms).toBe('opted_out');
    expect(card.contactPermissions.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'email', value: email, channels: { email: 'opted_out' }, marketing: null },
        { type: 'phone', value: phone.e164, channels: {}, marketing: 'opted_out' },
      ]),
    );
  });

  it('changes nothing for a transient bounce', async () => {
    const { customerId, email } = await knownCustomer();

    const response = await deliver(bounceNotification({ recipients: [email], bounceType: 'Transient' }));

    expect(response.status).toBe(200);
    expect((await contactCheck(customerId, { channel: 'email', to: email })).body.allowed).toBe(true);
  });

  it('opts a complaining address out of marketing, leaving service email allowed', async () => {
    const { customerId, email } = await knownCustomer();

    const response = await deliver(complaintNotification({ recipients: [email] }));

    expect(response.status).toBe(200);
    expect((await contactCheck(customerId, { channel: 'email', to: email, purpose: 'marketing' })).body.allowed).toBe(false);
    expect((await contactCheck(customerId, { channel: 'email', to: email, purpose: 'service' })).body.allowed).toBe(true);
    const { card } = await customerOf(email);
    expect(card.contactPermissions.identifiers).toEqual([{ type: 'email', value: email, channels: {}, marketing: 'opted_out' }]);
  });

  it('records a redelivered bounce once: one preferences touchpoint on the timeline', async () => {
    const { customerId, email } = await knownCustomer();
    const envelope = JSON.stringify(snsEnvelope(JSON.stringify(bounceNotification({ recipients: [email] })), { signer }));

    const answers = [await post(envelope), await post(envelope)];

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const changes = (await wholeTimeline(customerId)).filter((touchpoint) => (touchpoint.details as { kind?: string }).kind === 'contact_preferences');
    expect(changes).toHaveLength(1);
  });

  it('acknowledges a bounce for an address no customer has, creating nobody', async () => {
    const email = uniqueEmail();

    const response = await deliver(bounceNotification({ recipients: [email] }));

    expect(response.status).toBe(200);
    expect((await lookupCustomer({ email })).status).toBe(404);
  });
});
