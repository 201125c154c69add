import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CallTimeline, contactEvent, contactTraceRecord, kinesisEvent } from './fixtures/amazon-connect/contact-records.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { eraseCustomer } from '../helpers/privacy-handlers.ts';
import { connectSource, contactTraceRecordSchema, mapContactTraceRecord } from '../../shared/connectors/amazon-connect/contact-records.ts';
import { connectorClient, recordConnectorTouchpoint } from '../../shared/connectors/connector-request.ts';

const { handler: recordsHandler } = await import('../../functions/receive-connect-records/handler.ts');
const { handler: eventsHandler } = await import('../../functions/receive-connect-events/handler.ts');

beforeAll(async () => {
  await createTestTable();
});

const lambdaContext = { functionName: 'receive-connect-records', awsRequestId: 'req-1' } as Context;

function newCall(overrides: Partial<CallTimeline> = {}): CallTimeline {
  return { contactId: crypto.randomUUID(), caller: uniquePhone().e164, start: new Date(Date.now() - 30 * 60_000), ...overrides };
}

function deliverRecords(payloads: Array<Record<string, unknown> | string>) {
  return recordsHandler(kinesisEvent(payloads), lambdaContext);
}

/** The customer's call touchpoints of this contact. */
async function touchpointsOf(call: CallTimeline): Promise<Array<Record<string, unknown>>> {
  const found = await lookupCustomer({ phone: call.caller });
  if (found.status === 404) return [];
  expect(found.status).toBe(200);
  const timeline = await wholeTimeline(found.body.customer.customerId);
  return timeline.filter((touchpoint) => (touchpoint.details as { callId?: string }).callId === call.contactId);
}

/** The notes of the contact's one touchpoint: which version of the contact it shows. */
async function notesOfOnlyTouchpoint(call: CallTimeline): Promise<string> {
  const touchpoints = await touchpointsOf(call);
  expect(touchpoints).toHaveLength(1);
  return String((touchpoints[0]?.details as { notes?: string } | undefined)?.notes);
}

