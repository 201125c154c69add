import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config/config.ts';

/**
 * The one place DynamoDB clients are built: the Lambdas, the local server, the bench and the tests
 * all come through here, so an endpoint, credentials or marshalling setting is decided once.
 */
export interface ClientOptions {
  /** DynamoDB Local's address; it takes any credentials, so fixed local ones are used with it. */
  endpoint?: string;
  region?: string;
}

/** The low-level client, for table administration (create, delete, describe) and raw item reads. */
export function createDynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  const client = new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  // The SDK's logger middleware builds a redacted copy of every call's input and output, walking
  // the whole answer (a 50-item Query) by its schema, before handing both to the logger, which
  // without a `logger` option is the SDK's no-op: about a quarter of a Query's CPU time, for nothing.
  // The document client shares this stack.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

export function createDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(options), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

let shared: DynamoDBDocumentClient | undefined;

/**
 * The process-wide client, built once (per cold start) from configuration. The local server (not
 * a Lambda: the fault injector is in no function's bundle) makes a share of its calls fail when
 * TOUCHPOINT_FAULT_RATE is set (dev/local-server.ts, fault-injection.ts).
 */
export function documentClient(): DynamoDBDocumentClient {
  shared ??= createDocumentClient({
    region: config().AWS_REGION,
    ...(config().DYNAMODB_ENDPOINT ? { endpoint: config().DYNAMODB_ENDPOINT } : {}),
  });
  return shared;
}
