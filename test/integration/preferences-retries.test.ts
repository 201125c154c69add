import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as mergeHandler } from '../../functions/merge-customers/handler.ts';
import { handler as setPreferencesHandler } from '../../functions/set-preferences/handler.ts';
import { recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { type FaultInjector, injectDynamoDbFaults, seededRandom } from '../../shared/db/fault-injection.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { createTestTable, itemsOfEntity, scanTable } from '../helpers/dynamodb.ts';
import { getCustomer, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { touchpointBody, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/** PUT preferences under faults and retries: all or nothing, a retry answers as the first try, no input answers 500. */
function put(customerId: string, body: unknown, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(
    setPreferencesHandler,
    apiEvent({
      method: 'PUT',
      routePath: '/v1/customers/{customerId}/preferences',
      path: `/v1/customers/${encodeURIComponent(customerId)}/preferences`,
      pathParameters: { customerId },
      body,
      headers,
    }),
  );
}

const change = (sms: 'opted_in' | 'opted_out') => ({ channels: { sms }, receivedVia: 'call', source: 'call-centre' });

async function newCustomer(): Promise<{ customerId: string; email: string }> {
  const email = uniqueEmail();
  const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164, email } }));
  return { customerId, email };
}

async function preferenceTouchpoints(customerId: string) {
  return (await wholeTimeline(customerId)).filter((item) => (item.details as { kind?: string }).kind === 'contact_preferences');
}

let faults: FaultInjector | undefined;

beforeAll(async () => {
  await createTestTable();
});

afterEach(() => {
  faults?.detach();
  faults = undefined;
});

/** Only the first call of a command fails, with the given kind of fault. */
function failFirst(command: string, kind: 'lost-response' | 'transaction-throttle') {
  let draws = 0;
  faults = injectDynamoDbFaults(documentClient(), {
    rate: 0.5,
    kinds: [kind],
    commands: [command],
    random: () => (draws++ < 2 ? 0 : 0.999),
  });
}

describe('PUT preferences with an Idempotency-Key', () => {
  it('answers a retry exactly like the first try and records one touchpoint', async () => {
    const { customerId } = await newCustomer();
    const headers = { 'idempotency-key': `prefs-${unique()}` };
    const first = await put(customerId, change('opted_out'), headers);

    const retry = await put(customerId, change('opted_out'), headers);

    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await preferenceTouchpoints(customerId)).toHaveLength(1);
  });

  it('answers 409 for the key reused with other preferences, or for another customer, and changes nothing', async () => {
    const { customerId } = await newCustomer();
    const other = await newCustomer();
    const headers = { 'idempotency-key': `prefs-${unique()}` };
    await put(customerId, change('opted_out'), headers);
    const before = await scanTable();

    const otherBody = await put(customerId, change('opted_in'), headers);
    const otherCustomer = await put(other.customerId, change('opted_out'), headers);

    expect(otherBody.status).toBe(409);
    expect(otherCustomer.status).toBe(409);
    expect((await scanTable()).filter((item) => item.entity !== 'readAudit')).toEqual(before.filter((item) => item.entity !== 'readAudit'));
  });

  it('answers the retry of a change whose answer was lost with the change that committed', async () => {
    const { customerId } = await newCustomer();
    const headers = { 'idempotency-key': `prefs-${unique()}` };
    failFirst('TransactWriteItemsCommand', 'lost-response');
    const lost = await put(customerId, change('opted_out'), headers);
    faults?.detach();

    const retry = await put(customerId, change('opted_out'), headers);

    const recorded = await preferenceTouchpoints(customerId);
    expect(lost.status).toBe(503);
    expect(retry.status).toBe(200);
    expect(recorded.map((item) => item.touchpointId)).toEqual([retry.body.touchpointId]);
    expect(retry.body.changes).toEqual(['sms not stated -> opted_out']);
  });

  it('stores nothing when the write fails, then records the change on the retry', async () => {
    const { customerId } = await newCustomer();
    failFirst('TransactWriteItemsCommand', 'transaction-throttle');
    const before = await scanTable();
    const failed = await put(customerId, change('opted_out'), { 'idempotency-key': `prefs-${unique()}` });
    const after = await scanTable();
    faults?.detach();

    const retry = await put(customerId, change('opted_out'));

    expect(failed.status).toBe(503);
    expect(after).toEqual(before);
    expect(retry.status).toBe(200);
    expect((await getCustomer(customerId)).status).toBe(200);
  });

  it('acknowledges every change exactly once at a 20% fault rate, and the profile holds the last one', async () => {
    const { customerId } = await newCustomer();
    const requests = Array.from({ length: 12 }, (_, index) => ({
      key: `prefs-${unique()}-${index}`,
      body: change(index % 2 === 0 ? 'opted_out' : 'opted_in'),
    }));
    faults = injectDynamoDbFaults(documentClient(), {
      rate: 0.2,
      random: seededRandom(77),
      kinds: ['lost-response', 'transaction-throttle', 'throttle', 'timeout'],
    });
    const answers: InvokeResult[] = [];
    const statuses: number[] = [];
    for (const request of requests) {
      let answer: InvokeResult;
      do {
        answer = await put(customerId, request.body, { 'idempotency-key': request.key });
        statuses.push(answer.status);
      } while (answer.status === 503);
      answers.push(answer);
    }
    faults.detach();

    const recorded = await preferenceTouchpoints(customerId);
    const profile = (await itemsOfEntity('customer')).find((item) => item.customerId === customerId);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses).toContain(503);
    // Some changes committed although their first answer was a 503: the retries must not record them again.
    expect(faults.stats.injected['lost-response']).toBeGreaterThan(0);
    expect(recorded.map((item) => item.touchpointId).sort()).toEqual(answers.map((answer) => answer.body.touchpointId).sort());
    expect((profile?.preferences as { channels: unknown } | undefined)?.channels).toEqual({ sms: 'opted_in' });
  }, 60_000);
});

