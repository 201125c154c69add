import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

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
