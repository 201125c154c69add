import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CallScript, callEvent, newCallScript } from './fixtures/cti/call-events.ts';
import { unique, uniquePhone } from '../fixtures/touchpoints.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer, wholeTimeline } from '../helpers/handlers.ts';

const secrets = { sipgate: `sip_${unique()}${unique()}`, placetel: `pt_${unique()}${unique()}` };
process.env.CTI_WEBHOOK_SECRETS = JSON.stringify(secrets);
const { handler } = await import('../../functions/receive-cti-webhook/handler.ts');

// The CTI signature is Stripe's scheme: Stripe's own library signs, so the check is against theirs.
const stripe = new Stripe('sk_test_cti');

beforeAll(async () => {
  await createTestTable();
});

function deliver(system: string, payload: string, signature: string | undefined) {
  return invoke(
    handler,
    apiEvent({
      method: 'POST',
      routePath: '/v1/connectors/cti/{system}',
      path: `/v1/connectors/cti/${system}`,
      pathParameters: { system },
      body: payload,
      headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-cti-signature': signature }) },
      authorizer: null,
    }),
  );
}

function send(event: Record<string, unknown>, options: { system?: keyof typeof secrets; secret?: string; timestamp?: number } = {}) {
  const system = options.system ?? 'sipgate';
  const payload = JSON.stringify(event);
  const signature = stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? secrets[system],
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return deliver(system, payload, signature);
}

async function callsOf(phone: string) {
  const found = await lookupCustomer({ phone });
  expect(found.status).toBe(200);
  return wholeTimeline(found.body.customer.customerId);
}

async function play(script: CallScript, events: Array<Parameters<typeof callEvent>>, system?: keyof typeof secrets) {
  const answers = [];
  for (const [, kind, seconds, extra] of events) answers.push(await send(callEvent(script, kind, seconds, extra), system ? { system } : {}));
  return answers;
}

describe('CTI webhook: verification', () => {
  it("refuses an unsigned event, a forged one and one signed with another system's secret (401), storing nothing", async () => {
    const phone = uniquePhone().e164;
    const event = callEvent(newCallScript(phone), 'hangup', 30, { cause: 'normalClearing' });
    const payload = JSON.stringify(event);
    const genuine = stripe.webhooks.generateTestHeaderString({ payload, secret: secrets.sipgate });

    const unsigned = await deliver('sipgate', payload, undefined);
    const forged = await deliver('sipgate', payload.replace(phone, uniquePhone().e164), genuine);
    const crossed = await send(event, { system: 'sipgate', secret: secrets.placetel });

    expect([unsigned.status, forged.status, crossed.status]).toEqual([401, 401, 401]);
    expect(unsigned.body.type).toBe('urn:touchpoint-api:problem:unverified-sender');
    expect((await lookupCustomer({ phone })).status).toBe(404);
  });

  it('refuses a system that has no secret, and a signature older than five minutes', async () => {
    const payload = JSON.stringify(callEvent(newCallScript(uniquePhone().e164), 'newCall', 0));
    const unknownSystem = await deliver('asterisk', payload, stripe.webhooks.generateTestHeaderString({ payload, secret: secrets.sipgate }));
    const stale = await send(JSON.parse(payload), { timestamp: Math.floor(Date.now() / 1000) - 301 });

    expect([unknownSystem.status, stale.status]).toEqual([401, 401]);
  });
});

