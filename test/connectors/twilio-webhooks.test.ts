import twilio from 'twilio';
import { beforeAll, describe, expect, it } from 'vitest';
import { callStatusParameters, incomingSmsParameters, twilioSid } from './fixtures/twilio.ts';
import { unique, uniquePhone } from '../fixtures/touchpoints.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer, wholeTimeline } from '../helpers/handlers.ts';

const authToken = `${unique()}${unique()}`;
process.env.TWILIO_AUTH_TOKEN = authToken;
const { handler: callStatusHandler } = await import('../../functions/receive-twilio-call-status/handler.ts');
const { handler: smsHandler } = await import('../../functions/receive-twilio-sms/handler.ts');

beforeAll(async () => {
  await createTestTable();
});

const host = 'abc123.execute-api.eu-west-2.amazonaws.com';
const routes = { call: '/v1/connectors/twilio/call-status', sms: '/v1/connectors/twilio/sms' } as const;

/** Posts the form as Twilio does, signed by Twilio's own library over the URL it calls. */
function deliver(
  kind: keyof typeof routes,
  parameters: Record<string, string>,
  options: { token?: string; signedUrl?: string; query?: string; tamper?: (body: string) => string } = {},
) {
  const query = options.query ?? '';
  const url = `https://${host}${routes[kind]}${query ? `?${query}` : ''}`;
  const signature = twilio.getExpectedTwilioSignature(options.token ?? authToken, options.signedUrl ?? url, parameters);
  const body = new URLSearchParams(parameters).toString();
  const event = apiEvent({
    method: 'POST',
    routePath: routes[kind],
    body: options.tamper ? options.tamper(body) : body,
    headers: {
      host,
      'x-forwarded-proto': 'https',
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      'i-twilio-idempotency-token': unique(),
    },
    authorizer: null,
  });
  return invoke(kind === 'call' ? callStatusHandler : smsHandler, { ...event, rawQueryString: query });
}

async function customerOf(phone: string) {
  const found = await lookupCustomer({ phone });
  expect(found.status).toBe(200);
  return found.body.customer.customerId as string;
}

describe('Twilio webhooks: verification', () => {
  it("accepts exactly what Twilio's validateRequest accepts for the same request", () => {
    const parameters = callStatusParameters({ callSid: twilioSid('CA'), status: 'completed', direction: 'inbound', customer: uniquePhone().e164 });
    const url = `https://${host}${routes.call}?tenant=north`;
    const signature = twilio.getExpectedTwilioSignature(authToken, url, parameters);

    expect(twilio.validateRequest(authToken, signature, url, parameters)).toBe(true);
  });

  it('refuses (401) a forged signature, one made with another auth token, one over another URL and a tampered body, storing nothing', async () => {
    const phone = uniquePhone().e164;
    const parameters = callStatusParameters({ callSid: twilioSid('CA'), status: 'completed', direction: 'inbound', customer: phone, duration: 30 });

    const answers = await Promise.all([
      deliver('call', parameters, { token: `${unique()}${unique()}` }),
      deliver('call', parameters, { signedUrl: `https://evil.example.com${routes.call}` }),
      deliver('call', parameters, { tamper: (body) => body.replace('CallDuration=30', 'CallDuration=3000') }),
    ]);
    const unsigned = await invoke(
      callStatusHandler,
      apiEvent({ method: 'POST', routePath: routes.call, body: new URLSearchParams(parameters).toString(), headers: { host }, authorizer: null }),
    );

    expect([...answers.map((answer) => answer.status), unsigned.status]).toEqual([401, 401, 401, 401]);
    expect((await lookupCustomer({ phone })).status).toBe(404);
  });

  it('verifies over the query string too, as Twilio signs the whole URL it was given', async () => {
    const phone = uniquePhone().e164;
    const parameters = callStatusParameters({ callSid: twilioSid('CA'), status: 'completed', direction: 'inbound', customer: phone, duration: 5 });

    const response = await deliver('call', parameters, { query: 'region=north&team=billing' });

    expect(response.status).toBe(204);
  });
});