describe('what an Idempotency-Key costs a preferences change', () => {
  it("is one read more: the key's record, read with one BatchGetItem before the customer", async () => {
    // Two customers, each changed once: the card's fast path holds for both.
    const [one, other] = [await newCustomer(), await newCustomer()];
    const recorder = recordDynamoDbCalls(documentClient());
    try {
      await put(one.customerId, change('opted_out'));
      const withoutKey = recorder.calls.map((call) => call.command);
      recorder.reset();
      await put(other.customerId, change('opted_out'), { 'idempotency-key': `prefs-${unique()}` });
      const withKey = recorder.calls.map((call) => call.command);

      expect(withKey).toEqual(['BatchGetItemCommand', ...withoutKey]);
      expect(withoutKey).toEqual(['QueryCommand', 'TransactWriteItemsCommand']);
    } finally {
      recorder.detach();
    }
  });
});

describe('PUT preferences on a merged-away customer', () => {
  it('records on the survivor instead of answering 503 for ever', async () => {
    const target = await newCustomer();
    const source = await newCustomer();
    const merged = await invoke(
      mergeHandler,
      apiEvent({
        routePath: '/v1/customers/{customerId}/merge',
        path: `/v1/customers/${target.customerId}/merge`,
        pathParameters: { customerId: target.customerId },
        body: { sourceCustomerId: source.customerId, reason: 'same person' },
      }),
    );

    const response = await put(source.customerId, change('opted_out'));

    expect(merged.status).toBeLessThan(300);
    expect(response.status).toBe(200);
    expect(response.body.customerId).toBe(target.customerId);
    expect((await preferenceTouchpoints(target.customerId)).map((item) => item.touchpointId)).toContain(response.body.touchpointId);
  });
});

describe('PUT preferences with hostile strings', () => {
  const hostile = [
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'null',
    'true',
    '',
    ' ',
    '#',
    'a#b',
    'phone#+447911123456',
    'x'.repeat(1024),
    '\u0000',
    '\ud83d\ude00',
    'e\u0301',
    '\u202e',
    '${x}',
    "'; --",
    'SELECT',
    'status',
    'name',
    'Europe/London\u0000',
  ];
  const bodies = (email: string): Array<[string, unknown]> => [
    ...hostile.map((value): [string, unknown] => ['channels key', { ...change('opted_out'), channels: { [value]: 'opted_in' } }]),
    ...hostile.map((value): [string, unknown] => ['channels value', { ...change('opted_out'), channels: { sms: value } }]),
    ...hostile.map((value): [string, unknown] => ['preferredChannel', { ...change('opted_out'), preferredChannel: value }]),
    ...hostile.map((value): [string, unknown] => ['quietHours.start', { ...change('opted_out'), quietHours: { start: value, end: '08:00', timeZone: 'UTC' } }]),
    ...hostile.map((value): [string, unknown] => [
      'quietHours.timeZone',
      { ...change('opted_out'), quietHours: { start: '21:00', end: '08:00', timeZone: value } },
    ]),
    ...hostile.map((value): [string, unknown] => ['identifiers.type', { ...change('opted_out'), identifiers: [{ type: value, value: email }] }]),
    ...hostile.map((value): [string, unknown] => [
      'identifiers.value',
      { ...change('opted_out'), identifiers: [{ type: 'email', value, marketing: 'opted_in' }] },
    ]),
    ...hostile.map((value): [string, unknown] => [
      'identifiers.marketing',
      { ...change('opted_out'), identifiers: [{ type: 'email', value: email, marketing: value }] },
    ]),
    ...hostile.map((value): [string, unknown] => ['receivedVia', { ...change('opted_out'), receivedVia: value }]),
    ...hostile.map((value): [string, unknown] => ['source', { ...change('opted_out'), source: value }]),
    ...hostile.map((value): [string, unknown] => ['an unknown field', { ...change('opted_out'), [value]: 'x' }]),
    ['a prototype-polluting body', JSON.parse('{"channels":{"__proto__":{"sms":"opted_in"}},"receivedVia":"call","__proto__":{"x":1}}')],
  ];

  it('never answers a 5xx, and a refused change stores nothing', async () => {
    const { customerId, email } = await newCustomer();
    const failures: string[] = [];
    let accepted = 0;
    for (const [field, body] of bodies(email)) {
      const answer = await put(customerId, body, { 'idempotency-key': `hostile-${unique()}` });
      if (answer.status >= 500) failures.push(`${field}: ${answer.status} ${answer.rawBody.slice(0, 120)}`);
      if (answer.status === 200) accepted += 1;
    }

    expect(failures).toEqual([]);
    // Each accepted change is one touchpoint; a refused one left none.
    expect(await preferenceTouchpoints(customerId)).toHaveLength(accepted);
    expect(accepted).toBeGreaterThan(0);
  }, 120_000);

  it('never answers a 5xx for a hostile customer id in the path', async () => {
    const answers = await Promise.all(hostile.map((value) => put(value, change('opted_out'))));

    expect(answers.map((answer) => answer.status).filter((status) => status >= 500)).toEqual([]);
  });
});
