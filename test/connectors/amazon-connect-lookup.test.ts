import { performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectInstanceArn, contactFlowEvent } from './fixtures/amazon-connect.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { putPreferences, recordTouchpoint } from '../helpers/handlers.ts';
import { recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { accessLogStore, auditClient } from '../../shared/db/privacy-store-instances.ts';

process.env.CONNECT_INSTANCE_ARN = connectInstanceArn;
process.env.CONSOLE_URL = 'https://console.touchpoints.test/console/';

const { handler, lookupConnectCaller } = await import('../../functions/lookup-connect-caller/handler.ts');

beforeAll(async () => {
  await createTestTable();
});

const lambdaContext = { functionName: 'lookup-connect-caller', awsRequestId: 'req-1' } as Context;

describe('Amazon Connect live lookup', () => {
  it('answers a known caller with a flat string map of the card, whatever format Connect gives the number in', async () => {
    const phone = uniquePhone();
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.national } }));
    await recordTouchpoint(touchpointBody({ channel: 'invoice_query', identifiers: { phone: phone.e164 } }));

    const answer = await handler(contactFlowEvent(phone.e164), lambdaContext);

    expect(answer).toEqual({
      found: 'true',
      ambiguous: 'false',
      customerId,
      displayName: '',
      valueTier: expect.any(String),
      openInvoiceQueries: '1',
      doNotContact: 'false',
      consoleUrl: `https://console.touchpoints.test/console/?phone=${encodeURIComponent(phone.e164)}`,
    });
    expect(Object.values(answer).every((value) => typeof value === 'string')).toBe(true);
  });

  it('flags a caller who opted out of phone contact, on the customer or on this number', async () => {
    const customerWide = uniquePhone();
    const onTheNumber = uniquePhone();
    const first = await recordTouchpoint(touchpointBody({ identifiers: { phone: customerWide.e164 } }));
    const second = await recordTouchpoint(touchpointBody({ identifiers: { phone: onTheNumber.e164 } }));
    expect((await putPreferences(first.customerId, { channels: { phone: 'opted_out' } })).status).toBe(200);
    expect(
      (await putPreferences(second.customerId, { identifiers: [{ type: 'phone', value: onTheNumber.e164, channels: { phone: 'opted_out' } }] })).status,
    ).toBe(200);

    const answers = [await lookupConnectCaller(contactFlowEvent(customerWide.e164)), await lookupConnectCaller(contactFlowEvent(onTheNumber.e164))];

    expect(answers.map((answer) => answer.doNotContact)).toEqual(['true', 'true']);
  });

  it('answers found=false, every key present, for an unknown or withheld number', async () => {
    const unknown = await lookupConnectCaller(contactFlowEvent(uniquePhone().e164));
    const withheld = await lookupConnectCaller(contactFlowEvent(null));
    const anonymous = await lookupConnectCaller(contactFlowEvent('anonymous'));

    for (const answer of [unknown, withheld, anonymous]) {
      expect(answer).toMatchObject({ found: 'false', customerId: '', openInvoiceQueries: '0', consoleUrl: '' });
      expect(Object.keys(answer).sort()).toEqual(Object.keys(unknown).sort());
    }
  });

  it('names no customer for a number several customers share: the screen pop lets the agent choose', async () => {
    const shared = uniquePhone();
    const first = await recordTouchpoint(touchpointBody({ identifiers: { phone: shared.e164 } }));
    const other = await recordTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));
    const { apiEvent, invoke } = await import('../helpers/api-event.ts');
    const { handler: linkHandler } = await import('../../functions/link-identifier/handler.ts');
    const linked = await invoke(
      linkHandler,
      apiEvent({
        method: 'POST',
        routePath: '/v1/customers/{customerId}/identifiers',
        path: `/v1/customers/${other.customerId}/identifiers`,
        pathParameters: { customerId: other.customerId },
        body: { type: 'phone', value: shared.e164, shared: true },
      }),
    );
    expect(linked.status).toBeLessThan(300);

    const answer = await lookupConnectCaller(contactFlowEvent(shared.e164));

    expect(answer).toMatchObject({ found: 'true', ambiguous: 'true', customerId: '' });
    expect(answer.consoleUrl).toContain(encodeURIComponent(shared.e164));
    expect(first.customerId).not.toBe(other.customerId);
  });

  it("records the read in the customer's access log, as the API's lookup does", async () => {
    const phone = uniquePhone();
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));

    await lookupConnectCaller(contactFlowEvent(phone.e164, { contactId: 'contact-audited-1' }));

    const log = await accessLogStore().list(customerId, { limit: 10 });
    expect(log.items).toEqual([
      expect.objectContaining({ clientName: 'amazon-connect', operation: 'connect-lookup', via: 'phone', requestId: 'contact-audited-1' }),
    ]);
  });

  it("refuses an event of another Connect instance (the flow takes its Error branch) and one that is not a contact flow's", async () => {
    const phone = uniquePhone();
    await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));
    const otherInstance = contactFlowEvent(phone.e164, { instanceArn: connectInstanceArn.replace('111111111111', '222222222222') });

    await expect(lookupConnectCaller(otherInstance)).rejects.toThrow(/unexpected Amazon Connect instance/);
    await expect(lookupConnectCaller({ Details: {} })).rejects.toThrow(/Not an Amazon Connect contact flow event/);
  });

  it("answers in a few ms in AWS: two reads and the audit's write, whatever the card holds", async () => {
    const phone = uniquePhone();
    await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));
    const reads = recordDynamoDbCalls(documentClient());
    const audits = recordDynamoDbCalls(auditClient());

    const started = performance.now();
    await lookupConnectCaller(contactFlowEvent(phone.e164));
    const elapsed = performance.now() - started;
    reads.detach();
    audits.detach();
    // DynamoDB Local is far slower than DynamoDB: the round trips are what carries over (about 5 ms each in AWS).
    console.info(`Connect lookup against DynamoDB Local: ${elapsed.toFixed(1)} ms, ${reads.calls.length + audits.calls.length} round trips`);

    expect(reads.calls.map((call) => call.command)).toEqual(['GetItemCommand', 'QueryCommand']);
    expect(audits.calls.map((call) => call.command)).toEqual([expect.stringMatching(/^Put/)]);
  });
});