describe('Amazon Connect contact records (Kinesis)', () => {
  it('records a contact trace record as one call touchpoint on the caller, with queue, agent, durations and disconnect reason', async () => {
    const call = newCall();
    const known = await recordTouchpoint(touchpointBody({ identifiers: { phone: call.caller } }));

    const answer = await deliverRecords([contactTraceRecord(call)]);

    expect(answer).toEqual({ batchItemFailures: [] });
    const [touchpoint, ...others] = await touchpointsOf(call);
    expect(others).toEqual([]);
    expect(touchpoint).toMatchObject({
      customerId: known.customerId,
      channel: 'call',
      source: connectSource,
      occurredAt: call.start.toISOString().replace(/\.\d{3}Z$/, '.000Z'),
      summary: 'Inbound call, answered (jdoe)',
      details: {
        direction: 'inbound',
        durationSeconds: 135,
        outcome: 'answered',
        agentId: 'jdoe',
        queue: 'BasicQueue',
        callId: call.contactId,
        notes: 'Disconnect reason: CUSTOMER_DISCONNECT. In queue 15 s, with the agent 120 s, on hold 10 s, after-call work 30 s.',
      },
    });
  });

  it('maps direction and outcome from InitiationMethod and what the contact reached: abandoned in queue, outbound', async () => {
    const abandoned = newCall({ answered: false });
    const outbound = newCall({ initiationMethod: 'OUTBOUND' });

    await deliverRecords([contactTraceRecord(abandoned), contactTraceRecord(outbound)]);

    const [abandonedTouchpoint] = await touchpointsOf(abandoned);
    const [outboundTouchpoint] = await touchpointsOf(outbound);
    expect(abandonedTouchpoint?.details).toMatchObject({ direction: 'inbound', outcome: 'abandoned', durationSeconds: 40, queue: 'BasicQueue' });
    expect(abandonedTouchpoint?.details).not.toHaveProperty('agentId');
    expect(outboundTouchpoint?.details).toMatchObject({ direction: 'outbound', outcome: 'answered' });
  });

  it('keeps one touchpoint for a record delivered twice, in one batch and in a later one', async () => {
    const call = newCall();
    const record = contactTraceRecord(call);

    const answers = [await deliverRecords([record, record]), await deliverRecords([record])];

    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await touchpointsOf(call)).toHaveLength(1);
  });

  it('amends the touchpoint with a newer copy of the record, and an older copy after it changes nothing', async () => {
    const call = newCall();
    const first = contactTraceRecord({ ...call, updatedAfter: 170 });
    const newer = contactTraceRecord({ ...call, updatedAfter: 600, disconnectReason: 'AGENT_DISCONNECT' });

    await deliverRecords([first]);
    await deliverRecords([newer]);
    await deliverRecords([first]);

    expect(await notesOfOnlyTouchpoint(call)).toMatch(/^Disconnect reason: AGENT_DISCONNECT\./);
  });

  it('keeps the newest when the copies arrive out of order, in one batch or across batches', async () => {
    const inOneBatch = newCall();
    const acrossBatches = newCall();
    const older = (call: CallTimeline) => contactTraceRecord({ ...call, updatedAfter: 170, disconnectReason: 'CUSTOMER_DISCONNECT' });
    const newest = (call: CallTimeline) => contactTraceRecord({ ...call, updatedAfter: 900, disconnectReason: 'AGENT_DISCONNECT' });

    await deliverRecords([newest(inOneBatch), older(inOneBatch)]);
    await deliverRecords([newest(acrossBatches)]);
    await deliverRecords([older(acrossBatches)]);

    for (const call of [inOneBatch, acrossBatches]) {
      expect(await notesOfOnlyTouchpoint(call)).toMatch(/AGENT_DISCONNECT/);
    }
  });

  it('amends the touchpoint an earlier delivery ingested but could not note the version of (it stopped in between)', async () => {
    const call = newCall();
    const interrupted = mapContactTraceRecord(contactTraceRecordSchema.parse(contactTraceRecord({ ...call, updatedAfter: 170 })));
    if ('unmapped' in interrupted) throw new Error('the fixture must map');
    await recordConnectorTouchpoint(connectorClient(connectSource, ['call']), interrupted.touchpoint, call.contactId, new Date());

    const answer = await deliverRecords([contactTraceRecord({ ...call, updatedAfter: 600, disconnectReason: 'AGENT_DISCONNECT' })]);

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(await notesOfOnlyTouchpoint(call)).toMatch(/AGENT_DISCONNECT/);
  });

  it('lets the newest of several versions delivered at once win, whichever lands first', async () => {
    const call = newCall();
    await deliverRecords([contactTraceRecord({ ...call, updatedAfter: 170 })]);
    const versions = [300, 900, 600].map((updatedAfter) =>
      contactTraceRecord({ ...call, updatedAfter, disconnectReason: updatedAfter === 900 ? 'AGENT_DISCONNECT' : 'TELECOM_PROBLEM' }),
    );

    const answers = await Promise.all(versions.map((version) => deliverRecords([version])));

    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await notesOfOnlyTouchpoint(call)).toMatch(/AGENT_DISCONNECT/);
  });

  it('brings back nothing of an erased caller when a newer copy of their contact arrives', async () => {
    const call = newCall();
    await deliverRecords([contactTraceRecord({ ...call, updatedAfter: 170 })]);
    const customerId = (await lookupCustomer({ phone: call.caller })).body.customer.customerId as string;
    expect((await eraseCustomer(customerId)).status).toBe(200);

    const answer = await deliverRecords([contactTraceRecord({ ...call, updatedAfter: 600, disconnectReason: 'AGENT_DISCONNECT' })]);

    expect(answer).toEqual({ batchItemFailures: [] });
    expect((await lookupCustomer({ phone: call.caller })).status).toBe(404);
  });

  it('reports only a poison record in batchItemFailures and records the good ones around it', async () => {
    const before = newCall();
    const after = newCall();
    const event = kinesisEvent([contactTraceRecord(before), '{"ContactId": "truncated', { ContactId: 'x', Channel: 'VOICE' }, contactTraceRecord(after)]);
    const [, notJson, notARecord] = event.Records;

    const answer = await recordsHandler(event, lambdaContext);

    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: notJson?.kinesis.sequenceNumber }, { itemIdentifier: notARecord?.kinesis.sequenceNumber }]);
    expect(await touchpointsOf(before)).toHaveLength(1);
    expect(await touchpointsOf(after)).toHaveLength(1);
  });

  it('acknowledges and stores nothing for contacts that are no customer call: a chat, a transferred leg, a withheld number', async () => {
    const chat = newCall();
    const transferred = newCall({ initiationMethod: 'TRANSFER' });
    const withheld = newCall();

    const answer = await deliverRecords([
      { ...contactTraceRecord(chat), Channel: 'CHAT' },
      contactTraceRecord(transferred),
      { ...contactTraceRecord(withheld), CustomerEndpoint: null },
    ]);

    expect(answer).toEqual({ batchItemFailures: [] });
    for (const call of [chat, transferred, withheld]) expect((await lookupCustomer({ phone: call.caller })).status).toBe(404);
  });
});

