import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config/config.ts';
import { logger } from '../observability/logger.ts';
import { faultInjectionFromEnvironment, injectDynamoDbFaults } from './fault-injection.ts';

export interface ClientOptions {
  endpoint?: string;
  region?: string;
}

export function createDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

let shared: DynamoDBDocumentClient | undefined;

/**
 * The process-wide client, built once (per cold start) from configuration. TOUCHPOINT_FAULT_RATE
 * (local fault runs only, see fault-injection.ts) makes a share of its calls fail.
 */
export function documentClient(): DynamoDBDocumentClient {
  if (shared) return shared;
  shared = createDocumentClient({
    region: config().AWS_REGION,
    ...(config().DYNAMODB_ENDPOINT ? { endpoint: config().DYNAMODB_ENDPOINT } : {}),
  });
  const faults = faultInjectionFromEnvironment();
  if (faults) {
    injectDynamoDbFaults(shared, faults);
    logger.warn('Fault injection is on: DynamoDB calls fail on purpose', { rate: faults.rate, kinds: faults.kinds });
  }
  return shared;
}
