import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes } from '../../shared/auth/access.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { seededRandom } from '../../shared/db/fault-injection.ts';
import { type ApiProcess, apiProcess } from '../../bench/lib/api-process.ts';
import { phoneRanges } from '../../bench/lib/data-set.ts';
import { planFaultRequests } from '../../bench/lib/fault-plan.ts';
import { checkIntegrity } from '../../bench/lib/integrity.ts';
import { defaultRetryPolicy, httpTransport, runRetryingClients } from '../../bench/lib/retrying-client.ts';
import { defaultTestClientName, defaultTestKey, registerKey } from '../helpers/credentials.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';

/**
 * The process-kill scenario of bench/faults.ts in small: `npm start`'s server runs as its own
 * process against this run's DynamoDB Local, is killed with SIGKILL while clients post, and is
 * started again; the clients retry (same Idempotency-Key) until every touchpoint is acknowledged.
 * Anonymous visitors sign up along the way: a kill may cut an automatic merge short, and a
 * touchpoint meeting it goes to its survivor.
 */

let api: ApiProcess;

beforeAll(async () => {
  await createTestTable();
  await registerKey(defaultTestKey, defaultTestClientName, allScopes);
  api = apiProcess({ dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT as string, tableName: testTableName(), port: await findFreePort() });
  await api.start();
});

afterAll(async () => {
  await api?.stop();
});

describe('a server killed in the middle of a load', () => {
  // Generous for a busy two-core machine: the server starts twice (tsx compiles it each time).
  it('leaves every acknowledged touchpoint stored exactly once and nothing half-written', { timeout: 180_000 }, async () => {
    const requests = planFaultRequests({ customers: 10, followUps: 2, raceShare: 0.3, seed: 77, phoneRange: phoneRanges.faultTests, tag: 'kill' });
    let killing: Promise<void> | undefined;

    const outcomes = await runRetryingClients(requests, {
      concurrency: 4,
      policy: { ...defaultRetryPolicy, random: seededRandom(78) },
      transport: httpTransport(() => api.url, { authorization: `Bearer ${defaultTestKey}` }),
      onOutcome: (_outcome, done) => {
        if (done === Math.floor(requests.length / 3) && !killing) {
          killing = api.kill().then(() => api.start());
        }
      },
    });
    await killing;
    const report = await checkIntegrity(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' }), testTableName(), outcomes);

    expect(killing).toBeDefined();
    expect(report.attemptStatuses['0']).toBeGreaterThan(0);
    expect(report.examples).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.acknowledged).toBe(requests.length);
  });
});