describe('Amazon Connect contact events (EventBridge)', () => {
  it('records a DISCONNECTED contact event as the call touchpoint, naming queue and agent by their ids', async () => {
    const call = newCall();

    await eventsHandler(contactEvent(call, 'DISCONNECTED'), lambdaContext);

    const [touchpoint, ...others] = await touchpointsOf(call);
    expect(others).toEqual([]);
    expect(touchpoint?.details).toMatchObject({
      direction: 'inbound',
      durationSeconds: 135,
      outcome: 'answered',
      agentId: 'bbbbbbbb-cccc-dddd-eeee-ffffffffffff',
      queue: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      notes: 'Disconnect reason: CUSTOMER_DISCONNECT. In queue 15 s, with the agent 120 s.',
    });
  });

  it('lets the contact record outrank the events of the same contact, whichever comes first', async () => {
    const eventFirst = newCall();
    const recordFirst = newCall();
    const late = new Date(Date.now() - 60_000);

    await eventsHandler(contactEvent(eventFirst, 'DISCONNECTED'), lambdaContext);
    await deliverRecords([contactTraceRecord(eventFirst), contactTraceRecord(recordFirst)]);
    await eventsHandler(contactEvent(eventFirst, 'COMPLETED', { time: late }), lambdaContext);
    await eventsHandler(contactEvent(recordFirst, 'DISCONNECTED', { time: late }), lambdaContext);

    for (const call of [eventFirst, recordFirst]) {
      const touchpoints = await touchpointsOf(call);
      expect(touchpoints).toHaveLength(1);
      expect(touchpoints[0]?.details).toMatchObject({ agentId: 'jdoe', queue: 'BasicQueue' });
    }
  });

  it('keeps the newest of two events of one contact, and stores nothing for events before the end or without a caller number', async () => {
    const call = newCall();
    const early = newCall();
    const anonymous = newCall();
    const disconnectedAt = new Date(call.start.getTime() + 136_000);

    await eventsHandler(contactEvent(call, 'COMPLETED', { time: new Date(disconnectedAt.getTime() + 30_000) }), lambdaContext);
    await eventsHandler(
      {
        ...contactEvent(call, 'DISCONNECTED', { time: disconnectedAt }),
        detail: { ...contactEvent(call, 'DISCONNECTED').detail, disconnectReason: 'TELECOM_PROBLEM' },
      },
      lambdaContext,
    );
    await eventsHandler(contactEvent(early, 'CONNECTED_TO_AGENT'), lambdaContext);
    await eventsHandler(contactEvent(anonymous, 'DISCONNECTED', { withCaller: false }), lambdaContext);

    expect(await notesOfOnlyTouchpoint(call)).toMatch(/CUSTOMER_DISCONNECT/);
    expect((await lookupCustomer({ phone: early.caller })).status).toBe(404);
    expect((await lookupCustomer({ phone: anonymous.caller })).status).toBe(404);
  });

  it('keeps one touchpoint, the later event, when two events of a new contact arrive at once', async () => {
    const call = newCall();
    const disconnectedAt = new Date(call.start.getTime() + 136_000);
    const disconnected = { ...contactEvent(call, 'DISCONNECTED', { time: disconnectedAt }) };
    const completed = contactEvent({ ...call, disconnectReason: 'AGENT_DISCONNECT' }, 'COMPLETED', { time: new Date(disconnectedAt.getTime() + 30_000) });

    await Promise.all([eventsHandler(disconnected, lambdaContext), eventsHandler(completed, lambdaContext)]);

    expect(await notesOfOnlyTouchpoint(call)).toMatch(/AGENT_DISCONNECT/);
  });

  it('throws for an event that is not an Amazon Connect contact event, so Lambda retries it and then dead-letters it', async () => {
    const call = newCall();
    const forged = { ...contactEvent(call, 'DISCONNECTED'), source: 'my.app' };

    await expect(eventsHandler(forged, lambdaContext)).rejects.toThrow('Not an Amazon Connect contact event');
    expect((await lookupCustomer({ phone: call.caller })).status).toBe(404);
  });
});
