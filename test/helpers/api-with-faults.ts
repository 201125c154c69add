import { type ApiProcess, apiProcess } from '../../bench/lib/api-process.ts';
import { allScopes } from '../../shared/auth/access.ts';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { defaultTestClientName, defaultTestKey, registerKey } from './credentials.ts';
import { createTestTable, testTableName } from './dynamodb.ts';

/**
 * npm start's server (dev/start.ts, its own process) on this file's table, with the default test
 * key, and DynamoDB faults switched on as `faults` says (the TOUCHPOINT_FAULT_* variables).
 */
export async function startApiWithFaults(faults: Record<string, string>): Promise<ApiProcess> {
  await createTestTable();
  await registerKey(defaultTestKey, defaultTestClientName, allScopes);
  const api = apiProcess({
    dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT as string,
    tableName: testTableName(),
    port: await findFreePort(),
    environment: faults,
  });
  await api.start();
  return api;
}
