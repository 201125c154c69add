import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes } from '../../shared/auth/access.ts';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { type ApiProcess, apiProcess } from '../../bench/lib/api-process.ts';
import { identityOf, phoneRanges, signUpFor } from '../../bench/lib/data-set.ts';
import { seededRandom } from '../../shared/db/fault-injection.ts';
import { defaultTestClientName, defaultTestKey, registerKey } from '../helpers/credentials.ts';
import { createTestTable, itemsOfEntity, testTableName } from '../helpers/dynamodb.ts';
import { contractFetch } from '../helpers/json-client.ts';

/** TOUCHPOINT_FAULT_RATE switches fault injection on for the server's DynamoDB client, as a developer would. */

let api: ApiProcess;

beforeAll(async () => {
  await createTestTable();
  await registerKey(defaultTestKey, defaultTestClientName, allScopes);
  api = apiProcess({
    dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT as string,
    tableName: testTableName(),
    port: await findFreePort(),
    // Only the ingest's read fails: the authorizer's key lookup (a GetItem) goes through.
    environment: { TOUCHPOINT_FAULT_RATE: '1', TOUCHPOINT_FAULT_KINDS: 'throttle', TOUCHPOINT_FAULT_COMMANDS: 'BatchGetItem' },
  });
  await api.start();
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
