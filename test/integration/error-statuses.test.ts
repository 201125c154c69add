import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as routeNotFoundHandler } from '../../functions/route-not-found/handler.ts';
import { handler as ingestHandler } from '../../functions/ingest-touchpoint/handler.ts';
import { documentClient } from '../../shared/db/client.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { countItems, createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, lookupCustomer, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

const unknownCustomerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';

function postRaw(body: string, headers: Record<string, string>): Promise<InvokeResult> {
  return invoke(ingestHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints', body, headers }));
}

function expectProblem(response: InvokeResult, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
}

/** Runs a request and answers it along with how many items the table gained meanwhile. */
async function storedDuring<T>(request: () => Promise<T>): Promise<{ response: T; stored: number }> {
  const before = await countItems();
  const response = await request();
  return { response, stored: (await countItems()) - before };
}

describe('400 malformed JSON', () => {
  it('answers 400 problem details and stores nothing', async () => {
    const { response, stored } = await storedDuring(() =>
      postRaw('{"channel": "call", "identifiers": {"phone": "020 7946 0018"', { 'content-type': 'application/json' }),
    );

    expectProblem(response, 400);
    expect(stored).toBe(0);
  });

  it('answers 400 for an empty body sent as JSON', async () => {
    const response = await postRaw('', { 'content-type': 'application/json' });

    expectProblem(response, 400);
  });
});

describe('415 unsupported media type', () => {
  it('answers 415 for a text/plain body and stores nothing', async () => {
    const { response, stored } = await storedDuring(() => postRaw(JSON.stringify(touchpointBody()), { 'content-type': 'text/plain' }));

    expectProblem(response, 415);
    expect(stored).toBe(0);
  });

  it('answers 415 when the content type is missing and stores nothing', async () => {
    const { response, stored } = await storedDuring(() => postRaw(JSON.stringify(touchpointBody()), {}));

    expectProblem(response, 415);
    expect(stored).toBe(0);
  });

  it('accepts application/json with a charset', async () => {
    const response = await postRaw(JSON.stringify(touchpointBody()), { 'content-type': 'application/json; charset=utf-8' });

    expect(response.status).toBe(201);
  });
});

describe('413 payload too large', () => {
  it('answers 413 for a body over 256 KB and stores nothing', async () => {
    const body = touchpointBody({ details: { direction: 'inbound', durationSeconds: 1, notes: 'x'.repeat(257 * 1024) } });

    const { response, stored } = await storedDuring(() => postRaw(JSON.stringify(body), { 'content-type': 'application/json' }));

    expectProblem(response, 413);
    expect(stored).toBe(0);
  });

  it('measures the limit in bytes, not characters', async () => {
    // 100 000 three-byte characters: 300 KB of UTF-8 in fewer than 256 K characters.
    const body = touchpointBody({ summary: '€'.repeat(100_000) });

    const response = await postRaw(JSON.stringify(body), { 'content-type': 'application/json' });

    expectProblem(response, 413);
  });
});

describe('422 invalid fields', () => {
  it('answers 422 naming identifiers.phone for an invalid phone number, and stores nothing', async () => {
    const { response, stored } = await storedDuring(() => postTouchpoint(touchpointBody({ identifiers: { phone: '020 7946 001' } })));

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([{ path: 'identifiers.phone', message: expect.any(String) }]);
    expect(stored).toBe(0);
  });

  it('names every invalid field at once', async () => {
    const body = { ...touchpointBody({ identifiers: { email: 'not-an-email' } }), source: '' };

    const response = await postTouchpoint(body);

    expectProblem(response, 422);
    expect(response.body.errors.map((error: { path: string }) => error.path)).toEqual(expect.arrayContaining(['identifiers.email', 'source']));
  });

  it('answers 422 naming the detail field that is wrong for the channel, and stores nothing', async () => {
    const { response, stored } = await storedDuring(() =>
      postTouchpoint(touchpointBody({ channel: 'invoice_query', details: { invoiceNumber: 'INV-1', status: 'lost' } })),
    );

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'details.status' })]);
    expect(stored).toBe(0);
  });

  it('answers 422 for an occurredAt more than 5 minutes in the future, and stores nothing', async () => {
    const occurredAt = new Date(Date.now() + 6 * 60_000).toISOString();

    const { response, stored } = await storedDuring(() => postTouchpoint(touchpointBody({ occurredAt })));

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'occurredAt' })]);
    expect(stored).toBe(0);
  });

  it('answers 422 for an occurredAt without a UTC offset, and stores nothing', async () => {
    const { response, stored } = await storedDuring(() => postTouchpoint(touchpointBody({ occurredAt: '2026-11-20T09:00:00' })));

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'occurredAt' })]);
    expect(stored).toBe(0);
  });

  it('answers 422 for a touchpoint with no identifiers, and stores nothing', async () => {
    const { response, stored } = await storedDuring(() => postTouchpoint(touchpointBody({ identifiers: {} })));

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'identifiers' })]);
    expect(stored).toBe(0);
  });

  it('answers 422 for a touchpoint without an identifiers field, and stores nothing', async () => {
    const { identifiers: _identifiers, ...body } = touchpointBody();

    const { response, stored } = await storedDuring(() => postTouchpoint(body));

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'identifiers' })]);
    expect(stored).toBe(0);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"call"'],
    ['a number', '42'],
  ])('answers 422, not 500, for a JSON body that is %s', async (_kind, body) => {
    const response = await postRaw(body, { 'content-type': 'application/json' });

    expectProblem(response, 422);
  });
});

