import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { matchRoute } from '../../dev/local-server.ts';
import { handlerEntry } from '../../shared/http/routes.ts';
import { apiEvent, exchangeOf, lambdaContext } from './api-event.ts';
import { checkExchange } from './contract.ts';
import { answerWaitMs } from './json-client.ts';

/**
 * Any route of the route table, called the way a client calls it: a method, a concrete path and a
 * body. In-process, the path is matched against the route table (as the local adapter and API
 * Gateway do) and the function's exported middy `handler` runs with the default test credentials;
 * over HTTP, the same request goes to a running server. Tests that drive every route (the model
 * and fault suites) switch transport without changing a command.
 */

export interface RouteRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Concrete and URL-encoded: `/v1/customers/cus_.../identifiers/email/a%40b.example`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteAnswer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON and assert on it
  body: any;
}

/** Sends one request; throws when there was no answer at all (refused, reset, timed out). */
export type RouteTransport = (request: RouteRequest) => Promise<RouteAnswer>;

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const loaded = new Map<string, Promise<LambdaHandler>>();

function handlerOf(functionName: string): Promise<LambdaHandler> {
  let handler = loaded.get(functionName);
  if (!handler) {
    handler = import(pathToFileURL(resolve(projectRoot, handlerEntry(functionName))).href).then((module: { handler: LambdaHandler }) => module.handler);
    loaded.set(functionName, handler);
  }
  return handler;
}

/** The Lambda behind the route, invoked directly (the authorizer's context is the test client with every scope). */
export const inProcessRoutes: RouteTransport = async (request) => {
  const matched = matchRoute(request.method, request.path);
  if (!matched) throw new Error(`No route matches ${request.method} ${request.path}`);
  const event = apiEvent({
    method: request.method,
    routePath: matched.route.path,
    path: request.path,
    pathParameters: matched.pathParameters,
    ...(request.query && Object.keys(request.query).length > 0 ? { query: request.query } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(request.headers ? { headers: request.headers } : {}),
  });
  const handler = await handlerOf(matched.route.functionName);
  // The middleware stack replaces the event's body with the parsed JSON: the contract check reads what was sent.
  const sent = { ...event };
  const result = await handler(event, lambdaContext(matched.route.functionName));
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    throw new Error(`${matched.route.functionName} returned a bare value: ${JSON.stringify(result)}`);
  }
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  checkExchange(exchangeOf(sent, result.statusCode ?? 200, headers, result.body ?? ''));
  return { status: result.statusCode ?? 200, headers, body: result.body ? JSON.parse(result.body) : undefined };
};

/** The same request over HTTP to a running server (`baseUrl` is read per request: a restarted server may move). */
export function httpRoutes(baseUrl: () => string, defaultHeaders: Record<string, string>, timeoutMs = answerWaitMs): RouteTransport {
  return async (request) => {
    const query = request.query && Object.keys(request.query).length > 0 ? `?${new URLSearchParams(request.query)}` : '';
    const headers = {
      ...defaultHeaders,
      ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    };
    const body = request.body !== undefined ? JSON.stringify(request.body) : undefined;
    const response = await fetch(`${baseUrl()}${request.path}${query}`, {
      method: request.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const responseHeaders = Object.fromEntries(response.headers);
    checkExchange({
      method: request.method,
      path: request.path,
      query: request.query,
      requestHeaders: headers,
      requestBody: body,
      status: response.status,
      responseHeaders,
      responseBody: text,
    });
    return { status: response.status, headers: responseHeaders, body: text ? JSON.parse(text) : undefined };
  };
}
