import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { accessLogStore, auditClient } from '../../shared/db/privacy-store-instances.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { authorizerContext } from '../helpers/credentials.ts';
import { countAllItems, createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, lookupCustomer, recordTouchpoint } from '../helpers/handlers.ts';
import { exportCustomer, getAccessLog } from '../helpers/privacy-handlers.ts';
import { handler as listIdentifiersHandler } from '../../functions/list-identifiers/handler.ts';
import { handler as listMergeCandidatesHandler } from '../../functions/list-merge-candidates/handler.ts';
import { handler as listMergesHandler } from '../../functions/list-merges/handler.ts';
import { handler as lookupHandler } from '../../functions/lookup-customer/handler.ts';
import { touchpointBody, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const unknownCustomerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';

async function entriesOf(customerId: string) {
  const response = await getAccessLog(customerId, { limit: '200' });
  expect(response.status).toBe(200);
  return response.body.items as Array<{ operation: string; clientName: string; via: string | null; at: string }>;
}

describe('the read audit', () => {
  it('records a lookup by phone: who, how and when, but not the number', async () => {
    const phone = uniquePhone();
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));
    const before = Date.now();

    await lookupCustomer({ phone: phone.national });

    const [entry] = await entriesOf(customerId);
    expect(entry).toMatchObject({ operation: 'lookup', via: 'phone', clientName: 'test-suite', clientId: 'key_test-suite' });
    expect(Date.parse(entry?.at ?? '')).toBeGreaterThanOrEqual(before - 5);
    expect(JSON.stringify(await itemsOfEntity('readAudit'))).not.toContain(phone.e164);
  });

  it('records reading the customer, the timeline and the export, newest first', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());

    await getCustomer(customerId);
    await getTimeline(customerId);
    await exportCustomer(customerId);

    expect((await entriesOf(customerId)).map((entry) => entry.operation)).toEqual(['export', 'timeline', 'get-customer']);
  });

  it('records reading the identifiers with their provenance and the merge history', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());
    const read = (handler: typeof listIdentifiersHandler, suffix: string) =>
      invoke(
        handler,
        apiEvent({ routePath: `/v1/customers/{customerId}/${suffix}`, path: `/v1/customers/${customerId}/${suffix}`, pathParameters: { customerId } }),
      );

    expect((await read(listIdentifiersHandler, 'identifiers')).status).toBe(200);
    expect((await read(listMergesHandler, 'merges')).status).toBe(200);

    expect((await entriesOf(customerId)).map((entry) => entry.operation)).toEqual(['list-merges', 'list-identifiers']);
  });

  it('records listing a merge candidate for both customers it names', async () => {
    const phone = uniquePhone().e164;
    const email = uniqueEmail();
    const { customerId: byPhone } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const { customerId: byEmail } = await recordTouchpoint(touchpointBody({ identifiers: { email } }));
    await recordTouchpoint(touchpointBody({ identifiers: { phone, email } }));

    const response = await invoke(listMergeCandidatesHandler, apiEvent({ routePath: '/v1/merge-candidates', query: { limit: '100' } }));

    expect(response.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ customerIds: [byEmail, byPhone].sort() })]));
    expect((await entriesOf(byPhone)).map((entry) => entry.operation)).toContain('list-merge-candidates');
    expect((await entriesOf(byEmail)).map((entry) => entry.operation)).toContain('list-merge-candidates');
  });

  it('names the client that read', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));

    await invoke(
      lookupHandler,
      apiEvent({ routePath: '/v1/customers/lookup', query: { phone }, authorizer: authorizerContext(['customers:read'], 'call-centre') }),
    );

    expect((await entriesOf(customerId))[0]).toMatchObject({ clientName: 'call-centre', clientId: 'key_call-centre' });
  });

  it('leaves nothing behind for a customer id nobody has (404)', async () => {
    const before = await countAllItems();

    const response = await getCustomer(unknownCustomerId);

    expect(response.status).toBe(404);
    expect(await countAllItems()).toBe(before);
  });

  it('pages the access log with a cursor, every entry exactly once', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());
    for (let index = 0; index < 5; index += 1) await getCustomer(customerId);

    const first = await getAccessLog(customerId, { limit: '2' });
    const second = await getAccessLog(customerId, { limit: '2', cursor: first.body.nextCursor });
    const third = await getAccessLog(customerId, { limit: '2', cursor: second.body.nextCursor });

    const ats = [...first.body.items, ...second.body.items, ...third.body.items].map((entry: { at: string }) => entry.at);
    expect(ats).toHaveLength(5);
    expect([...ats].sort().reverse()).toEqual(ats);
    expect(third.body.nextCursor).toBeNull();
  });

  it("refuses another customer's cursor with 400", async () => {
    const first = await recordTouchpoint(touchpointBody());
    const second = await recordTouchpoint(touchpointBody());
    await getCustomer(first.customerId);
    await getCustomer(first.customerId);
    const page = await getAccessLog(first.customerId, { limit: '1' });

    const response = await getAccessLog(second.customerId, { cursor: page.body.nextCursor });

    expect(response.status).toBe(400);
  });

  it('answers 404 for the access log of a customer nobody has', async () => {
    expect((await getAccessLog(unknownCustomerId)).status).toBe(404);
  });

  it('shows nothing when the read cannot be recorded: 503, and no entry is left', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());
    vi.spyOn(accessLogStore(), 'record').mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    const response = await getCustomer(customerId);

    expect(response.status).toBe(503);
    expect(response.body.customer).toBeUndefined();
    expect(await entriesOf(customerId)).toEqual([]);
  });
});

