import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, documentClient } from '../../shared/db/client.ts';
import { type FaultInjector, injectDynamoDbFaults, seededRandom } from '../../shared/db/fault-injection.ts';
import { identityOf, phoneRanges, signUpFor } from '../../bench/lib/data-set.ts';
import { planFaultRequests } from '../../bench/lib/fault-plan.ts';
import { checkIntegrity } from '../../bench/lib/integrity.ts';
import { defaultRetryPolicy, type PlannedRequest, runRetryingClients, type Transport } from '../../bench/lib/retrying-client.ts';
import { createTestTable, itemsOfEntity, testTableName } from '../helpers/dynamodb.ts';
import { postTouchpoint } from '../helpers/handlers.ts';

/**
 * The fault harness of bench/faults.ts in small: the ingest Lambda's handler, on the application's
 * own DynamoDB client with fault injection attached, fed by clients that retry a 503 with the same
 * Idempotency-Key. Randomness is seeded; the assertions are invariants, never timings.
 *
 * Anonymous visitors sign up along the way, so automatic merges run under the same faults; a
 * touchpoint meeting a merge cut short goes to its survivor.
 */

/** Straight into the ingest Lambda's handler, as API Gateway would call it. */
const handlerTransport: Transport = async (request) => {
  const answer = await postTouchpoint(request.body, { 'idempotency-key': request.idempotencyKey });
  const retryAfter = Number(answer.headers['retry-after']);
  return { status: answer.status, body: answer.rawBody, ...(retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}) };
};

/** Retries come quickly here: the test is about outcomes, not back-off. */
const testPolicy = { ...defaultRetryPolicy, baseDelayMs: 5, maxDelayMs: 50, random: seededRandom(11) };

let faults: FaultInjector | undefined;

beforeAll(async () => {
  await createTestTable();
});

afterEach(() => {
  faults?.detach();
  faults = undefined;
});

function inspector() {
  return createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
}

/** A sign-up of a customer of its own (the index keeps the tests' phone numbers apart). */
function oneRequest(tag: string, index: number): PlannedRequest {
  const customer = identityOf(900_000 + index, phoneRanges.faultTests, `${tag}-`);
  return { id: tag, idempotencyKey: `key-${tag}-${Date.now()}`, body: signUpFor(customer, { random: seededRandom(index), serial: tag }) };
}

describe('ingest under injected DynamoDB faults', () => {
  // Generous for a busy two-core machine; on an idle one it takes a few seconds.
  it('stores every acknowledged touchpoint exactly once, half-writes nothing and never answers 500 at a 20% fault rate', { timeout: 120_000 }, async () => {
    const requests = planFaultRequests({ customers: 12, followUps: 2, raceShare: 0.3, seed: 2026, phoneRange: phoneRanges.faultTests, tag: 'load' });
    faults = injectDynamoDbFaults(documentClient(), { rate: 0.2, random: seededRandom(2026) });

    const outcomes = await runRetryingClients(requests, { concurrency: 4, policy: testPolicy, transport: handlerTransport });
    faults.detach();
    const report = await checkIntegrity(inspector(), testTableName(), outcomes);

    expect(faults.stats.calls).toBeGreaterThan(requests.length);
    expect(Object.values(faults.stats.injected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    expect(report.examples).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.acknowledged).toBe(requests.length);
    // Anonymous visitors signing up: automatic merges ran under the same faults.
    expect((await itemsOfEntity('merge')).length).toBeGreaterThan(0);
  });

  it('answers a throttled read with 503 and Retry-After, and stores nothing', async () => {
    const request = oneRequest('throttled', 1);
    faults = injectDynamoDbFaults(documentClient(), { rate: 1, kinds: ['throttle'] });
    const touchpointsBefore = (await itemsOfEntity('touchpoint')).length;

    const answer = await handlerTransport(request);

    expect(answer.status).toBe(503);
    expect(answer.retryAfterSeconds).toBeGreaterThan(0);
    expect((await itemsOfEntity('touchpoint')).length).toBe(touchpointsBefore);
  });

  it('answers a throttled transaction with 503 and Retry-After, and stores nothing', async () => {
    const request = oneRequest('throttled-transaction', 3);
    faults = injectDynamoDbFaults(documentClient(), { rate: 1, kinds: ['transaction-throttle'] });
    const touchpointsBefore = (await itemsOfEntity('touchpoint')).length;

    const answer = await handlerTransport(request);

    expect(faults.stats.injected['transaction-throttle']).toBeGreaterThan(0);
    expect(answer.status).toBe(503);
    expect(answer.retryAfterSeconds).toBeGreaterThan(0);
    expect((await itemsOfEntity('touchpoint')).length).toBe(touchpointsBefore);
  });

  it('replays a write whose answer was lost instead of storing it twice', async () => {
    const request = oneRequest('lost-answer', 2);
    faults = injectDynamoDbFaults(documentClient(), { rate: 1, kinds: ['lost-response'], commands: ['TransactWriteItemsCommand'] });

    const first = await handlerTransport(request);
    faults.detach();
    const retry = await handlerTransport(request);

    // The ingest looks before it answers 503: it finds its own touchpoint stored and says so.
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.body).replayed).toBe(true);
    expect(JSON.parse(retry.body).touchpointId).toBe(JSON.parse(first.body).touchpointId);
    const stored = (await itemsOfEntity('touchpoint')).filter((item) => item.touchpointId === JSON.parse(retry.body).touchpointId);
    expect(stored).toHaveLength(1);
  });
});
