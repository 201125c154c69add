import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiProcess } from '../../bench/lib/api-process.ts';
import { createTouchpointClient, type RetryEvent, unwrap } from '../../clients/typescript/src/index.ts';
import { defaultTestClientName, defaultTestKey } from '../helpers/credentials.ts';
import { itemsOfEntity } from '../helpers/dynamodb.ts';
import { startApiWithFaults } from '../helpers/api-with-faults.ts';
import { uniqueEmail } from './stack.ts';

/**
 * The client against `npm start`'s server (dev/start.ts, its own process) with DynamoDB faults
 * switched on: a share of the writes is throttled (nothing stored, 503) or applied with DynamoDB's
 * answer lost (stored; the server then answers from what landed, or 503). Retrying with the same
 * Idempotency-Key must store every touchpoint once. A lost HTTP answer is client.test.ts's case.
 */
let api: ApiProcess;

beforeAll(async () => {
  api = await startApiWithFaults({
    TOUCHPOINT_FAULT_RATE: '0.3',
    TOUCHPOINT_FAULT_KINDS: 'lost-response,throttle',
    // Writes only: the authorizer's key lookup and the reads go through.
    TOUCHPOINT_FAULT_COMMANDS: 'TransactWriteItems,PutItem,UpdateItem',
    TOUCHPOINT_FAULT_SEED: '20261201',
  });
});

afterAll(async () => {
  await api?.stop();
});

describe('the client against a server whose writes fail', () => {
  it('retries each 503 with the same Idempotency-Key until it is answered, and every touchpoint is stored exactly once', async () => {
    const retries: RetryEvent[] = [];
    const client = createTouchpointClient({
      baseUrl: api.url,
      apiKey: defaultTestKey,
      retry: { maxAttempts: 10, onRetry: (event) => retries.push(event) },
    });
    const email = uniqueEmail('faults');
    const keys: string[] = [];
    const keyed = createTouchpointClient({
      baseUrl: api.url,
      apiKey: defaultTestKey,
      retry: { maxAttempts: 10, onRetry: (event) => retries.push(event) },
      idempotencyKey: () => {
        keys.push(`faults-${keys.length}`);
        return keys.at(-1) as string;
      },
    });

    const answers = [];
    for (let index = 0; index < 20; index += 1) {
      answers.push(
        await unwrap(
          (index % 2 === 0 ? client : keyed).POST('/v1/touchpoints', {
            body: {
              channel: 'web_visit',
              source: defaultTestClientName,
              identifiers: { email },
              summary: `visit ${index}`,
              details: { url: `https://example.com/visit/${index}` },
            },
          }),
        ),
      );
    }
    const customer = await client.lookup({ email });
    if (customer.kind !== 'found') throw new Error(`Expected the customer, got ${customer.kind}`);
    const timeline = [];
    for await (const touchpoint of client.timeline(customer.customer.customer.customerId)) timeline.push(touchpoint);
    const stored = (await itemsOfEntity('touchpoint')).length;

    expect(retries.length, 'the faults made the client retry').toBeGreaterThan(0);
    expect(retries.every((event) => event.status === 503 && event.idempotencyKey !== null)).toBe(true);
    expect(new Set(answers.map((answer) => answer.touchpointId)).size).toBe(20);
    expect(timeline.map((touchpoint) => touchpoint.summary).sort()).toEqual(Array.from({ length: 20 }, (_, index) => `visit ${index}`).sort());
    expect(new Set(timeline.map((touchpoint) => touchpoint.touchpointId))).toEqual(new Set(answers.map((answer) => answer.touchpointId)));
    expect(stored).toBe(20);
    expect(keys).toHaveLength(10);
  });
});