describe('CTI webhook: one call touchpoint per call', () => {
  it('writes nothing before the hangup, then one answered call with talk time, agent and queue', async () => {
    const phone = uniquePhone().e164;
    const script = newCallScript(phone);

    const [newCall, answer] = await play(script, [
      [script, 'newCall', 0, { queue: 'billing' }],
      [script, 'answer', 12, { user: 'agent.ada' }],
    ]);
    const before = await lookupCustomer({ phone });
    const [hangup] = await play(script, [[script, 'hangup', 192, { cause: 'normalClearing' }]]);

    expect([newCall?.body, answer?.body]).toEqual([
      { received: true, recorded: false },
      { received: true, recorded: false },
    ]);
    expect(before.status).toBe(404);
    expect(hangup?.body).toMatchObject({ received: true, recorded: true, touchpointId: expect.stringMatching(/^tp_/) });
    expect(await callsOf(phone)).toEqual([
      expect.objectContaining({
        channel: 'call',
        source: 'cti-sipgate',
        occurredAt: script.start.toISOString(),
        summary: 'Inbound call, answered (rang 12 s)',
        details: { direction: 'inbound', outcome: 'answered', durationSeconds: 180, agentId: 'agent.ada', queue: 'billing', callId: script.callId },
      }),
    ]);
  });

  it('records a hangup that arrives before its answer as answered, and the late answer changes nothing', async () => {
    const phone = uniquePhone().e164;
    const script = newCallScript(phone);

    const answers = await play(script, [
      [script, 'newCall', 0],
      [script, 'hangup', 100, { cause: 'normalClearing' }],
      [script, 'answer', 10, { user: 'agent.ada' }],
      [script, 'hangup', 100, { cause: 'normalClearing' }],
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(answers[2]?.body.recorded).toBe(false);
    expect(answers[3]?.body.touchpointId).toBe(answers[1]?.body.touchpointId);
    const calls = await callsOf(phone);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.details).toMatchObject({ outcome: 'answered', durationSeconds: 100 });
  });

  it('records a redelivered hangup once', async () => {
    const phone = uniquePhone().e164;
    const script = newCallScript(phone);
    await play(script, [[script, 'newCall', 0]]);

    const first = await send(callEvent(script, 'hangup', 20, { cause: 'noAnswer' }));
    const again = await send(callEvent(script, 'hangup', 20, { cause: 'noAnswer' }));

    expect(again.body.touchpointId).toBe(first.body.touchpointId);
    expect(await callsOf(phone)).toHaveLength(1);
  });

  it('tells missed from abandoned: nobody answered, or the caller gave up', async () => {
    const [missedPhone, abandonedPhone] = [uniquePhone().e164, uniquePhone().e164];
    const missed = newCallScript(missedPhone);
    const abandoned = newCallScript(abandonedPhone);

    await play(missed, [
      [missed, 'newCall', 0],
      [missed, 'hangup', 30, { cause: 'noAnswer' }],
    ]);
    await play(abandoned, [
      [abandoned, 'newCall', 0],
      [abandoned, 'hangup', 8, { cause: 'cancel' }],
    ]);

    expect((await callsOf(missedPhone))[0]).toMatchObject({ summary: 'Inbound call, missed (rang 30 s)', details: { outcome: 'missed', durationSeconds: 0 } });
    expect((await callsOf(abandonedPhone))[0]?.details).toMatchObject({ outcome: 'abandoned', durationSeconds: 0 });
  });

  it('puts an outbound call on the number called, and keeps two systems that reuse a call id apart', async () => {
    const phone = uniquePhone().e164;
    const outbound = newCallScript(phone, 'out');
    const sameIdElsewhere = { ...newCallScript(phone, 'out'), callId: outbound.callId };

    await play(outbound, [
      [outbound, 'answer', 5, { user: 'agent.bo' }],
      [outbound, 'hangup', 65, { cause: 'normalClearing' }],
    ]);
    await play(sameIdElsewhere, [[sameIdElsewhere, 'hangup', 40, { cause: 'busy' }]], 'placetel');

    const calls = await callsOf(phone);
    expect(calls.map((call) => [call.source, (call.details as { outcome: string }).outcome]).sort()).toEqual([
      ['cti-placetel', 'missed'],
      ['cti-sipgate', 'answered'],
    ]);
    expect(calls.find((call) => call.source === 'cti-sipgate')?.details).toMatchObject({ direction: 'outbound', durationSeconds: 60 });
  });
});

describe('CTI webhook: what it cannot map', () => {
  it('refuses with 422 a withheld caller and an event not in the documented shape, and with 400 a body that is not JSON', async () => {
    const script = newCallScript('anonymous');
    const withheld = await send(callEvent(script, 'hangup', 5, { cause: 'cancel' }));
    const wrongShape = await send({ event: 'ringing', callId: 'x', direction: 'sideways' });
    const payload = '{"event": "hangup",';
    const notJson = await deliver('sipgate', payload, stripe.webhooks.generateTestHeaderString({ payload, secret: secrets.sipgate }));

    expect([withheld.status, wrongShape.status, notJson.status]).toEqual([422, 422, 400]);
    expect(withheld.body.type).toBe('urn:touchpoint-api:problem:unmappable-payload');
  });
});
