import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { afterAll, inject, vi } from 'vitest';

// A worker runs file after file (vitest.config.ts: isolate false), so each file begins as it would
// in a fresh process: the project's own modules are evaluated anew (they read their configuration
// at import, as a Lambda does at cold start), and the environment is the one the worker started
// with, whatever the previous file set. Only node_modules stay loaded: that is the time saved.
vi.resetModules();
const pristineKey = Symbol.for('touchpoint-test.pristine-env');
const holder = globalThis as { [pristineKey]?: Record<string, string | undefined> };
holder[pristineKey] ??= { ...process.env };
const pristine = holder[pristineKey];
for (const name of Object.keys(process.env)) if (!Object.hasOwn(pristine, name)) delete process.env[name];
Object.assign(process.env, pristine);

// Runs before each test file's imports are evaluated, so configuration read at module scope
// (as a Lambda reads it at cold start) sees this file's own table.
const endpoints = inject('dynamoDbEndpoints');
// Each worker (VITEST_POOL_ID, from 1) keeps to its own DynamoDB Local.
process.env.DYNAMODB_ENDPOINT = endpoints[(Number(process.env.VITEST_POOL_ID ?? 1) - 1) % endpoints.length];
process.env.TABLE_NAME = `touchpoints-test-${randomUUID()}`;
process.env.AWS_REGION = 'local';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
// The webhook connectors' secrets, as a deployed stack always has them (a test of a connector sets its own first).
process.env.STRIPE_WEBHOOK_SECRET ??= `whsec_${randomUUID().replaceAll('-', '')}`;
process.env.TWILIO_AUTH_TOKEN ??= randomUUID().replaceAll('-', '');
process.env.SEGMENT_WRITE_KEY ??= randomUUID().replaceAll('-', '');
process.env.CTI_WEBHOOK_SECRETS ??= JSON.stringify({ 'test-system': randomUUID().replaceAll('-', '') });
process.env.SES_TOPIC_ARNS ??= 'arn:aws:sns:eu-west-2:000000000000:ses-notifications';

// The file's table goes when the file is done (this hook, registered first, runs after the file's
// own): DynamoDB Local keeps every table of a run in memory and sweeps each one for expired items
// every second, so a hundred finished tables slowed the files still running.
const tableName = process.env.TABLE_NAME;
const endpoint = process.env.DYNAMODB_ENDPOINT;
afterAll(async () => {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    // A file of pure logic never made one.
    if (!(error instanceof ResourceNotFoundException)) throw error;
  } finally {
    client.destroy();
  }
});
