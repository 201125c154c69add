import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiProcess } from '../../bench/lib/api-process.ts';
import { identityOf, phoneRanges, signUpFor } from '../../bench/lib/data-set.ts';
import { seededRandom } from '../../shared/db/fault-injection.ts';
import { defaultTestKey } from '../helpers/credentials.ts';
import { itemsOfEntity } from '../helpers/dynamodb.ts';
import { startApiWithFaults } from '../helpers/api-with-faults.ts';
import { contractFetch } from '../helpers/json-client.ts';

/** TOUCHPOINT_FAULT_RATE switches fault injection on for the server's DynamoDB client, as a developer would. */

let api: ApiProcess;

beforeAll(async () => {
  // Only the ingest's read fails: the authorizer's key lookup (a GetItem) goes through.
  api = await startApiWithFaults({ TOUCHPOINT_FAULT_RATE: '1', TOUCHPOINT_FAULT_KINDS: 'throttle', TOUCHPOINT_FAULT_COMMANDS: 'BatchGetItem' });
});

afterAll(async () => {
  await api?.stop();
});

describe('a server started with TOUCHPOINT_FAULT_RATE', () => {
  it('answers an ingest whose DynamoDB calls are throttled with 503 and Retry-After, and stores nothing', async () => {
    const body = signUpFor(identityOf(990_001, phoneRanges.faultTests, 'env-'), { random: seededRandom(1), serial: 'env' });

    const response = await contractFetch(`${api.url}/v1/touchpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${defaultTestKey}`, 'content-type': 'application/json', 'idempotency-key': 'env-1' },
      body: JSON.stringify(body),
    });

    const problem = (await response.json()) as { type: string };

    expect(response.status).toBe(503);
    expect(problem.type).toBe('urn:touchpoint-api:problem:store-unavailable');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await itemsOfEntity('touchpoint')).toEqual([]);
  });
});
