import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { AuthorizerContext } from '../../shared/auth/client.ts';
import { lambdaContext as localLambdaContext } from '../../dev/local-server.ts';
import { checkExchange, type Exchange } from './contract.ts';
import { defaultAuthorizerContext } from './credentials.ts';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface EventOptions {
  method?: string;
  /** The route as in the route table, e.g. `/v1/customers/{customerId}`. */
  routePath: string;
  /** The concrete path; defaults to `routePath`. */
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** An object is sent as JSON with `content-type: application/json` unless headers say otherwise; a string is sent as is. */
  body?: unknown;
  /**
   * What the authorizer put into `requestContext.authorizer.lambda`, as API Gateway delivers it:
   * by default a client with every scope; `null` for none (a route called without the authorizer).
   */
  authorizer?: AuthorizerContext | null;
}

/** An API Gateway HTTP API (payload 2.0) event, as the gateway would deliver it to the Lambda. */
export function apiEvent(options: EventOptions): APIGatewayProxyEventV2 {
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const path = options.path ?? options.routePath;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    host: 'touchpoints.test',
    ...(body !== undefined && typeof options.body !== 'string' ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const routeKey = `${method} ${options.routePath}`;
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'touchpoints.test',
      domainPrefix: 'touchpoints',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      ...(options.authorizer === null ? {} : { authorizer: { lambda: options.authorizer ?? defaultAuthorizerContext } }),
    },
  } as APIGatewayProxyEventV2;
}

export function lambdaContext(functionName = 'test-function'): Context {
  // Lambda's longest timeout: middy answers early when the deadline nears, and a busy test machine
  // (DynamoDB Local shares two cores) must not turn slowness into a 500. Vitest bounds each test.
  return localLambdaContext(functionName, randomUUID(), 15 * 60_000);
}

export interface InvokeResult {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON and assert on it
  body: any;
  rawBody: string;
}

/** Calls a Lambda's exported (middy-wrapped) `handler` with an event and reads its response. */
export async function invoke(handler: LambdaHandler, event: APIGatewayProxyEventV2): Promise<InvokeResult> {
  // The middleware stack replaces the event's body with the parsed JSON: the contract check reads what was sent.
  const sent = { ...event };
  const result = await handler(event, lambdaContext());
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    throw new Error(`The handler returned a bare value, not a structured response: ${JSON.stringify(result)}`);
  }
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const rawBody = result.body ?? '';
  checkExchange(exchangeOf(sent, result.statusCode ?? 200, headers, rawBody));
  return { status: result.statusCode ?? 200, headers, body: rawBody ? JSON.parse(rawBody) : undefined, rawBody };
}

/** A Lambda's event and answer as the contract check reads them. */
export function exchangeOf(event: APIGatewayProxyEventV2, status: number, responseHeaders: Record<string, string>, responseBody: string): Exchange {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters,
    requestHeaders: event.headers,
    requestBody: event.body,
    status,
    responseHeaders,
    responseBody,
  };
}
