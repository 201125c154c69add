/**
 * Every Lambda (one per functions/ folder): bundled as CDK would, sized, and cold-started in a
 * fresh Node process against the benchmark's DynamoDB Local with a realistic event.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { stop as stopEsbuild } from 'esbuild';
import { functionNodeOptions } from '../../infra/config/bundling.ts';
import { allScopes } from '../../shared/auth/access.ts';
import { matchRoute, toApiGatewayEvent, toAuthorizerEvent } from '../../dev/local-server.ts';
import { authorizerFunctionName, notFoundFunctionName, routes } from '../../shared/http/routes.ts';
import { identityOf, phoneRanges, signUpFor } from './data-set.ts';
import { startFakeEventBridge } from './fake-eventbridge.ts';
import { bundleLambda, type LambdaEvents, type LambdaMeasurement, lambdaFunctionNames, medianColdStart } from './lambdas.ts';
import { progress } from './progress.ts';
import type { LoadCustomer } from './scenarios.ts';
import { seededRandom } from '../../shared/db/fault-injection.ts';

export interface LambdaBenchOptions {
  dynamoDbEndpoint: string;
  tableName: string;
  customer: LoadCustomer;
  /** A registered key with every scope, for the authorizer's own cold start. */
  apiKey: string;
  repeats: number;
}

export async function measureLambdas(options: LambdaBenchOptions): Promise<LambdaMeasurement[]> {
  const eventBridge = await startFakeEventBridge();
  const names = lambdaFunctionNames();
  const bar = progress('bundling and cold-starting Lambdas', names.length);
  const measurements: LambdaMeasurement[] = [];
  let newCustomers = 0;
  try {
    for (const functionName of names) {
      const environment = {
        NODE_OPTIONS: functionNodeOptions,
        TABLE_NAME: options.tableName,
        DYNAMODB_ENDPOINT: options.dynamoDbEndpoint,
        AWS_REGION: 'local',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
        DEFAULT_PHONE_REGION: 'GB',
        // Set from a Secrets Manager secret by infra/; any 32 characters do here.
        SUPPRESSION_HMAC_SECRET: 'bench-suppression-secret-0123456789abcdef',
        EVENT_BUS_NAME: 'bench-bus',
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
        POWERTOOLS_SERVICE_NAME: 'touchpoint-api',
        POWERTOOLS_METRICS_NAMESPACE: 'TouchpointApi',
        // Errors only: a failing first event explains itself in the results.
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        // No X-Ray daemon here; in Lambda tracing is on and adds its own few milliseconds.
        POWERTOOLS_TRACE_ENABLED: 'false',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      };
      const eventsFor = (_run: number) => eventsOf(functionName, options, () => newCustomers++);
      const bundled = await bundleLambda(functionName, 'bundled');
      const external = await bundleLambda(functionName, 'external');
      measurements.push({
        functionName,
        bundledBytes: bundled.bytes,
        bundledGzipBytes: bundled.gzipBytes,
        sdkExternalBytes: external.bytes,
        bundled: await medianColdStart(bundled.file, eventsFor, environment, options.repeats),
        // One run is enough for the comparison; the bundled variant (what infra deploys) gets the median.
        sdkExternal: await medianColdStart(external.file, eventsFor, environment, 1),
      });
      bar.update(measurements.length, functionName);
    }
  } finally {
    await eventBridge.close();
    // esbuild keeps a service process for further builds: none will come.
    await stopEsbuild();
  }
  bar.done();
  return measurements;
}

/** A realistic first and second event for a function; `undefined` when there is none to send (import only). */
function eventsOf(functionName: string, options: LambdaBenchOptions, nextNewCustomer: () => number): LambdaEvents | undefined {
  const { customer } = options;
  const http = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const allHeaders = {
      host: 'api.example.com',
      'user-agent': 'bench',
      authorization: `Bearer ${options.apiKey}`,
      ...(text ? { 'content-type': 'application/json' } : {}),
      ...headers,
    };
    const event = toApiGatewayEvent({ method, url, headers: allHeaders }, text, matchRoute(method, new URL(url, 'http://x').pathname));
    // What the authorizer hands every route: the bench client, with every scope.
    (event.requestContext as { authorizer?: unknown }).authorizer = {
      lambda: { clientId: 'key_bench', clientName: 'bench', scopes: [...allScopes].sort().join(' ') },
    };
    return event;
  };
  const signUp = () => {
    const index = nextNewCustomer();
    return signUpFor(identityOf(5_000_000 + index, phoneRanges.apiNewCustomers, 'cold-'), { random: seededRandom(index), serial: `cold-${index}` });
  };
  switch (functionName) {
    case 'ingest-touchpoint':
      return {
        first: http('POST', '/v1/touchpoints', signUp(), { 'idempotency-key': `cold-${Date.now()}-1` }),
        warm: http('POST', '/v1/touchpoints', signUp(), { 'idempotency-key': `cold-${Date.now()}-2` }),
      };
    case 'ingest-touchpoint-batch':
      return {
        first: http('POST', '/v1/touchpoints/batch', { items: [signUp(), signUp()] }),
        warm: http('POST', '/v1/touchpoints/batch', { items: [signUp()] }),
      };
    case 'lookup-customer':
      return { first: http('GET', `/v1/customers/lookup?phone=${encodeURIComponent(customer.phone)}`) };
    case notFoundFunctionName:
      return { first: http('GET', '/v1/no-such-route') };
    case 'publish-events':
      return { first: streamEvent(customer) };
    case authorizerFunctionName:
      return { first: toAuthorizerEvent(http('GET', `/v1/customers/${customer.customerId}`), `Bearer ${options.apiKey}`) };
  }
  const route = routes.find((candidate) => candidate.functionName === functionName);
  if (!route) return undefined;
  // Reads use a real customer; anything that changes data is sent for a customer that does not
  // exist (a 404 or 422 still loads and runs the whole handler) so the data set stays as seeded.
  const safe = route.method === 'GET';
  const path = route.path.replace('{customerId}', safe ? customer.customerId : absentCustomerId).replace(/\{[^}]+\}/g, 'unknown');
  return { first: http(route.method, path, safe || route.method === 'DELETE' ? undefined : {}) };
}

const absentCustomerId = 'cus_00000000000000000000000000';

/** One DynamoDB stream record: a touchpoint inserted, as the table's stream (new and old images) delivers it. */
function streamEvent(customer: LoadCustomer) {
  const touchpoint = {
    pk: `CUST#${customer.customerId}`,
    sk: `T#2026-11-23T09:15:00.000Z#tp_01JDQ7ZKX3F8V6M2N4P5R7S9TB`,
    entity: 'touchpoint',
    touchpointId: 'tp_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
    customerId: customer.customerId,
    channel: 'call',
    source: 'call-centre',
    occurredAt: '2026-11-23T09:15:00.000Z',
    receivedAt: '2026-11-23T09:15:01.000Z',
    identifiers: { phone: customer.phone },
    summary: 'Inbound call, answered',
    details: { direction: 'inbound', durationSeconds: 240, outcome: 'answered' },
  };
  return {
    Records: [
      {
        eventID: 'bench-1',
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'local',
        dynamodb: {
          ApproximateCreationDateTime: 1_795_000_000,
          Keys: marshall({ pk: touchpoint.pk, sk: touchpoint.sk }),
          NewImage: marshall(touchpoint),
          SequenceNumber: '100000000000000000001',
          SizeBytes: 512,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: 'arn:aws:dynamodb:local:000000000000:table/bench/stream/2026-11-23T00:00:00.000',
      },
    ],
  };
}