describe('what the read audit costs a lookup', () => {
  let reads: CallRecorder;
  let audit: CallRecorder;

  afterEach(() => {
    reads?.detach();
    audit?.detach();
  });

  it('adds one PutItem, sent alongside the read: the lookup stays a GetItem then a Query', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    reads = recordDynamoDbCalls(documentClient());
    audit = recordDynamoDbCalls(auditClient());

    await lookupCustomer({ phone });

    expect(reads.calls.map((call) => call.command)).toEqual(['GetItemCommand', 'QueryCommand']);
    expect(audit.calls.map((call) => call.command)).toEqual(['PutItemCommand']);
  });

  it.each([
    ['timeline', () => getTimeline(unknownCustomerId, { limit: 'many' })],
    ['export', () => exportCustomer(unknownCustomerId, { limit: '0' })],
  ])('refuses a bad query of the %s route with 422 before any DynamoDB call, audit entries included', async (_route, send) => {
    reads = recordDynamoDbCalls(documentClient());
    audit = recordDynamoDbCalls(auditClient());

    const response = await send();

    expect(response.status, response.rawBody).toBe(422);
    expect([...reads.calls, ...audit.calls].map((call) => call.command)).toEqual([]);
  });

  it('sends the audit PutItem while the Query that reads the customer is still under way', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const events: string[] = [];
    const watch = (client: ReturnType<typeof documentClient>, name: string) =>
      client.middlewareStack.add(
        (next, context) => async (args) => {
          events.push(`${name}:${context.commandName}:sent`);
          const output = await next(args);
          events.push(`${name}:${context.commandName}:answered`);
          return output;
        },
        { step: 'initialize', name: `watch-${name}` },
      );
    watch(documentClient(), 'read');
    watch(auditClient(), 'audit');
    try {
      await lookupCustomer({ phone });
    } finally {
      documentClient().middlewareStack.remove('watch-read');
      auditClient().middlewareStack.remove('watch-audit');
    }

    expect(events.indexOf('audit:PutItemCommand:sent')).toBeGreaterThan(events.indexOf('read:GetItemCommand:answered'));
    expect(events.indexOf('audit:PutItemCommand:sent')).toBeLessThan(events.indexOf('read:QueryCommand:answered'));
  });

  it('costs the lookup little more than the slower of the Query and the PutItem (measured, printed)', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const runs = 30;
    const audited: number[] = [];
    const unaudited: number[] = [];
    const record = vi.spyOn(accessLogStore(), 'record');
    // Interleaved, so that warm-up and machine load fall on both alike.
    for (let run = 0; run < 2 * runs; run += 1) {
      const instant = run % 2 === 1;
      // With the audit write answered at once: what the audit adds to the critical path is the difference.
      if (instant) record.mockResolvedValueOnce(undefined);
      const started = performance.now();
      expect((await lookupCustomer({ phone })).status).toBe(200);
      (instant ? unaudited : audited).push(performance.now() - started);
    }
    record.mockRestore();
    const median = (samples: number[]) => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
    // And one PutItem of an entry on its own: what a sequential audit write would add.
    const putSamples: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      await accessLogStore().record({
        customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
        entryId: `probe-${run}`,
        at: new Date().toISOString(),
        clientId: 'probe',
        clientName: 'probe',
        operation: 'probe',
        via: null,
        requestId: 'probe',
      });
      putSamples.push(performance.now() - started);
    }
    const put = median(putSamples);

    console.log(
      `[read-audit cost] lookup median ${median(audited).toFixed(1)} ms audited, ${median(unaudited).toFixed(1)} ms with an instant audit write; ` +
        `one PutItem alone ${put.toFixed(1)} ms (${runs} runs each)`,
    );
    expect(audited).toHaveLength(runs);
  });
});