describe('404 not found', () => {
  it('answers 404 problem details for a lookup of an unknown identifier', async () => {
    const response = await lookupCustomer({ phone: uniquePhone().e164 });

    expectProblem(response, 404);
  });

  it('answers 404 problem details for an unknown customer', async () => {
    const response = await getCustomer(unknownCustomerId);

    expectProblem(response, 404);
  });

  it("answers 404 problem details for an unknown customer's timeline", async () => {
    const response = await getTimeline(unknownCustomerId);

    expectProblem(response, 404);
  });

  it('answers 404 problem details for a route that does not exist', async () => {
    const response = await invoke(routeNotFoundHandler, apiEvent({ method: 'GET', routePath: '$default', path: '/v1/no-such-thing' }));

    expectProblem(response, 404);
    expect(response.body.detail).toContain('/v1/no-such-thing');
  });
});

describe('409 idempotency conflict', () => {
  it('answers 409 problem details when a key is reused for another body, and stores nothing', async () => {
    const headers = { 'Idempotency-Key': `key-${unique()}` };
    await recordTouchpoint(touchpointBody({ summary: 'first' }), headers);

    const { response, stored } = await storedDuring(() => postTouchpoint(touchpointBody({ summary: 'second' }), headers));

    expectProblem(response, 409);
    expect(stored).toBe(0);
  });
});

describe('503 when DynamoDB throttles', () => {
  const throttleName = 'test-throttle';
  let throttled: string[] = [];

  /**
   * Makes the shared client fail every call of `command` as a throttled DynamoDB would, after the
   * SDK's own retries (the middleware sits before the retry step, so the suite need not wait them out).
   */
  function throttle(command: string): void {
    throttled = [];
    documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === command) {
          throttled.push(command);
          throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $retryable: { throttling: true },
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'initialize', name: throttleName },
    );
  }

  afterEach(() => {
    documentClient().middlewareStack.remove(throttleName);
  });

  it('answers 503 with Retry-After when the write is throttled, and stores nothing', async () => {
    throttle('TransactWriteItemsCommand');

    const { response, stored } = await storedDuring(() => postTouchpoint(touchpointBody()));

    expectProblem(response, 503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.length).toBeGreaterThan(0);
    expect(stored).toBe(0);
  });

  it('answers 503 with Retry-After when a lookup is throttled', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    throttle('GetItemCommand');

    const response = await lookupCustomer({ phone });

    expectProblem(response, 503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('records the touchpoint normally once DynamoDB stops throttling', async () => {
    throttle('TransactWriteItemsCommand');
    await postTouchpoint(touchpointBody());
    documentClient().middlewareStack.remove(throttleName);

    const response = await postTouchpoint(touchpointBody());

    expect(response.status).toBe(201);
  });
});

describe('500 for what nobody expected', () => {
  const failureName = 'test-unexpected-failure';

  afterEach(() => {
    documentClient().middlewareStack.remove(failureName);
  });

  it('answers 500 problem details that leak nothing of the failure', async () => {
    documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') throw new Error('secret-internal-detail in table touchpoints-internal');
        return next(args);
      },
      { step: 'initialize', name: failureName },
    );

    const response = await getCustomer(unknownCustomerId);

    expectProblem(response, 500);
    expect(response.rawBody).not.toContain('secret-internal-detail');
    expect(response.rawBody).not.toContain('touchpoints-internal');
    expect(response.body.detail).toContain(response.body.requestId);
  });
});