describe('Twilio voice status callbacks', () => {
  it('records one call touchpoint at the final status, keeping nothing of ringing or in-progress', async () => {
    const phone = uniquePhone();
    const callSid = twilioSid('CA');
    const end = new Date(Date.now() - 1000);
    const base = { callSid, direction: 'inbound' as const, customer: phone.e164 };

    const statuses = [
      await deliver('call', callStatusParameters({ ...base, status: 'ringing', sequence: 0 })),
      await deliver('call', callStatusParameters({ ...base, status: 'in-progress', sequence: 1 })),
    ];
    expect((await lookupCustomer({ phone: phone.e164 })).status).toBe(404);
    statuses.push(await deliver('call', callStatusParameters({ ...base, status: 'completed', sequence: 2, duration: 187, at: end })));

    expect(statuses.map((answer) => answer.status)).toEqual([204, 204, 204]);
    const [touchpoint, ...others] = await wholeTimeline(await customerOf(phone.e164));
    expect(others).toEqual([]);
    expect(touchpoint).toMatchObject({
      channel: 'call',
      source: 'twilio',
      occurredAt: new Date(Math.floor(end.getTime() / 1000) * 1000 - 187_000).toISOString(),
      details: { direction: 'inbound', durationSeconds: 187, outcome: 'answered', callId: callSid },
    });
  });

  it('records a redelivered final callback once', async () => {
    const phone = uniquePhone().e164;
    const parameters = callStatusParameters({ callSid: twilioSid('CA'), status: 'completed', direction: 'inbound', customer: phone, duration: 42 });

    const answers = [await deliver('call', parameters), await deliver('call', parameters)];

    expect(answers.map((answer) => answer.status)).toEqual([204, 204]);
    expect(await wholeTimeline(await customerOf(phone))).toHaveLength(1);
  });

  it('puts an outbound call on the number called, as missed when nobody answered', async () => {
    const phone = uniquePhone().e164;

    await deliver('call', callStatusParameters({ callSid: twilioSid('CA'), status: 'no-answer', direction: 'outbound-api', customer: phone, duration: 0 }));

    const [touchpoint] = await wholeTimeline(await customerOf(phone));
    expect(touchpoint?.details).toMatchObject({ direction: 'outbound', durationSeconds: 0, outcome: 'missed' });
  });

  it('refuses (422) a callback whose far end is not a phone number (a Twilio Client leg), storing nothing', async () => {
    const response = await deliver(
      'call',
      callStatusParameters({ callSid: twilioSid('CA'), status: 'completed', direction: 'inbound', customer: 'client:agent-7', duration: 9 }),
    );

    expect(response.status).toBe(422);
  });
});

describe('Twilio incoming SMS', () => {
  it('records an inbound sms touchpoint with the text, keyed on the MessageSid: a retry adds nothing', async () => {
    const phone = uniquePhone();
    const messageSid = twilioSid('SM');
    const parameters = incomingSmsParameters({ messageSid, from: phone.e164, body: 'Can you call me back about my bill? £12.40 seems wrong' });

    const answers = [await deliver('sms', parameters), await deliver('sms', parameters)];

    expect(answers.map((answer) => answer.status)).toEqual([204, 204]);
    const timeline = await wholeTimeline(await customerOf(phone.e164));
    expect(timeline).toEqual([
      expect.objectContaining({
        channel: 'sms',
        source: 'twilio',
        details: expect.objectContaining({ direction: 'inbound', messageId: messageSid, body: parameters.Body, from: phone.e164 }),
      }),
    ]);
  });

  it('refuses (422) a signed form that is not an incoming message', async () => {
    const response = await deliver('sms', { AccountSid: 'nope', Body: 'hello' });

    expect(response.status).toBe(422);
  });
});
